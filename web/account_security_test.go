package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/store"
	"steward/web"
)

func TestNoAccountEnumeration(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "known@example.nl")
		strip := func(body string) string { return csrfRE.ReplaceAllString(body, "") }
		for _, tc := range []struct {
			name        string
			page, path  string
			known, unkn url.Values
		}{
			{"login", "/login", "/login", url.Values{"email": {"known@example.nl"}, "password": {"wrong password!"}}, url.Values{"email": {"nobody@example.nl"}, "password": {"wrong password!"}}},
			{"reset", "/reset", "/reset", url.Values{"email": {"known@example.nl"}}, url.Values{"email": {"nobody@example.nl"}}},
			{"signup", "/signup", "/signup", ivmSignup("known@example.nl"), ivmSignup("nobody2@example.nl")},
		} {
			r1, b1 := st.browser().submit(tc.page, tc.path, tc.known)
			r2, b2 := st.browser().submit(tc.page, tc.path, tc.unkn)
			b1 = strings.ReplaceAll(strip(b1), "known@example.nl", "X")
			b2 = strings.ReplaceAll(strings.ReplaceAll(strip(b2), "nobody@example.nl", "X"), "nobody2@example.nl", "X")
			if r1.StatusCode != r2.StatusCode || b1 != b2 {
				t.Errorf("%s answers differently for a known and an unknown address: %d vs %d", tc.name, r1.StatusCode, r2.StatusCode)
			}
		}
	})
}

