package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/internal/testkit"
	"steward/store"
)

// TestResetLinkAsMailed follows the password-reset link exactly as the
// mail gives it, sets a new password on the page it opens and logs in
// with it, in both languages, on both stores. Issue 13: the mail linked
// to /reset, which asks for an address again, and a test that rewrote
// the link to /reset/confirm hid it.
func TestResetLinkAsMailed(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		for _, lang := range []string{"nl", "en"} {
			t.Run(lang, func(t *testing.T) {
				st := newSite(t, s, "ivm")
				email := "reset-" + lang + "@example.nl"
				b := st.browser()
				st.signUpAndConfirm(b, email)
				page := "/reset"
				if lang != "nl" {
					page += "?lang=" + lang
				}
				if resp, body := b.submit(page, page, url.Values{"email": {email}}); resp.StatusCode != http.StatusOK {
					t.Fatalf("reset request: %d\n%s", resp.StatusCode, body)
				}
				link, m := st.mailLink(len(st.smtp.Messages()) + 1)
				if m.EnvelopeTo[0] != email {
					t.Fatalf("reset mail went to %v", m.EnvelopeTo)
				}
				if !strings.HasPrefix(link, st.srv.URL+"/") {
					t.Fatalf("reset link %s is not on the site %s", link, st.srv.URL)
				}
				resp, body := b.follow(link, url.Values{"password": {"a brand new password"}})
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("new password through the mailed link: %d\n%s", resp.StatusCode, body)
				}
				// The page says what comes next: a link to log in, in
				// the page's language (issue 13).
				if want := `<a class="button" href="/login` + strings.TrimPrefix(page, "/reset") + `">`; !strings.Contains(mainOf(t, body), want) {
					t.Fatalf("the page after the reset has no %s:\n%s", want, mainOf(t, body))
				}
				// The account is told, over SMTP, that its password
				// changed, with a way to react (issue 14, finding 7).
				notice, nm := st.mailLink(len(st.smtp.Messages()) + 1)
				if nm.EnvelopeTo[0] != email || !strings.HasPrefix(notice, st.srv.URL+"/reset") {
					t.Fatalf("after the reset %v got %q linking to %s; want the password notice to the account", nm.EnvelopeTo, nm.Subject, notice)
				}
				if resp := b.login(email, "correct horse battery"); resp.StatusCode == http.StatusSeeOther {
					t.Fatal("the old password still logs in after the reset")
				}
				if resp := b.login(email, "a brand new password"); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("login with the new password: %d", resp.StatusCode)
				}
				// The link is single use.
				if resp, _ := b.follow(link, url.Values{"password": {"yet another password"}}); resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("second use of the reset link: %d, want 400", resp.StatusCode)
				}
			})
		}
	})
}
