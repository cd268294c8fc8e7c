package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/store"
)

// TestChangePassword: the account page has a change-password form that
// asks the current password and a new one under the password rules
// (ASVS 2.1.5, 2.1.6); wrong input says what is wrong at each field and
// changes nothing; a change ends the other sessions, keeps this one and
// mails "your password was changed" (ASVS 2.2.3).
func TestChangePassword(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.loggedInPerson("anna@example.nl")
		other := st.browser()
		other.login("anna@example.nl", "correct horse battery")
		if _, page := b.get("/account"); !strings.Contains(page, `name="password_current"`) || !strings.Contains(page, `name="password_new"`) {
			t.Fatal("the account page has no change-password form")
		}
		resp, page := b.submit("/account", "/account/password", url.Values{"password_current": {"not my password"}, "password_new": {"1234567890"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `href="#f-password-current"`) || !strings.Contains(page, `href="#f-password-new"`) {
			t.Fatalf("wrong current and common new password: %d\n%s", resp.StatusCode, page)
		}
		if resp := st.browser().login("anna@example.nl", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("a refused change changed the password: %d", resp.StatusCode)
		}
		resp, page = b.submit("/account", "/account/password", url.Values{"password_current": {"correct horse battery"}, "password_new": {"a new and long passphrase"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("change: %d\n%s", resp.StatusCode, page)
		}
		if _, m := st.mailLink(2); m.EnvelopeTo[0] != "anna@example.nl" || !strings.Contains(m.Subject, "wachtwoord") {
			t.Fatalf("notice: to %v %q", m.EnvelopeTo, m.Subject)
		}
		if resp, _ := b.get("/account"); resp.StatusCode != http.StatusOK {
			t.Fatalf("the session the change was made in ended: %d", resp.StatusCode)
		}
		if resp, _ := other.get("/account"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("another session outlived the change: %d", resp.StatusCode)
		}
		st.clock.Advance(15 * time.Minute) // the login limits fill up again
		if resp := st.browser().login("anna@example.nl", "correct horse battery"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the old password still works: %d", resp.StatusCode)
		}
		if resp := st.browser().login("anna@example.nl", "a new and long passphrase"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the new password does not work: %d", resp.StatusCode)
		}
		st.log.AssertNoValues(t, "a new and long passphrase", "not my password")
	})
}

// TestAPIRefusesOtherContentTypes: a JSON API body must say it is JSON;
// anything else is 415 and changes nothing (ASVS 13.1.5, 13.2.5), which
// also keeps a cross-site text/plain form post out.
func TestAPIRefusesOtherContentTypes(t *testing.T) {
	st := newSite(t, testkit.SQLite(t), "zorginspirator")
	body := `{"email":"z@example.nl","password":"long enough pw","fields":{"account":{"username":"zee"},"profile":{"age":"34","postcode":"1234ab"}}}`
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"} {
		req, _ := http.NewRequest("POST", st.srv.URL+"/api/v1/signup", strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, raw := st.browser().do(req)
		if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(raw, `"unsupported_media_type"`) {
			t.Errorf("Content-Type %q: %d %s, want 415", ct, resp.StatusCode, raw)
		}
	}
	if _, err := st.store.AccountByEmail(t.Context(), "z@example.nl"); err == nil {
		t.Fatal("a refused body created an account")
	}
	req, _ := http.NewRequest("POST", st.srv.URL+"/api/v1/signup", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if resp, raw := st.browser().do(req); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("application/json with a charset: %d %s", resp.StatusCode, raw)
	}
}

// TestStaticServesFilesNotListings: /static/ serves its files and answers
// 404 for a directory instead of listing it.
func TestStaticServesFilesNotListings(t *testing.T) {
	st := newSite(t, testkit.SQLite(t), "ivm")
	b := st.browser()
	for _, p := range []string{"/static/", "/static/?C=M"} {
		if resp, body := b.get(p); resp.StatusCode != http.StatusNotFound || strings.Contains(body, `href="style.css"`) {
			t.Errorf("%s: %d, want 404 without a listing", p, resp.StatusCode)
		}
	}
	if resp, body := b.get("/static/style.css"); resp.StatusCode != http.StatusOK || body == "" {
		t.Fatalf("/static/style.css: %d", resp.StatusCode)
	}
}

// TestFailedLoginLoggedByAccountID: a wrong password for an existing
// account is a log line with the account id — never the address or the
// password typed (ASVS 7.1.3, 7.2.1); an unknown address names no account.
func TestFailedLoginLoggedByAccountID(t *testing.T) {
	st := newSite(t, testkit.SQLite(t), "ivm")
	b := st.browser()
	st.signUpAndConfirm(b, "anna@example.nl")
	a, err := st.store.AccountByEmail(t.Context(), "anna@example.nl")
	if err != nil {
		t.Fatal(err)
	}
	if resp := st.browser().login("anna@example.nl", "not the password"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	st.browser().login("nobody@example.nl", "not the password")
	logged := 0
	for _, line := range strings.Split(st.log.String(), "\n") {
		if strings.Contains(line, "login failed") {
			logged++
			if !strings.Contains(line, a.ID) {
				t.Errorf("failed login logged without the account id: %s", line)
			}
		}
	}
	if logged != 1 {
		t.Fatalf("%d failed-login lines, want 1 (the unknown address names no account):\n%s", logged, st.log)
	}
	st.log.AssertNoValues(t, "anna@example.nl", "nobody@example.nl", "not the password")
}
