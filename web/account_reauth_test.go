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

// TestDangerousActionsAskForTheLoginAgain (issue 13): erasing the account,
// downloading the export and showing the BIG number need a login within
// the last 15 minutes, the one re-authentication staff actions use; older,
// they lead to the login page, which returns to the action. Erasing
// without the box ticked shows the form again with the error next to the
// box, and erases nothing.
func TestDangerousActionsAskForTheLoginAgain(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "anna@example.nl")
		b.loginAgain(t)
		if resp, _ := b.submit("/account", "/account", url.Values{"lms_account.register_number": {"12345678901"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("profile edit: %d", resp.StatusCode)
		}
		st.clock.Advance(16 * time.Minute)

		wantReauth := func(what string, resp *http.Response, next string) {
			t.Helper()
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?reauth=1&next="+url.QueryEscape(next)) {
				t.Fatalf("%s after 16 minutes: %d %q, want 303 to the login with next=%s", what, resp.StatusCode, loc, next)
			}
		}
		resp, _ := b.get("/account/data/export")
		wantReauth("export", resp, "/account/data/export")
		resp, _ = b.get("/account/data/erase")
		wantReauth("erasure form", resp, "/account/data/erase")
		csrf := b.csrf("/account")
		req, _ := http.NewRequest("POST", b.base+"/account/reveal", strings.NewReader(url.Values{"csrf": {csrf}, "field": {"lms_account.register_number"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", b.base+"/account")
		resp, page := b.do(req)
		wantReauth("reveal", resp, "/account")
		if strings.Contains(page, "12345678901") {
			t.Fatal("a stale session was shown the BIG number")
		}
		resp, _ = b.post("/account/data/erase", url.Values{"csrf": {csrf}, "confirm": {"yes"}})
		wantReauth("erasure", resp, "")
		if _, err := s.AccountByEmail(t.Context(), "anna@example.nl"); err != nil {
			t.Fatalf("a stale session erased the account: %v", err)
		}

		// The password again: the login returns to the export, which works.
		resp, _ = b.submit("/login?reauth=1&next=%2Faccount%2Fdata%2Fexport", "/login", url.Values{"email": {"anna@example.nl"},
			"password": {"correct horse battery"}, "next": {"/account/data/export"}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/account/data/export" {
			t.Fatalf("re-authentication: %d %q", resp.StatusCode, loc)
		}
		if resp, _ := b.get("/account/data/export"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("export after re-authentication: %d", resp.StatusCode)
		}
		if _, page := b.submit("/account", "/account/reveal", url.Values{"field": {"lms_account.register_number"}}); !strings.Contains(page, "12345678901") {
			t.Fatal("reveal after re-authentication did not show the BIG number")
		}

		// The box not ticked: the form again, the error at the box.
		_, form := b.get("/account/data/erase")
		if !strings.Contains(form, `class="danger"`) {
			t.Fatal("the erase button is not styled as destructive")
		}
		resp, page = b.submit("/account/data/erase", "/account/data/erase", url.Values{})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="f-confirm-error"`) || !strings.Contains(page, `aria-invalid="true"`) ||
			!strings.Contains(page, `action="/account/data/erase"`) || !strings.Contains(page, "tick the box") && !strings.Contains(page, "vink") {
			t.Fatalf("erase without the box: %d, want the form again with the error at the box:\n%s", resp.StatusCode, page)
		}
		if _, err := s.AccountByEmail(t.Context(), "anna@example.nl"); err != nil {
			t.Fatalf("erase without the box erased the account: %v", err)
		}
		if resp, body := b.submit("/account/data/erase", "/account/data/erase", url.Values{"confirm": {"yes"}}); resp.StatusCode != 200 {
			t.Fatalf("erase: %d\n%s", resp.StatusCode, body)
		}
		if _, err := s.AccountByEmail(t.Context(), "anna@example.nl"); err == nil {
			t.Fatal("the account is still there after erasure")
		}
	})
}
