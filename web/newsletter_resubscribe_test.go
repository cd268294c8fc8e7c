package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/store"
)

// TestNewsletterSignUpAgainSameAnswer: the newsletter form answers a new
// address, one whose sign-up is unconfirmed, one that is subscribed and
// one that unsubscribed exactly alike (no enumeration); all but the
// subscribed one get a fresh confirmation link, the subscribed one gets
// no mail. A link used after it expired is refused with a message that
// says so, and confirms nothing.
func TestNewsletterSignUpAgainSameAnswer(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st, nl := newsletterSite(t, s)
		b := st.browser()
		post := func(email string) (*http.Response, string) {
			t.Helper()
			// One sign-up per 12 minutes keeps this client under the
			// per-client limit of the form.
			st.clock.Advance(12 * time.Minute)
			return b.post("/newsletter", url.Values{"consent": {"yes"}, "email": {email}, "first_name": {"Anna"}, "last_name": {"de Vries"},
				"job_title": {"apotheker"}, "sector": {"zorg"}})
		}
		if resp, body := post("pending@example.org"); resp.StatusCode != 200 {
			t.Fatalf("sign-up: %d\n%s", resp.StatusCode, body)
		}
		st.clock.Advance(12 * time.Minute)
		st.newsletterSignUp(b, "active@example.org", "Anna")
		st.clock.Advance(12 * time.Minute)
		gone := st.newsletterSignUp(b, "gone@example.org", "Anna")
		resp, err := http.Post(nl.UnsubscribeURL(gone), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("unsubscribe: %v %v", resp, err)
		}
		resp.Body.Close()
		if _, err := st.mail.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		before := len(st.smtp.Messages())

		addrs := []string{"fresh@example.org", "pending@example.org", "active@example.org", "gone@example.org"}
		var first string
		for _, a := range addrs {
			resp, body := post(a)
			body = strings.ReplaceAll(body, a, "X")
			if resp.StatusCode != 200 {
				t.Fatalf("sign-up of %s: %d\n%s", a, resp.StatusCode, body)
			}
			if first == "" {
				first = body
			} else if body != first {
				t.Errorf("the answer for %s differs from the answer for a new address", a)
			}
		}
		if _, err := st.mail.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		var mailed []string
		links := map[string]string{}
		for _, m := range st.smtp.Messages()[before:] {
			mailed = append(mailed, m.EnvelopeTo[0])
			links[m.EnvelopeTo[0]] = linkRE.FindString(m.Text)
		}
		slices.Sort(mailed)
		if want := []string{"fresh@example.org", "gone@example.org", "pending@example.org"}; !slices.Equal(mailed, want) {
			t.Fatalf("confirmation mails went to %v, want %v (none to the subscribed address)", mailed, want)
		}

		// The fresh link of the unconfirmed sign-up, used after a week and
		// a day: refused, and it says why.
		st.clock.Advance(8 * 24 * time.Hour)
		resp, body := b.follow(links["pending@example.org"], nil)
		if want := "Deze bevestigingslink is verlopen"; resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Fatalf("expired link: %d, want 400 saying %q (in Dutch, the page's language)\n%s", resp.StatusCode, want, body)
		}
		if sub, err := s.NewsletterByEmail(ctx, "pending@example.org"); err != nil || sub.ConfirmedAt != nil {
			t.Fatalf("after an expired link: %+v %v; want still unconfirmed", sub, err)
		}
	})
}
