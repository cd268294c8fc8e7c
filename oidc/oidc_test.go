package oidc_test

import (
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/oidc"
)

// TestReleasable (issue 16 item 3): a client receives only its
// recipient's declared claims, the standard ones only with their scope,
// the site's own with openid alone, and nothing without openid.
func TestReleasable(t *testing.T) {
	p := testkit.Policy(t, "ivm")
	pr, err := oidc.Recipient(p, "avetica")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		scopes []string
		want   []string
	}{
		{[]string{"openid", "profile", "email"}, []string{"lms_account.email", "lms_account.first_name", "lms_account.last_name", "lms_account.register_number"}},
		{[]string{"openid", "email"}, []string{"lms_account.email", "lms_account.register_number"}},
		{[]string{"openid"}, []string{"lms_account.register_number"}},
		{[]string{"profile", "email"}, nil},
	} {
		rel := oidc.Releasable(pr, c.scopes)
		if got := rel.Fields(); len(got) != len(c.want) || (len(got) > 0 && got[len(got)-1] != c.want[len(c.want)-1]) {
			t.Errorf("scopes %v: %v, want %v", c.scopes, got, c.want)
		}
	}
	rel := oidc.Releasable(pr, []string{"openid", "profile", "email"})
	if s := rel.Sensitive(p); len(s) != 1 || s[0].Field != "lms_account.register_number" {
		t.Errorf("sensitive claims: %v, want the register number only", s)
	}
	if _, err := oidc.Recipient(p, "pe_online"); err == nil {
		t.Error("a recipient without claims can have a client")
	}
}

// TestCheckRedirectURI: https, or http on a loopback host (RFC 8252
// §7.3); absolute, no fragment, no user info.
func TestCheckRedirectURI(t *testing.T) {
	for uri, ok := range map[string]bool{
		"https://lms.example/admin/oauth2callback.php": true,
		"http://127.0.0.1:8080/cb":                     true,
		"http://localhost/cb":                          true,
		"http://lms.example/cb":                        false,
		"https://lms.example/cb#frag":                  false,
		"https://user@lms.example/cb":                  false,
		"/admin/oauth2callback.php":                    false,
		"javascript:alert(1)":                          false,
		" https://lms.example/cb":                      false,
	} {
		if err := oidc.CheckRedirectURI(uri); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", uri, err, ok)
		}
	}
}

// TestRetiredKeysStayPublished: a retired key stays in the JWKS until
// every token it signed has expired.
func TestRetiredKeysStayPublished(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	k := oidc.Key{RetiredAt: at}
	if !k.Published(at.Add(oidc.TokenLifetime)) || k.Published(at.Add(oidc.KeyKept)) {
		t.Error("a retired key is published for KeyKept, longer than a token lives, and not after")
	}
	if !(&oidc.Key{}).Published(at) {
		t.Error("the key in use is not published")
	}
}

// TestPrompt (OpenID Connect Core §3.1.2.1): what a request's prompt and
// max_age ask of the login — silent, and the earliest password entry
// that satisfies it.
func TestPrompt(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	age := func(n uint) *uint { return &n }
	for _, c := range []struct {
		prompt []string
		maxAge *uint
		silent bool
		after  time.Time
		ok     bool
	}{
		{nil, nil, false, time.Time{}, true},
		{[]string{"none"}, nil, true, time.Time{}, true},
		{[]string{"none"}, age(60), true, now.Add(-time.Minute), true},
		{[]string{"login"}, nil, false, now, true},
		{[]string{"select_account"}, nil, false, now, true},
		{[]string{"consent"}, nil, false, time.Time{}, true},
		{[]string{"login", "consent"}, age(600), false, now, true},
		{nil, age(0), false, now, true},
		{nil, age(600), false, now.Add(-10 * time.Minute), true},
		{nil, age(^uint(0)), false, now.Add(-(1 << 31) * time.Second), true},
		{[]string{"none", "login"}, nil, false, time.Time{}, false},
		{[]string{"everything"}, nil, false, time.Time{}, false},
	} {
		silent, after, ok := oidc.Prompt(c.prompt, c.maxAge, now)
		if silent != c.silent || !after.Equal(c.after) || ok != c.ok {
			t.Errorf("Prompt(%v, %v) = %v, %v, %v; want %v, %v, %v", c.prompt, c.maxAge, silent, after, ok, c.silent, c.after, c.ok)
		}
		g := oidc.Grant{AuthAfter: after}
		if c.ok && (!g.Satisfied(now) || !after.IsZero() && g.Satisfied(after.Add(-time.Millisecond))) {
			t.Errorf("Prompt(%v, %v): Satisfied does not hold at %v exactly", c.prompt, c.maxAge, after)
		}
	}
}
