package desk_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/retention"
	"steward/retention/runner"
	"steward/store"
)

// Restriction of processing (Art. 18, Z8) set through the desk — the
// person's own action and staff's alike — makes the automated jobs pass the
// person by. These tests prove it per job on both stores: the newsletter
// send (through the purpose gate), and the retention runner (through
// retention.LegalHolds over the store's processing_limits and open requests). The
// panel export is proved in cmd/steward (restrict_test.go).

// TestNewsletterSendSkipsRestricted: two people consent to the newsletter,
// one restricts processing; a send mails only the other.
func TestNewsletterSendSkipsRestricted(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "zorginspirator", "2026-03-10")
		other := f.newPerson(t, "piet.pietersen@example.org")
		svc := consent.NewService(f.d.Policy, s, f.clk)
		for _, id := range []string{f.person.ID, other.ID} {
			if err := svc.Give(ctx, id, consent.NewsletterPurpose, policy.ChannelSignup, "nl"); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.d.Restrict(ctx, f.person.ID, "disputes the accuracy of their profile", audit.SubjectActor(audit.Pseudonym(f.person.Pseudonym))); err != nil {
			t.Fatal(err)
		}
		nl := &consent.Newsletter{Consent: svc, Gate: consent.NewGate(f.d.Policy, s), Clock: f.clk,
			BaseURL: "https://site.test", UnsubKey: []byte("0123456789abcdef0123456789abcdef")}
		if _, err := nl.Send(ctx, consent.Issue{Subject: "Nieuws", Body: "Hallo", Lang: "nl"}, 10, nil); err != nil {
			t.Fatal(err)
		}
		if got := mailedNewsletter(t, s); !slices.Equal(got, []string{other.ID}) {
			t.Fatalf("newsletter went to %v; only %s may get it, %s is restricted", got, other.ID, f.person.ID)
		}
	})
}

func mailedNewsletter(t *testing.T, s *store.Store) []string {
	t.Helper()
	rows, err := s.Read().Query(`SELECT subject_id FROM outbox WHERE kind = 'newsletter' ORDER BY subject_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestRetentionRunnerSkipsRestricted: two IVM accounts fall due under
// website_account_inactive (R9); the restricted one is held, with the
// reason in the report, and the other is deleted.
func TestRetentionRunnerSkipsRestricted(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2026-03-10")
		other := f.newPerson(t, "piet.pietersen@example.org")
		if err := f.d.Restrict(ctx, f.person.ID, "objects to the deletion date", staff); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(60 * 24 * time.Hour) // both are now more than a year without login
		eng, err := retention.New(f.d.Policy)
		if err != nil {
			t.Fatal(err)
		}
		r := &runner.Runner{Store: s, Engine: eng, Clock: f.clk, Audit: &audit.Log{Clock: f.clk}, Batch: 10,
			Holds: retention.LegalHolds{}}
		rep, err := r.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Total(); got.Delete != 1 || got.Held != 1 {
			t.Fatalf("run: %+v, want 1 deleted and 1 held", got)
		}
		if _, err := s.AccountByID(ctx, f.person.ID); err != nil {
			t.Fatalf("the restricted person was erased: %v", err)
		}
		if a, err := s.AccountByID(ctx, other.ID); err == nil && a.Email != "" {
			t.Fatal("the person without restriction was not deleted")
		}
	})
}
