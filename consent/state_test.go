package consent_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

// TestGateAnswersWhatTheHistoryDerives: the gate reads consent_state;
// after random gives and withdrawals through the service (repeats
// included, which write nothing) its answer for every subject and
// purpose is the one the history derives (Derive), on both stores.
func TestGateAnswersWhatTheHistoryDerives(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, clk := newService(t, s, "zorginspirator")
		gate := consent.NewGate(svc.Policy, s)
		rng := rand.New(rand.NewPCG(3, 7))
		subjects := []string{"a1", "a2", "v_1"}
		purposes := []string{"newsletter", "research_panel"}
		for range 120 {
			clk.Advance(time.Minute)
			subject, purpose := subjects[rng.IntN(len(subjects))], purposes[rng.IntN(len(purposes))]
			lang := policy.Languages[rng.IntN(len(policy.Languages))]
			must(t, func() error {
				_, err := svc.Apply(ctx, consent.Change{Subject: subject, Purpose: purpose, Given: rng.IntN(2) == 0, Channel: policy.ChannelSettings, Lang: lang})
				return err
			}())
		}
		for _, subject := range subjects {
			st, err := svc.State(ctx, subject)
			if err != nil {
				t.Fatal(err)
			}
			for _, purpose := range purposes {
				ok, _, err := gate.Allowed(ctx, subject, purpose)
				if err != nil {
					t.Fatal(err)
				}
				if ok != st.Given(purpose) {
					t.Errorf("%s/%s: gate says %v, the history derives %v", subject, purpose, ok, st.Given(purpose))
				}
			}
		}
	})
}

// TestPlanWeighsLimitsAtBatchEdges: planning reads the limits of each
// keyset batch as one range, so a restriction on the first or last
// subject of a batch must still count.
func TestPlanWeighsLimitsAtBatchEdges(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, clk := newService(t, s, "zorginspirator")
		seedAccounts(t, s, svc, 7)
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			// Batches of 3: acc000000-acc000002, acc000003-acc000005, acc000006.
			for _, l := range []store.ProcessingLimit{
				{Subject: "acc000002", Kind: consent.LimitRestriction, Purpose: consent.AllPurposes},
				{Subject: "acc000003", Kind: consent.LimitObjection, Purpose: "newsletter"},
				{Subject: "acc000006", Kind: consent.LimitRestriction, Purpose: "newsletter"},
				{Subject: "acc000004", Kind: consent.LimitRestriction, Purpose: "research_panel"}, // another purpose
				{Subject: "zzz", Kind: consent.LimitRestriction, Purpose: consent.AllPurposes},    // no consent at all
			} {
				l.Since = t0
				if err := tx.SetProcessingLimit(ctx, l); err != nil {
					return err
				}
			}
			return nil
		}))
		for _, batch := range []int{1, 3, 0} {
			t.Run(fmt.Sprint("batch_", batch), func(t *testing.T) {
				ok, refused, err := newsletter(svc, s, clk).Plan(ctx, batch)
				if err != nil || ok != 4 || refused != 3 {
					t.Fatalf("plan: %d allowed, %d refused, %v; want 4 and 3", ok, refused, err)
				}
			})
		}
	})
}
