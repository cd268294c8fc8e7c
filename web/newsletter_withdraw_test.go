package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"steward/consent"
	"steward/internal/testkit"
	"steward/store"
)

// newsletterSignUp signs email up on /newsletter and confirms it with the
// link from the mail, as the person would; it returns the sign-up's id.
func (st *site) newsletterSignUp(b *browser, email, first string) string {
	st.t.Helper()
	if _, err := st.mail.DeliverDue(context.Background()); err != nil {
		st.t.Fatal(err)
	}
	form := url.Values{"consent": {"yes"}, "email": {email}, "first_name": {first}, "last_name": {"Jansen"},
		"job_title": {"apotheker"}, "sector": {"zorg"}}
	if resp, body := b.post("/newsletter", form); resp.StatusCode != 200 {
		st.t.Fatalf("newsletter sign-up of %s: %d\n%s", email, resp.StatusCode, body)
	}
	link, m := st.mailLink(len(st.smtp.Messages()) + 1)
	if m.EnvelopeTo[0] != email {
		st.t.Fatalf("confirmation went to %v, want %s", m.EnvelopeTo, email)
	}
	if resp, body := b.follow(link, nil); resp.StatusCode != 200 {
		st.t.Fatalf("confirm %s: %d\n%s", email, resp.StatusCode, body)
	}
	sub, err := st.store.NewsletterByEmail(context.Background(), email)
	if err != nil {
		st.t.Fatal(err)
	}
	return sub.ID
}

// TestNewsletterWithdrawalStopsQueuedIssue: an issue is queued for three
// people whose consent stands; one of them then stops the newsletter
// through a real path — the one-click unsubscribe link of the queued mail
// (RFC 8058), the consent settings page, or a restriction of processing
// on My data (Art. 18) — before the dispatcher gets to the bulk mail.
// The dispatcher then delivers the issue to the other two only, and
// nothing of it is left for the third (R2: "to everyone whose consent
// stands at the moment of sending"; Art. 7(3); Z8).
func TestNewsletterWithdrawalStopsQueuedIssue(t *testing.T) {
	for _, how := range []string{"one_click_unsubscribe", "settings_page", "restriction"} {
		t.Run(how, func(t *testing.T) {
			testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				st, nl := newsletterSite(t, s)
				// Anna has an account and subscribes in her consent
				// settings; Piet and Kees sign up without an account.
				anna := st.browser()
				st.signUpAndConfirm(anna, "anna-"+how+"@example.nl")
				anna.login("anna-"+how+"@example.nl", "correct horse battery")
				if resp, body := anna.submit("/account/consents", "/account/consents", url.Values{"purpose": {"newsletter"}, "given": {"1"}}); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("subscribe in settings: %d\n%s", resp.StatusCode, body)
				}
				acct, err := s.AccountByEmail(ctx, "anna-"+how+"@example.nl")
				if err != nil {
					t.Fatal(err)
				}
				piet := st.newsletterSignUp(st.browser(), "piet-"+how+"@example.org", "Piet")
				st.newsletterSignUp(st.browser(), "kees-"+how+"@example.org", "Kees")
				before := len(st.smtp.Messages())

				rep, err := nl.Send(ctx, consent.Issue{Subject: "Nieuws " + how, Body: "Hallo", Lang: "nl"}, 0, nil)
				if err != nil || rep.Enqueued != 3 {
					t.Fatalf("send: %+v %v; want 3 queued", rep, err)
				}

				var gone, goneAddr string
				switch how {
				case "one_click_unsubscribe":
					gone, goneAddr = piet, "piet-"+how+"@example.org"
					// The link is the one in the queued mail's header.
					queued, err := s.OutboxList(ctx, store.OutboxFilter{Status: store.MailPending})
					if err != nil {
						t.Fatal(err)
					}
					i := slices.IndexFunc(queued, func(m store.OutboxMail) bool { return m.SubjectID == piet && m.Kind == "newsletter" })
					if i < 0 {
						t.Fatalf("no queued issue for Piet: %+v", queued)
					}
					unsub := strings.Trim(queued[i].Headers["List-Unsubscribe"], "<>")
					resp, err := http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
					if err != nil || resp.StatusCode != 200 {
						t.Fatalf("one-click unsubscribe: %v %v", resp, err)
					}
					resp.Body.Close()
				case "settings_page":
					gone, goneAddr = acct.ID, acct.Email
					if resp, body := anna.submit("/account/consents", "/account/consents", url.Values{"purpose": {"newsletter"}, "given": {"0"}}); resp.StatusCode != http.StatusSeeOther {
						t.Fatalf("withdraw in settings: %d\n%s", resp.StatusCode, body)
					}
				case "restriction":
					gone, goneAddr = acct.ID, acct.Email
					if resp, body := anna.submit("/account/data", "/account/data/restrict", url.Values{"reason": {"Mijn functie klopt niet"}}); resp.StatusCode != http.StatusSeeOther {
						t.Fatalf("restrict: %d\n%s", resp.StatusCode, body)
					}
				}

				if _, err := st.mail.DeliverDue(ctx); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, m := range st.smtp.Messages()[before:] {
					if m.Subject != "Nieuws "+how {
						continue
					}
					got = append(got, m.EnvelopeTo[0])
				}
				slices.Sort(got)
				want := []string{"kees-" + how + "@example.org", "piet-" + how + "@example.org", "anna-" + how + "@example.nl"}
				want = slices.DeleteFunc(want, func(a string) bool { return a == goneAddr })
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("the issue went to %v, want %v (not to the person who stopped it)", got, want)
				}
				var left int
				if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE subject_id = $1 AND kind = 'newsletter'`, gone).Scan(&left); err != nil {
					t.Fatal(err)
				}
				if left != 0 {
					t.Errorf("%d newsletter mails of the person who stopped it are still in the outbox", left)
				}
			})
		})
	}
}
