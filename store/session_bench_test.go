package store_test

import (
	"context"
	"testing"
	"time"

	"steward/account"
	"steward/internal/testkit"
	"steward/store"
)

// BenchmarkProfileRead is the store's part of an authenticated profile
// read (GET /api/v1/profile): the session by its hash, the account, and
// the profile, from 16 goroutines on one store (issue 15). cpu-µs/op is
// what it costs this process, which moves less with the shared machine's
// load than the rate.
func BenchmarkProfileRead(b *testing.B) {
	p := testkit.Policy(b, "ivm")
	forEachBenchStore(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		a := newAccount("read@example.nl")
		h := account.HashSecret("bench-secret")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
			if err := tx.PutProfile(ctx, p, a.ID, "account", account.Values{"first_name": "Bea", "last_name": "Bos"}, acctT0); err != nil {
				return err
			}
			return tx.InsertSession(ctx, &account.Session{ID: h, AccountID: a.ID, CreatedAt: acctT0, LastSeen: acctT0, AuthAt: acctT0, CSRF: "x", API: true})
		})
		if err != nil {
			b.Fatal(err)
		}
		b.SetParallelism(8)
		b.ResetTimer()
		start, cpu := time.Now(), cpuTime()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				se, err := s.SessionByID(ctx, h)
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := s.AccountByID(ctx, se.AccountID); err != nil {
					b.Error(err)
					return
				}
				if v, err := s.Profile(ctx, se.AccountID, "account"); err != nil || v["first_name"] != "Bea" {
					b.Errorf("profile %v: %v", v, err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reads/s")
		reportCPU(b, cpu)
	})
}
