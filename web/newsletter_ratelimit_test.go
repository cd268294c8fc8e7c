package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/testkit"
)

func newsletterForm(email string) url.Values {
	return url.Values{"consent": {"yes"}, "email": {email}, "first_name": {"Anna"}, "last_name": {"de Vries"},
		"job_title": {"apotheker"}, "sector": {"zorg"}}
}

// TestNewsletterFormLimited: every accepted newsletter sign-up mails its
// address a confirmation link, so the form is limited per address (three,
// then one per 20 minutes, from however many clients) and per client
// (five, then one per 12 minutes) with the answer the account forms give:
// 429 "try again in N minutes", nothing stored, no mail. With time (the
// injected clock) each limit lifts.
func TestNewsletterFormLimited(t *testing.T) {
	s := testkit.SQLite(t)
	st := newSite(t, s, "ivm", behindProxy(t))
	b := st.browser()
	ctx := context.Background()

	// delivered sends what is due and counts the mails addr received; a
	// new sign-up drops the previous link's mail if it is still unsent.
	delivered := func(addr string) int {
		t.Helper()
		if _, err := st.mail.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range st.smtp.Messages() {
			if m.EnvelopeTo[0] == addr {
				n++
			}
		}
		return n
	}

	t.Run("per_address", func(t *testing.T) {
		for i := range 3 {
			if resp, body := b.postFrom("198.51.100."+strconv.Itoa(i+1), "/newsletter", newsletterForm("inbox@example.org")); resp.StatusCode != 200 {
				t.Fatalf("sign-up %d: %d\n%s", i+1, resp.StatusCode, body)
			}
			delivered("inbox@example.org")
		}
		resp, body := b.postFrom("198.51.100.4", "/newsletter", newsletterForm("Inbox@Example.org"))
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "over 20 minuten") {
			t.Fatalf("fourth sign-up for one address from a fourth client: %d, want 429 'probeer het over 20 minuten opnieuw'\n%s", resp.StatusCode, body)
		}
		if n := delivered("inbox@example.org"); n != 3 {
			t.Fatalf("%d confirmation mails, want 3", n)
		}
		st.clock.Advance(20 * time.Minute)
		if resp, body := b.postFrom("198.51.100.5", "/newsletter", newsletterForm("inbox@example.org")); resp.StatusCode != 200 {
			t.Fatalf("after 20 minutes: %d\n%s", resp.StatusCode, body)
		}
		if n := delivered("inbox@example.org"); n != 4 {
			t.Fatalf("%d confirmation mails, want 4", n)
		}
	})

	t.Run("per_client", func(t *testing.T) {
		const client = "203.0.113.9"
		for i := range 5 {
			if resp, body := b.postFrom(client, "/newsletter", newsletterForm("reader"+strconv.Itoa(i)+"@example.org")); resp.StatusCode != 200 {
				t.Fatalf("sign-up %d: %d\n%s", i+1, resp.StatusCode, body)
			}
		}
		resp, body := b.postFrom(client, "/newsletter?lang=en", newsletterForm("reader5@example.org"))
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "try again in 12 minutes") {
			t.Fatalf("sixth sign-up from one client: %d, want 429 'try again in 12 minutes'\n%s", resp.StatusCode, body)
		}
		if _, err := s.NewsletterByEmail(ctx, "reader5@example.org"); err == nil || mailsTo(t, s, "reader5@example.org") != 0 {
			t.Fatalf("a refused sign-up was stored or mailed (%v)", err)
		}
		// Another client is not held up.
		if resp, body := b.postFrom("203.0.113.10", "/newsletter", newsletterForm("reader5@example.org")); resp.StatusCode != 200 {
			t.Fatalf("another client: %d\n%s", resp.StatusCode, body)
		}
		st.clock.Advance(12 * time.Minute)
		if resp, body := b.postFrom(client, "/newsletter", newsletterForm("reader6@example.org")); resp.StatusCode != 200 {
			t.Fatalf("after 12 minutes: %d\n%s", resp.StatusCode, body)
		}
	})
}
