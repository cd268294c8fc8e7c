package desk_test

import (
	"context"
	"testing"

	"steward/internal/testkit"
	"steward/mail"
	"steward/store"
)

// TestRestrictionStopsQueuedNewsletterAtOnce: a newsletter issue queued
// for a person goes in the restriction's own transaction (Art. 18, Z8:
// processing stops at once), while their other mail stays.
func TestRestrictionStopsQueuedNewsletterAtOnce(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2026-11-24")
		for _, m := range []mail.Message{
			{Kind: mail.KindNewsletter, SubjectID: f.person.ID, To: f.person.Email, Subject: "Nieuws", Text: "Nieuws.", Bulk: true},
			{Kind: mail.KindReset, SubjectID: f.person.ID, To: f.person.Email, Subject: "Wachtwoord", Text: "Link."},
		} {
			if err := s.InTx(ctx, func(tx *store.Tx) error { _, err := mail.Enqueue(ctx, tx, f.clk.Now(), m); return err }); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.d.Restrict(ctx, f.person.ID, "the order amount is disputed", staff); err != nil {
			t.Fatal(err)
		}
		mails, err := s.OutboxList(ctx, store.OutboxFilter{Status: store.MailPending, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(mails) != 1 || mails[0].Kind != string(mail.KindReset) {
			t.Fatalf("pending mail after the restriction: %+v, want only the reset mail", mails)
		}
	})
}