func TestLoginRateLimited(t *testing.T) {
	st := newSite(t, testkit.SQLite(t), "ivm")
	b := st.browser()
	var last *http.Response
	var body string
	for range 6 {
		last, body = b.submit("/login", "/login", url.Values{"email": {"victim@example.nl"}, "password": {"guess guess guess"}})
	}
	if last.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "minuten") {
		t.Fatalf("sixth wrong login for one account: %d, want 429 with 'try again in N minutes'\n%s", last.StatusCode, body)
	}
	// The bucket refills with time (injected clock).
	st.clock.Advance(4 * time.Minute)
	if resp, _ := b.submit("/login", "/login", url.Values{"email": {"victim@example.nl"}, "password": {"guess guess guess"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after waiting: %d, want 401", resp.StatusCode)
	}
	for range 5 {
		last, _ = b.submit("/reset", "/reset", url.Values{"email": {"x@example.nl"}})
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("reset flood: %d, want 429", last.StatusCode)
	}
}

func TestCSRFRefused(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.loggedInPerson("csrf@example.nl")
		a, _ := s.AccountByEmail(context.Background(), "csrf@example.nl")
		since := testkit.AuditHead(t, s)
		// No token.
		if resp, _ := b.post("/account", url.Values{"account.first_name": {"Mallory"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("profile edit without token: %d, want 403", resp.StatusCode)
		}
		// A forged anonymous token.
		if resp, _ := b.post("/signup", ivmSignup("x@example.nl")); resp.StatusCode != http.StatusForbidden {
			t.Errorf("sign-up without token: %d, want 403", resp.StatusCode)
		}
		// A cross-origin browser request, even with the right token.
		req, _ := http.NewRequest("POST", st.srv.URL+"/account", strings.NewReader(url.Values{"csrf": {b.csrf("/account")}, "account.first_name": {"Mallory"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if resp, _ := b.do(req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin post: %d, want 403", resp.StatusCode)
		}
		if v, _ := s.Profile(context.Background(), a.ID, "account"); v["first_name"] != "Anna" {
			t.Errorf("a refused request changed the profile: %q", v["first_name"])
		}
		testkit.AssertAudit(t, s, since)
	})
}

func TestSessionTimeouts(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.loggedInPerson("idle@example.nl")
		if resp, _ := b.get("/account"); resp.StatusCode != 200 {
			t.Fatalf("fresh session: %d", resp.StatusCode)
		}
		// Active every 20 minutes: the idle timeout does not strike...
		for range 5 {
			st.clock.Advance(20 * time.Minute)
			if resp, _ := b.get("/account"); resp.StatusCode != 200 {
				t.Fatalf("active session ended: %d", resp.StatusCode)
			}
		}
		// ...but 31 idle minutes end it, and the cookie is cleared.
		st.clock.Advance(31 * time.Minute)
		resp, _ := b.get("/account")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("idle session still valid: %d", resp.StatusCode)
		}
		// Absolute timeout: 12 hours after login even when active.
		b.login("idle@example.nl", "correct horse battery")
		for range 25 {
			st.clock.Advance(29 * time.Minute)
			b.get("/account")
		}
		if resp, _ := b.get("/account"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session outlived the absolute timeout: %d", resp.StatusCode)
		}
	})
}

func TestStaffRoles(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		ctx := context.Background()
		person := st.loggedInPerson("subject@example.nl")
		subj, _ := s.AccountByEmail(ctx, "subject@example.nl")
		support := staffBrowser(t, st, "support@example.nl", account.RoleSupport)
		officer := staffBrowser(t, st, "officer@example.nl", account.RolePrivacyOfficer)
		rec := "/staff/people/" + subj.ID

		if resp, _ := person.get("/staff/"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a person opened /staff/: %d", resp.StatusCode)
		}
		// Support finds the person by the posted address: the account's
		// status, never the profile's values, and no link to the record.
		resp, body := support.post("/staff/", url.Values{"csrf": {support.csrf("/staff/")}, "email": {"subject@example.nl"}})
		if resp.StatusCode != 200 || !strings.Contains(body, "<dd>"+subj.ID+"</dd>") || strings.Contains(body, "de Vries") || strings.Contains(body, rec) {
			t.Errorf("support search: %d (must show the account's status, not profile values or the record):\n%s", resp.StatusCode, body)
		}
		supportAcct, _ := s.AccountByEmail(ctx, "support@example.nl")
		if views, _ := s.StaffViewsOf(ctx, subj.ID); len(views) != 1 || views[0].StaffID != supportAcct.ID || strings.Join(views[0].Fields, ",") != "account.confirmed,account.email,account.id" {
			t.Fatalf("support's lookup is not recorded as a view of the lookup's fields: %+v", views)
		}
		if resp, _ := support.get(rec); resp.StatusCode != http.StatusForbidden {
			t.Errorf("support opened a record that needs privacy_officer: %d", resp.StatusCode)
		}
		since := testkit.AuditHead(t, s)
		resp, body = officer.get(rec)
		if resp.StatusCode != 200 || !strings.Contains(body, "de Vries") {
			t.Fatalf("officer view: %d", resp.StatusCode)
		}
		officerAcct, _ := s.AccountByEmail(ctx, "officer@example.nl")
		views, _ := s.StaffViewsOf(ctx, subj.ID)
		if len(views) != 2 || views[0].StaffID != officerAcct.ID || len(views[0].Fields) == 0 {
			t.Fatalf("staff view not recorded: %+v", views)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.StaffView, Actor: audit.Staff(officerAcct.ID), ObjectID: subj.ID})
		// After 15 minutes the record needs a fresh login.
		st.clock.Advance(16 * time.Minute)
		if resp, _ := officer.get(rec); resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "reauth=1") {
			t.Fatalf("stale login opened a record: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// TestFormTokenSurvivesRestart: an anonymous form's CSRF token is signed
// with a key derived from the site's consent key, so a login form shown by
// one server instance is accepted by the next one with the same key (a
// restart, or a second instance), and refused by one with another key.
func TestFormTokenSurvivesRestart(t *testing.T) {
	s := testkit.SQLite(t)
	p := testkit.Policy(t, "ivm")
	clk := clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	start := func(key *consent.Key) *browser {
		h := web.NewForTest(t, web.Config{Policy: p, Store: s, Log: testkit.Log(t).Logger, Clock: clk, ConsentKey: key}, wiring.Config{HashParams: &cheapHash})
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return &browser{t: t, base: srv.URL, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
	}
	newKey := func() *consent.Key {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		return consent.NewKey(priv)
	}
	key := newKey()
	before := start(key)
	token := before.csrf("/login")
	login := url.Values{"csrf": {token}, "email": {"nobody@example.nl"}, "password": {"wrong password here"}}

	after := start(key)
	if resp, body := after.post("/login", login); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("form from before the restart: %d, want 401 (token accepted, login failed)\n%s", resp.StatusCode, body)
	}
	other := start(newKey())
	if resp, _ := other.post("/login", login); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("form signed under another site key: %d, want 403", resp.StatusCode)
	}
}
