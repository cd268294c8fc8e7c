package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// changeEmail posts the profile page's change-of-address form.
func (b *browser) changeEmail(newEmail, password string) (*http.Response, string) {
	b.t.Helper()
	return b.submit("/account", "/account/email", url.Values{"email": {newEmail}, "password": {password}})
}

// confirmEmailChange follows a change link as a browser does: the page,
// then its button.
func (b *browser) confirmEmailChange(link string) (*http.Response, string) {
	b.t.Helper()
	return b.follow(link, nil)
}

func loggedIn(t *testing.T, st *site, email string) *browser {
	t.Helper()
	b := st.browser()
	if resp := b.login(email, "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d", email, resp.StatusCode)
	}
	return b
}

// TestEmailChange: a new login address takes effect only through the link
// sent to it (stored hashed, single use, expiring); until then the old one
// stays. On confirmation the other sessions end, the old address is told,
// and the change is audited by field name only. An address already in use
// gets the same answer and its owner a mail (no enumeration).
func TestEmailChange(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		count := func(t *testing.T, q string, args ...any) int {
			t.Helper()
			var n int
			if err := s.Read().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		t.Run("confirmed_by_the_link", func(t *testing.T) {
			st := newSite(t, s, "ivm")
			st.signUpAndConfirm(st.browser(), "anna@example.nl")
			a, _ := s.AccountByEmail(ctx, "anna@example.nl")
			here, elsewhere := loggedIn(t, st, "anna@example.nl"), loggedIn(t, st, "anna@example.nl")
			since := testkit.AuditHead(t, s)
			sent := len(st.smtp.Messages())

			// Wrong password or a bad address: the form again, nothing stored.
			for _, tc := range []struct{ email, password, anchor string }{
				{"anna.nieuw@example.nl", "not my password", `href="#f-current-password"`},
				{"not an address", "correct horse battery", `href="#f-new-email"`},
				{"ANNA@example.nl", "correct horse battery", `href="#f-new-email"`},
			} {
				resp, body := here.changeEmail(tc.email, tc.password)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.anchor) {
					t.Fatalf("%s: %d, want 400 with an error linked to the field\n%s", tc.email, resp.StatusCode, body)
				}
			}
			if n := count(t, `SELECT COUNT(*) FROM email_changes`); n != 0 {
				t.Fatalf("refused requests stored %d changes", n)
			}

			if resp, body := here.changeEmail("Anna.Nieuw@Example.NL", "correct horse battery"); resp.StatusCode != 200 {
				t.Fatalf("request: %d\n%s", resp.StatusCode, body)
			}
			link, m := st.mailLink(sent + 1)
			if m.EnvelopeTo[0] != "Anna.Nieuw@example.nl" || !strings.HasPrefix(link, st.srv.URL+"/account/email/confirm?token=") {
				t.Fatalf("link mail to %v: %s", m.EnvelopeTo, link)
			}
			token := link[strings.Index(link, "token=")+len("token="):]
			if n := count(t, `SELECT COUNT(*) FROM email_changes WHERE hash = $1`, token); n != 0 {
				t.Fatal("the link's secret is stored in plaintext")
			}
			// Until the link is followed the old address stays.
			if got, _ := s.AccountByID(ctx, a.ID); got.Email != "anna@example.nl" {
				t.Fatalf("address changed before confirmation: %s", got.Email)
			}
			if _, page := here.get("/account"); !strings.Contains(page, "anna@example.nl") {
				t.Fatal("profile does not show the old address while the change waits")
			}

			if resp, body := here.confirmEmailChange(link); resp.StatusCode != 200 {
				t.Fatalf("confirm: %d\n%s", resp.StatusCode, body)
			}
			if got, _ := s.AccountByID(ctx, a.ID); got.Email != "Anna.Nieuw@example.nl" {
				t.Fatalf("after confirmation the address is %s", got.Email)
			}
			if resp, page := here.get("/account"); resp.StatusCode != 200 || !strings.Contains(page, "Anna.Nieuw@example.nl") {
				t.Fatalf("the session the link was followed in: %d", resp.StatusCode)
			}
			if resp, _ := elsewhere.get("/account"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("another session survived the change: %d", resp.StatusCode)
			}
			_, notice := st.mailLink(sent + 2)
			if notice.EnvelopeTo[0] != "anna@example.nl" || strings.Contains(notice.Text, "Nieuw") {
				t.Fatalf("notice to %v, or it names the new address:\n%s", notice.EnvelopeTo, notice.Text)
			}
			if resp, _ := here.confirmEmailChange(link); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("second use of the link: %d, want 400", resp.StatusCode)
			}
			if resp := st.browser().login("anna@example.nl", "correct horse battery"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("login with the old address: %d, want 401", resp.StatusCode)
			}
			loggedIn(t, st, "anna.nieuw@example.nl")
			testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ProfileUpdate,
				Actor: audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), ObjectID: a.ID, Fields: []string{"email"}})
			testkit.AssertNoPersonalValues(t, s, "anna@example.nl", "nieuw@example.nl")
			st.log.AssertNoValues(t, "anna@example.nl", "nieuw@example.nl", "correct horse battery")
		})

		t.Run("address_in_use_answers_the_same", func(t *testing.T) {
			st := newSite(t, s, "ivm")
			st.signUpAndConfirm(st.browser(), "carla@example.nl")
			st.signUpAndConfirm(st.browser(), "dirk@example.nl")
			c, _ := s.AccountByEmail(ctx, "carla@example.nl")
			b := loggedIn(t, st, "carla@example.nl")
			sent := len(st.smtp.Messages())
			free, freeBody := b.changeEmail("carla.free@example.nl", "correct horse battery")
			taken, takenBody := b.changeEmail("Dirk@example.nl", "correct horse battery")
			if free.StatusCode != 200 || taken.StatusCode != free.StatusCode || takenBody != freeBody {
				t.Fatalf("free address %d, address in use %d; the answers differ", free.StatusCode, taken.StatusCode)
			}
			st.mailLink(sent + 1)
			msgs := st.smtp.WaitFor(t, sent+2)
			owner := msgs[sent+1]
			if owner.EnvelopeTo[0] != "dirk@example.nl" || strings.Contains(owner.Text, "token=") {
				t.Fatalf("the owner of the address in use got %v:\n%s", owner.EnvelopeTo, owner.Text)
			}
			// Only the request for the free address waits; the address in
			// use is stored nowhere and changes nothing.
			if n := count(t, `SELECT COUNT(*) FROM email_changes WHERE account_id = $1`, c.ID); n != 1 {
				t.Fatalf("%d pending changes, want the free address's only", n)
			}
			if n := count(t, `SELECT COUNT(*) FROM email_changes WHERE new_email = 'Dirk@example.nl'`); n != 0 {
				t.Fatal("the address in use is stored as a pending change")
			}
			if got, _ := s.AccountByID(ctx, c.ID); got.Email != "carla@example.nl" {
				t.Fatalf("address changed to %s", got.Email)
			}
		})

		t.Run("link_expires", func(t *testing.T) {
			st := newSite(t, s, "ivm")
			st.signUpAndConfirm(st.browser(), "eva@example.nl")
			sent := len(st.smtp.Messages())
			if resp, _ := loggedIn(t, st, "eva@example.nl").changeEmail("eva.new@example.nl", "correct horse battery"); resp.StatusCode != 200 {
				t.Fatalf("request: %d", resp.StatusCode)
			}
			link, _ := st.mailLink(sent + 1)
			st.clock.Advance(25 * time.Hour)
			if resp, _ := st.browser().confirmEmailChange(link); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("expired link: %d, want 400", resp.StatusCode)
			}
			if a, err := s.AccountByEmail(ctx, "eva@example.nl"); err != nil || a == nil {
				t.Fatalf("old address lost after an expired link: %v", err)
			}
		})

		t.Run("api", func(t *testing.T) {
			st := newSite(t, s, "ivm")
			st.signUpAndConfirm(st.browser(), "finn@example.nl")
			b := st.browser()
			_, body := b.api("POST", "/api/v1/login", "", `{"email":"finn@example.nl","password":"correct horse battery"}`)
			bearer, _ := body["token"].(string)
			other := loggedIn(t, st, "finn@example.nl")
			if resp, body := b.api("POST", "/api/v1/email", bearer, `{"email":"finn.new@example.nl","password":"wrong wrong wrong"}`); resp.StatusCode != 400 || errCode(body) != "invalid" {
				t.Fatalf("wrong password: %d %v", resp.StatusCode, body)
			}
			if resp, body := b.api("POST", "/api/v1/email", bearer, `{"email":"finn.new@example.nl","password":"correct horse battery","extra":1}`); resp.StatusCode != 400 {
				t.Fatalf("unknown field: %d %v", resp.StatusCode, body)
			}
			sent := len(st.smtp.Messages())
			if resp, body := b.api("POST", "/api/v1/email", bearer, `{"email":"finn.new@example.nl","password":"correct horse battery","lang":"en"}`); resp.StatusCode != 202 {
				t.Fatalf("request: %d %v", resp.StatusCode, body)
			}
			link, _ := st.mailLink(sent + 1)
			token := link[strings.Index(link, "token=")+len("token="):]
			if resp, body := b.api("POST", "/api/v1/email/confirm", bearer, `{"token":"`+token+`"}`); resp.StatusCode != 200 || body["status"] != "email_changed" {
				t.Fatalf("confirm: %d %v", resp.StatusCode, body)
			}
			if resp, body := b.api("GET", "/api/v1/profile", bearer, ""); resp.StatusCode != 200 || body["email"] != "finn.new@example.nl" {
				t.Fatalf("the caller's own token after the change: %d %v", resp.StatusCode, body)
			}
			if resp, _ := other.get("/account"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("the page session survived: %d", resp.StatusCode)
			}
			if resp, body := b.api("POST", "/api/v1/email/confirm", "", `{"token":"`+token+`"}`); resp.StatusCode != 400 {
				t.Fatalf("reused token: %d %v", resp.StatusCode, body)
			}
		})
	})
}
