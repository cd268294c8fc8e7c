package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"steward/internal/testkit"
	"steward/store"
)

// promptFlow runs the browser's part as authorize does, but reports the
// login pages it met on the way: at each it shows the page and, when
// login is true, logs in as anna with her password; otherwise it stops
// there. It returns the code, "error:<code>" for an error answered at the
// LMS's redirect URI (state checked), or "login-page".
func (l *relyingParty) promptFlow(t testing.TB, b *browser, login bool, opts ...oauth2.AuthCodeOption) (string, []string) {
	t.Helper()
	var pages []string
	resp, body := b.get(l.conf.AuthCodeURL("state-1", opts...))
	for i := 0; i < 8 && resp.StatusCode/100 == 3; i++ {
		loc := resp.Header.Get("Location")
		if strings.HasPrefix(loc, lmsCallback) {
			u, _ := url.Parse(loc)
			if u.Query().Get("state") != "state-1" {
				t.Fatalf("state not returned: %s", loc)
			}
			if e := u.Query().Get("error"); e != "" {
				return "error:" + e, pages
			}
			return u.Query().Get("code"), pages
		}
		if strings.HasPrefix(loc, "/login?") {
			pages = append(pages, loc)
			resp, body = b.get(loc)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
				t.Fatalf("the login page: %d\n%s", resp.StatusCode, body)
			}
			if !login {
				return "login-page", pages
			}
			u, _ := url.Parse(loc)
			resp, body = b.submit(loc, "/login", url.Values{"email": {"anna@example.org"}, "password": {"correct horse battery"}, "next": {u.Query().Get("next")}})
			continue
		}
		resp, body = b.get(loc)
	}
	t.Fatalf("the flow did not come back to the LMS: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	return "", nil
}

// loginAgain runs a request that must show the login page once although
// b has a session, logs in there, and checks that the code's ID token has
// the new login's time, now, as auth_time.
func (l *relyingParty) loginAgain(t testing.TB, b *browser, now time.Time, what string, opts ...oauth2.AuthCodeOption) {
	t.Helper()
	code, pages := l.promptFlow(t, b, true, opts...)
	if len(pages) != 1 || strings.HasPrefix(code, "error:") {
		t.Fatalf("%s: %q after login pages %v; want one login page, then a code", what, code, pages)
	}
	if at := l.authTime(t, code); !at.Equal(now.Truncate(time.Second)) {
		t.Errorf("%s: auth_time %v, want the new login's %v", what, at, now)
	}
}

