package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// TestStaffFindsNewsletterOnlySignUp (issue 13): the staff lookup by
// e-mail address finds a newsletter sign-up without an account — whether
// it was confirmed and whether the newsletter still goes to it — and
// records the view like an account's (R12), by ids and field names.
func TestStaffFindsNewsletterOnlySignUp(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st, nl := newsletterSite(t, s)
		b := st.browser()
		form := url.Values{"email": {"piet@example.org"}, "first_name": {"Piet"}, "last_name": {"Jansen"}, "job_title": {"apotheker"},
			"sector": {"zorg"}, "consent": {"yes"}}
		if resp, body := b.post("/newsletter", form); resp.StatusCode != 200 {
			t.Fatalf("sign-up: %d %s", resp.StatusCode, body)
		}
		link, _ := st.mailLink(1)
		if resp, body := b.follow(link, nil); resp.StatusCode != 200 {
			t.Fatalf("confirm as mailed: %d\n%s", resp.StatusCode, body)
		}
		n, err := s.NewsletterByEmail(ctx, "piet@example.org")
		if err != nil {
			t.Fatal(err)
		}
		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		dd := regexp.MustCompile(`<dt>([^<]+)</dt><dd>([^<]+)</dd>`)
		find := func(email string) map[string]string {
			t.Helper()
			resp, page := support.submit("/staff/", "/staff/", url.Values{"email": {email}})
			if resp.StatusCode != 200 {
				t.Fatalf("lookup %s: %d", email, resp.StatusCode)
			}
			got := map[string]string{}
			if i := strings.Index(page, `id="signup"`); i >= 0 {
				for _, m := range dd.FindAllStringSubmatch(page[i:], -1) {
					got[m[1]] = m[2]
				}
			} else if !strings.Contains(page, "Dit adres heeft ook geen aanmelding voor de nieuwsbrief.") {
				t.Fatalf("lookup %s says nothing about a sign-up:\n%s", email, page)
			}
			return got
		}
		since := testkit.AuditHead(t, s)
		got := find("Piet@Example.org")
		if got["Aanmelding"] != n.ID || got["Aanmelding bevestigd"] != "ja" || got["Ontvangt de nieuwsbrief"] != "ja" {
			t.Fatalf("lookup of a subscribed sign-up: %v", got)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.StaffView, Actor: staffID(t, s, "support@example.org"),
			ObjectID: n.ID, Fields: []string{"newsletter_subscription.confirmed_at", "newsletter_subscription.email", "newsletter_subscription.id", "newsletter_subscription.subscribed"}})

		if _, err := nl.Unsubscribe(ctx, nl.UnsubscribeToken(n.ID), "nl"); err != nil {
			t.Fatal(err)
		}
		if got := find("piet@example.org"); got["Ontvangt de nieuwsbrief"] != "nee" {
			t.Fatalf("lookup after unsubscribe: %v", got)
		}
		if got := find("nobody@example.org"); len(got) != 0 {
			t.Fatalf("lookup of an unknown address: %v", got)
		}
		testkit.AssertNoPersonalValues(t, s, "piet@example.org", "Piet", "Jansen")
	})
}
