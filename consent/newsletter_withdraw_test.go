package consent_test

import (
	"context"
	"testing"
	"time"

	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

// TestWithdrawalWaitsForSendingBatch: a sending batch holds the consent
// state of its recipients while it checks and queues (SQLite: the write
// lock; PostgreSQL: store.Tx.LockConsentStates). A withdrawal that comes in
// between waits for the batch to commit and then deletes the issue the
// batch queued, instead of committing in the gap and leaving the mail to
// go out. On PostgreSQL the test first sees the withdrawal blocked by the
// batch's transaction.
func TestWithdrawalWaitsForSendingBatch(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, clk := newService(t, s, "zorginspirator")
		seedAccounts(t, s, svc, 1)
		const anna = "acc000000"

		locked, queue := make(chan int, 1), make(chan struct{})
		batch := make(chan error, 1)
		go func() {
			batch <- s.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.LockConsentStates(ctx, "newsletter", []string{anna}); err != nil {
					return err
				}
				pid := 0
				if s.Dialect() == store.Postgres {
					if err := tx.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
						return err
					}
				}
				locked <- pid
				<-queue
				_, err := tx.EnqueueMail(ctx, store.OutboxMail{Kind: "newsletter", SubjectID: anna, Recipient: anna + "@example.org",
					Subject: "Nieuws", Text: "Hallo", CreatedAt: clk.Now(), Bulk: true})
				return err
			})
		}()
		pid := <-locked
		clk.Advance(time.Second)
		withdrawn := make(chan error, 1)
		go func() { withdrawn <- svc.Withdraw(ctx, anna, "newsletter", policy.ChannelSettings, "nl") }()
		if s.Dialect() == store.Postgres {
			// Poll until the withdrawal waits on the batch's locks.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var n int
				if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, pid).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					break
				}
				select {
				case err := <-withdrawn:
					close(queue)
					t.Fatalf("the withdrawal committed while a sending batch held the person's state (err %v)", err)
				default:
				}
				if time.Now().After(deadline) {
					close(queue)
					t.Fatal("the withdrawal never waited for the sending batch")
				}
			}
		}
		close(queue)
		must(t, <-batch)
		must(t, <-withdrawn)

		var pending int
		must(t, s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE subject_id = $1 AND kind = 'newsletter'`, anna).Scan(&pending))
		if pending != 0 {
			t.Fatalf("%d issue(s) queued by the batch are still in the outbox after the withdrawal", pending)
		}
		if ok, why, err := consent.NewGate(svc.Policy, s).Allowed(ctx, anna, "newsletter"); err != nil || ok {
			t.Fatalf("gate after withdrawal: %v %s %v", ok, why, err)
		}
	})
}
