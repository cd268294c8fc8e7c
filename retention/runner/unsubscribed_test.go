package runner_test

import (
	"context"
	"testing"
	"time"

	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
	"steward/store"
)

// TestNewsletterUnsubscribedByRunner (issue 13, R2): an unsubscribed
// sign-up's address and name do not stay. The policy's
// newsletter_unsubscribed rule deletes a sign-up one day after its
// one-click unsubscribe, through the runner like every rule, with its
// audit entry; a sign-up that stays subscribed, and one unsubscribed less
// than a day ago, are kept. After the deletion the unsubscribe link in an
// old mail still works, and the newsletter plans no mail for the address.
func TestNewsletterUnsubscribedByRunner(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, "ivm", "2024-06-01")
		e.signUp("ns_gone", "Gone@example.org", "2023-01-01", "2023-01-01", true)
		e.signUp("ns_fresh", "fresh@example.org", "2023-01-01", "2023-01-01", true)
		e.signUp("ns_stays", "stays@example.org", "2020-01-01", "2020-01-01", true)
		// signUp writes the history; the state the newsletter plans from
		// goes with it (store.AppendConsent keeps them together).
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO consent_state (subject, purpose, given, at, notice_hash, record_id)
				VALUES ('ns_stays', 'newsletter', 1, 0, 'h1', 0)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		nl := &consent.Newsletter{Consent: consent.NewService(e.p, s, e.clk), Gate: consent.NewGate(e.p, s), Clock: e.clk,
			BaseURL: "https://ivm.example", UnsubKey: []byte("0123456789abcdef0123456789abcdef")}
		if _, err := nl.Unsubscribe(ctx, nl.UnsubscribeToken("ns_gone"), "nl"); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(12 * time.Hour)
		if _, err := nl.Unsubscribe(ctx, nl.UnsubscribeToken("ns_fresh"), "nl"); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(12 * time.Hour) // ns_gone: one day since; ns_fresh: half a day

		e.r.Rules = []string{"newsletter_unsubscribed"}
		plan := e.runPlan()
		if got := plan.Total().Delete; got != 1 {
			t.Fatalf("plan deletes %d sign-ups, want 1 (ns_gone): %+v", got, plan.Items)
		}
		if got := e.run().Total().Delete; got != 1 {
			t.Fatalf("run deleted %d sign-ups, want 1", got)
		}
		for id, keep := range map[string]bool{"ns_gone": false, "ns_fresh": true, "ns_stays": true} {
			if e.signUpExists(id) != keep {
				t.Errorf("%s exists = %v, want %v", id, !keep, keep)
			}
		}
		del := e.entries(audit.RetentionDelete)
		if len(del) != 1 || del[0].ObjectKind != store.NewsletterRecord || del[0].ObjectID != "ns_gone" {
			t.Fatalf("audit: %+v", del)
		}
		assertGone(t, s, "Gone@example.org", "gone@example.org")

		// One-click unsubscribe from an old mail still answers, and the
		// newsletter plans mail only for the standing subscription.
		if _, err := nl.Unsubscribe(ctx, nl.UnsubscribeToken("ns_gone"), "nl"); err != nil {
			t.Fatalf("unsubscribe link after the deletion: %v", err)
		}
		if allowed, _, err := nl.Plan(ctx, 100); err != nil || allowed != 1 {
			t.Fatalf("newsletter plan after the deletion: %d allowed, %v; want 1 (ns_stays)", allowed, err)
		}
		if e.signUpExists("ns_gone") {
			t.Fatal("the unsubscribe link brought the sign-up back")
		}

		// A day later the second goes too; the standing one stays.
		e.clk.Advance(24 * time.Hour)
		if got := e.run().Total().Delete; got != 1 || e.signUpExists("ns_fresh") || !e.signUpExists("ns_stays") {
			t.Fatalf("second run deleted %d; ns_fresh %v, ns_stays %v", got, e.signUpExists("ns_fresh"), e.signUpExists("ns_stays"))
		}
	})
}
