package store_test

import (
	"context"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// TestSecondFactorStore: an enrolled authenticator is not replaced by a
// new pending one; a time step is accepted once and never an older one
// (ASVS 2.8.4); a recovery code works once; erasing the account takes the
// key, codes and half-done logins with it. On both databases.
func TestSecondFactorStore(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		a := &account.Account{ID: account.NewID("a-"), Email: "anna@example.nl", Pseudonym: string(audit.NewPseudonym()), CreatedAt: now}
		tx := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := s.InTx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		tx(func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) })
		f := &account.SecondFactor{AccountID: a.ID, Secret: "v1:sealed", CreatedAt: now}
		tx(func(tx *store.Tx) error { return tx.PutPendingSecondFactor(ctx, f) })
		tx(func(tx *store.Tx) error { return tx.PutPendingSecondFactor(ctx, f) }) // a second set-up replaces a waiting key
		tx(func(tx *store.Tx) error { return tx.EnrolSecondFactor(ctx, a.ID, now, 100) })
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.PutPendingSecondFactor(ctx, f) }); err == nil {
			t.Fatal("an enrolled authenticator was replaced")
		}
		got, err := s.SecondFactor(ctx, a.ID)
		if err != nil || !got.Enrolled() || got.LastStep != 100 || got.Secret != "v1:sealed" {
			t.Fatalf("stored: %+v %v", got, err)
		}
		for _, c := range []struct {
			step int64
			want bool
		}{{100, false}, {99, false}, {101, true}, {101, false}} {
			tx(func(tx *store.Tx) error {
				ok, err := tx.AdvanceTOTPStep(ctx, a.ID, c.step)
				if ok != c.want {
					t.Errorf("step %d accepted %v, want %v", c.step, ok, c.want)
				}
				return err
			})
		}
		tx(func(tx *store.Tx) error { return tx.PutRecoveryCodes(ctx, a.ID, []string{"h1", "h2"}) })
		for _, want := range []bool{true, false} {
			tx(func(tx *store.Tx) error {
				ok, err := tx.UseRecoveryCode(ctx, a.ID, "h1")
				if ok != want {
					t.Errorf("recovery code used: %v, want %v", ok, want)
				}
				return err
			})
		}
		if n, _ := s.RecoveryCodesLeft(ctx, a.ID); n != 1 {
			t.Fatalf("%d recovery codes left, want 1", n)
		}
		tx(func(tx *store.Tx) error {
			return tx.InsertLoginChallenge(ctx, &store.LoginChallenge{ID: "c1", AccountID: a.ID, CreatedAt: now})
		})
		tx(func(tx *store.Tx) error { return tx.DeleteAccount(ctx, a.ID) })
		var n int
		s.Read().QueryRow(`SELECT (SELECT COUNT(*) FROM second_factors) + (SELECT COUNT(*) FROM recovery_codes) + (SELECT COUNT(*) FROM login_challenges)`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d second-factor rows outlived the account", n)
		}
	})
}
