package consent_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"steward"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

// TestNewsletterSignUpAgain: signing up again (R2 double opt-in, issue 6
// item 5). A confirmation link used after its week is refused with a
// message that says so, and changes nothing; signing up again sends a
// fresh single-use link, voids the old one and drops its unsent mail; a
// confirmed, standing subscription gets no mail and no change; after an
// unsubscribe, signing up again and confirming records a fresh consent
// with the notice shown at that sign-up.
func TestNewsletterSignUpAgain(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, clk := newService(t, s, "ivm")
		nl := newsletter(svc, s, clk)
		form := func(email, first string) map[string]string {
			return map[string]string{"email": email, "first_name": first, "last_name": "de Vries", "job_title": "apotheker", "sector": "zorg"}
		}
		// confirmMails returns the links of the confirmation mails of
		// subject in the outbox, oldest first.
		confirmMails := func(subject string) []string {
			t.Helper()
			rows, err := s.Read().QueryContext(ctx, `SELECT text_body FROM outbox WHERE subject_id = $1 AND kind = 'newsletter_confirm' ORDER BY id`, subject)
			must(t, err)
			defer rows.Close()
			var out []string
			for rows.Next() {
				var body string
				must(t, rows.Scan(&body))
				m := confirmTokenRE.FindStringSubmatch(body)
				if m == nil {
					t.Fatalf("no link in %q", body)
				}
				tok, _ := url.QueryUnescape(m[1])
				out = append(out, tok)
			}
			return out
		}
		// deliverAll marks the queued mail sent, as a dispatcher would.
		deliverAll := func() {
			t.Helper()
			must(t, s.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = 1, last_attempt_at = 1 WHERE status = 'pending'`)
				return err
			}))
		}

		id, err := nl.SignUp(ctx, form("anna@example.org", "Anna"), "nl")
		must(t, err)
		links := confirmMails(id)
		if id == "" || len(links) != 1 {
			t.Fatalf("first sign-up: id %q, %d mails", id, len(links))
		}
		expired := links[0]
		deliverAll()

		// A week and a day later the link has expired: a clear refusal,
		// nothing confirmed, no consent.
		clk.Advance(consent.ConfirmLifetime + 24*time.Hour)
		_, err = nl.Confirm(ctx, expired)
		if steward.ErrorCode(err) != steward.EINVALID || steward.ErrorKey(err) != "error.newsletter_link_expired" {
			t.Fatalf("expired link: %v; want EINVALID error.newsletter_link_expired", err)
		}
		if sub, _ := s.NewsletterByID(ctx, id); sub.ConfirmedAt != nil {
			t.Fatal("an expired link confirmed the sign-up")
		}
		if h, _ := svc.History(ctx, id); len(h) != 0 {
			t.Fatalf("an expired link wrote consent: %+v", h)
		}

		// Signing up again (the address in another case) renews the same
		// sign-up with a fresh link.
		again, err := nl.SignUp(ctx, form("Anna@Example.org", "Anna"), "nl")
		must(t, err)
		links = confirmMails(id)
		if again != id || len(links) != 2 || links[1] == expired {
			t.Fatalf("sign-up after expiry: id %q (want %q), links %d", again, id, len(links))
		}
		second := links[1]
		// Once more before using it: the second link is void, and its
		// mail, not yet sent, is dropped.
		clk.Advance(time.Hour)
		_, err = nl.SignUp(ctx, form("anna@example.org", "Anna"), "nl")
		must(t, err)
		links = confirmMails(id)
		if len(links) != 2 || links[0] != expired || links[1] == second {
			t.Fatalf("after a third sign-up the outbox holds %d confirmation mails; want the sent one and only the newest unsent", len(links))
		}
		third := links[1]
		for _, old := range []string{expired, second} {
			if _, err := nl.Confirm(ctx, old); steward.ErrorCode(err) != steward.EINVALID {
				t.Fatalf("a replaced link: %v; want EINVALID", err)
			}
		}
		deliverAll()
		clk.Advance(time.Hour)
		if _, err := nl.Confirm(ctx, third); err != nil {
			t.Fatalf("the newest link: %v", err)
		}
		if ok, _, _ := nl.Gate.Allowed(ctx, id, consent.NewsletterPurpose); !ok {
			t.Fatal("not subscribed after confirming the newest link")
		}

		// Subscribed: a new submission sends nothing and changes nothing.
		before, _ := s.NewsletterByID(ctx, id)
		got, err := nl.SignUp(ctx, form("anna@example.org", "Mallory"), "en")
		must(t, err)
		after, _ := s.NewsletterByID(ctx, id)
		if got != "" || len(confirmMails(id)) != 2 || after.Fields != before.Fields || after.Lang != before.Lang || !after.CreatedAt.Equal(before.CreatedAt) {
			t.Fatalf("sign-up while subscribed: id %q, %d confirmation mails, %+v -> %+v; want nothing", got, len(confirmMails(id)), before, after)
		}

		// Unsubscribe, then sign up again under a changed notice, in
		// English, with another first name; the new link records a fresh
		// consent with the notice shown now.
		clk.Advance(24 * time.Hour)
		_, err = nl.Unsubscribe(ctx, nl.UnsubscribeToken(id), "nl")
		must(t, err)
		purpose := svc.Policy.Purpose(consent.NewsletterPurpose)
		purpose.Consent.Notice = policy.Text{NL: "Ja, stuur me de nieuwe nieuwsbrief.", EN: "Yes, send me the new newsletter."}
		clk.Advance(time.Hour)
		got, err = nl.SignUp(ctx, form("anna@example.org", "Annie"), "en")
		must(t, err)
		links = confirmMails(id)
		if got != id || len(links) != 3 {
			t.Fatalf("sign-up after unsubscribing: id %q, %d confirmation mails; want a new link", got, len(links))
		}
		if ok, _, _ := nl.Gate.Allowed(ctx, id, consent.NewsletterPurpose); ok {
			t.Fatal("signing up again gave consent before confirmation")
		}
		clk.Advance(time.Hour)
		confirmedAt := clk.Now()
		if _, err := nl.Confirm(ctx, links[2]); err != nil {
			t.Fatal(err)
		}
		h, err := svc.History(ctx, id)
		must(t, err)
		if len(h) != 3 || !h[0].Given || h[1].Given || !h[2].Given {
			t.Fatalf("history %+v; want given, withdrawn, given", h)
		}
		r := h[2]
		if r.NoticeHash != consent.NoticeHash("Yes, send me the new newsletter.") || r.Channel != policy.ChannelNewsletter || !r.At.Equal(confirmedAt) {
			t.Errorf("fresh record %+v; want channel newsletter_form at confirmation with the notice shown at the new sign-up", r)
		}
		if h[0].NoticeHash == r.NoticeHash {
			t.Error("the fresh record kept the first sign-up's notice")
		}
		sub, _ := s.NewsletterByID(ctx, id)
		var fields map[string]string
		must(t, json.Unmarshal([]byte(sub.Fields), &fields))
		if fields["first_name"] != "Annie" || sub.Lang != "en" || sub.ConfirmedAt == nil || !sub.ConfirmedAt.Equal(confirmedAt) {
			t.Errorf("sign-up after confirming again: %+v", sub)
		}
		if ok, _, _ := nl.Gate.Allowed(ctx, id, consent.NewsletterPurpose); !ok {
			t.Error("not subscribed after confirming again")
		}
		// One sign-up per address throughout.
		var n int
		must(t, s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM newsletter_subscriptions`).Scan(&n))
		if n != 1 {
			t.Errorf("%d sign-ups, want 1", n)
		}
	})
}