// authTime exchanges a code and returns the verified ID token's
// auth_time.
func (l *relyingParty) authTime(t testing.TB, code string) time.Time {
	t.Helper()
	ctx := context.Background()
	tok, err := l.conf.Exchange(ctx, code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := l.provider.Verifier(&gooidc.Config{ClientID: l.clientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var c struct {
		AuthTime int64 `json:"auth_time"`
	}
	if err := idt.Claims(&c); err != nil || c.AuthTime == 0 {
		t.Fatalf("auth_time: %+v %v", c, err)
	}
	return time.Unix(c.AuthTime, 0).UTC()
}

func prompt(v string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam("prompt", v) }
func maxAge(v string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam("max_age", v) }

// TestOIDCPromptNone (OpenID Connect Core §3.1.2.1, §3.1.2.6): a silent
// request never shows a page. Without a session, or with one whose
// password is older than max_age, the LMS is told login_required at its
// redirect URI with its state; with a session it gets its code, and the
// ID token's auth_time is when the person entered their password, not
// when the code was issued (both stores).
func TestOIDCPromptNone(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		anna := st.loggedInPerson("anna@example.org")
		loggedIn := st.clock.Now()
		l := newLMS(t, st, false)

		if got, pages := l.promptFlow(t, st.browser(), false, prompt("none")); got != "error:login_required" || len(pages) != 0 {
			t.Fatalf("prompt=none without a session: %q, login pages %v; want login_required and none", got, pages)
		}
		st.clock.Advance(5 * time.Minute)
		code, pages := l.promptFlow(t, anna, false, prompt("none"))
		if strings.HasPrefix(code, "error:") || code == "login-page" || len(pages) != 0 {
			t.Fatalf("prompt=none with a session: %q, login pages %v; want a code and none", code, pages)
		}
		if at := l.authTime(t, code); !at.Equal(loggedIn.Truncate(time.Second)) {
			t.Errorf("auth_time %v, want the login's %v (not the sign-in's %v)", at, loggedIn, st.clock.Now())
		}
		if got, pages := l.promptFlow(t, anna, false, prompt("none"), maxAge("60")); got != "error:login_required" || len(pages) != 0 {
			t.Fatalf("prompt=none, password older than max_age: %q, login pages %v; want login_required and none", got, pages)
		}
		// The refused request is gone; the session is untouched.
		if got, _ := l.promptFlow(t, anna, false, prompt("none"), maxAge("600")); strings.HasPrefix(got, "error:") || got == "login-page" {
			t.Fatalf("prompt=none within max_age: %q", got)
		}
	})
}

// TestOIDCPromptLogin: prompt=login (and select_account, a session
// holding one account) asks a logged-in person for their password again
// on the login page; only then does the LMS get its code, and auth_time
// is the new login. The page cannot be skipped by going straight back to
// the request (both stores).
func TestOIDCPromptLogin(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		anna := st.loggedInPerson("anna@example.org")
		l := newLMS(t, st, false)
		st.clock.Advance(10 * time.Minute)

		got, pages := l.promptFlow(t, anna, false, prompt("login"))
		if got != "login-page" || len(pages) != 1 || !strings.Contains(pages[0], "reauth=1") {
			t.Fatalf("prompt=login with a session: %q, login pages %v; want the login page", got, pages)
		}
		// Without the password the request is not signed in.
		u, _ := url.Parse(pages[0])
		next := u.Query().Get("next")
		if !strings.HasPrefix(next, "/oidc/login?id=") {
			t.Fatalf("the login page returns to %q", next)
		}
		if resp, _ := anna.get(next); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?") {
			t.Fatalf("the request without the password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		l.loginAgain(t, anna, st.clock.Now(), "prompt=login", prompt("login"))

		st.clock.Advance(time.Minute)
		if got, pages := l.promptFlow(t, anna, false, prompt("select_account")); got != "login-page" || len(pages) != 1 {
			t.Fatalf("prompt=select_account with a session: %q, login pages %v; want the login page", got, pages)
		}
		// consent asks nothing more: the LMS receives what the policy declares.
		if got, pages := l.promptFlow(t, anna, false, prompt("consent")); strings.HasPrefix(got, "error:") || got == "login-page" || len(pages) != 0 {
			t.Fatalf("prompt=consent with a session: %q, login pages %v; want a code and none", got, pages)
		}
		for _, bad := range []string{"none login", "everything"} {
			if got, pages := l.promptFlow(t, anna, false, prompt(bad)); got != "error:invalid_request" || len(pages) != 0 {
				t.Errorf("prompt=%q: %q, login pages %v; want invalid_request", bad, got, pages)
			}
		}
	})
}

// TestOIDCMaxAge: a password entered within max_age seconds of the
// request signs the person in without a page, auth_time the login's; an
// older one is asked for again (max_age=0: always), and auth_time is then
// the new login (both stores).
func TestOIDCMaxAge(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		anna := st.loggedInPerson("anna@example.org")
		loggedIn := st.clock.Now()
		l := newLMS(t, st, false)

		st.clock.Advance(5 * time.Minute)
		code, pages := l.promptFlow(t, anna, false, maxAge("600"))
		if strings.HasPrefix(code, "error:") || code == "login-page" || len(pages) != 0 {
			t.Fatalf("max_age not exceeded: %q, login pages %v; want a code and none", code, pages)
		}
		if at := l.authTime(t, code); !at.Equal(loggedIn.Truncate(time.Second)) {
			t.Errorf("auth_time %v, want the login's %v", at, loggedIn)
		}

		st.clock.Advance(11 * time.Minute)
		l.loginAgain(t, anna, st.clock.Now(), "max_age exceeded", maxAge("600"))

		st.clock.Advance(time.Second)
		if got, pages := l.promptFlow(t, anna, false, maxAge("0")); got != "login-page" || len(pages) != 1 {
			t.Fatalf("max_age=0: %q, login pages %v; want the login page", got, pages)
		}
	})
}
