package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// TestAuditEntriesCarryTheRequestID: an audit entry written while a page
// request is handled carries that request's X-Request-Id (issue 5), both
// where the web layer appends it (a profile edit) and where a domain
// records through audit.Log (a consent change), on both stores.
func TestAuditEntriesCarryTheRequestID(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "anna@example.org")
		if resp := b.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		for _, tc := range []struct {
			name, page string
			form       url.Values
			action     audit.Action
		}{
			{"profile", "/account", url.Values{"account.first_name": {"Annie"}}, audit.ProfileUpdate},
			{"consent", "/account/consents", url.Values{"purpose": {"newsletter"}, "given": {"1"}}, audit.ConsentGive},
		} {
			since := testkit.AuditHead(t, s)
			resp, body := b.submit(tc.page, tc.page, tc.form)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: %d\n%s", tc.name, resp.StatusCode, body)
			}
			rid := resp.Header.Get("X-Request-Id")
			got := testkit.AuditSince(t, s, since)
			if rid == "" || len(got) != 1 || got[0].Action != tc.action || got[0].RequestID != rid {
				t.Fatalf("%s: X-Request-Id %q, entries %+v; want one %s entry with that request id", tc.name, rid, got, tc.action)
			}
		}
	})
}

// TestPersonalPagesAreNotCached: every response under /account and
// /staff/ — pages, the revealed BIG number, errors — and of the API says
// Cache-Control: no-store, so no browser or proxy keeps personal data
// (R12); public pages keep their own caching.
func TestPersonalPagesAreNotCached(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.loggedInPerson("anna@example.org")
		if resp, _ := b.submit("/account", "/account", url.Values{"lms_account.register_number": {"12345678901"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("store a BIG number: %d", resp.StatusCode)
		}
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		id := personID(t, s, "anna@example.org")

		// check fetches path, or with a form posts it with the token of
		// the page the form is on.
		check := func(who *browser, method, path string, form url.Values, status int) {
			t.Helper()
			var resp *http.Response
			switch method {
			case "GET":
				resp, _ = who.get(path)
			case "POST /account":
				resp, _ = who.submit("/account", path, form)
			case "POST /staff/":
				resp, _ = who.submit("/staff/", path, form)
			}
			if resp.StatusCode != status {
				t.Errorf("%s %s: %d, want %d", method, path, resp.StatusCode, status)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s %s: Cache-Control %q, want no-store", method, path, got)
			}
		}
		check(b, "GET", "/account", nil, http.StatusOK)
		check(b, "POST /account", "/account/reveal", url.Values{"field": {"lms_account.register_number"}}, http.StatusOK)
		check(b, "GET", "/account/data", nil, http.StatusOK)
		check(b, "GET", "/account/consents", nil, http.StatusOK)
		check(b, "GET", "/account/data/requests/req_nope", nil, http.StatusNotFound)
		check(b, "GET", "/api/v1/profile", nil, http.StatusOK)
		check(officer, "GET", "/staff/", nil, http.StatusOK)
		check(officer, "GET", "/staff/people/"+id, nil, http.StatusOK)
		check(officer, "POST /staff/", "/staff/", url.Values{"email": {"anna@example.org"}}, http.StatusOK)
		check(officer, "GET", "/staff/requests", nil, http.StatusOK)
		check(st.browser(), "GET", "/staff/", nil, http.StatusSeeOther)

		for path, want := range map[string]string{"/privacy/statement.css": "public, max-age=3600", "/privacy": "", "/": "", "/login": ""} {
			if resp, _ := st.browser().get(path); resp.Header.Get("Cache-Control") != want {
				t.Errorf("%s: Cache-Control %q, want %q", path, resp.Header.Get("Cache-Control"), want)
			}
		}
	})
}
