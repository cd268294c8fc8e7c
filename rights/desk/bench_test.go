package desk_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/rights/desk"
	"steward/store"
)

// benchSubject makes an IVM person with n records (orders, downloads,
// learning results, vouchers) on SQLite, in batches of a few thousand rows.
func benchSubject(b *testing.B, s *store.Store, d *desk.Desk, n int) *account.Account {
	b.Helper()
	ctx := context.Background()
	now := d.Clock.Now()
	a := &account.Account{ID: account.NewID("a-"), Email: account.NewID("p") + "@example.org", Pseudonym: string(audit.NewPseudonym()),
		CreatedAt: now.AddDate(-2, 0, 0), ConfirmedAt: now.AddDate(-2, 0, 0), LastLoginAt: now.AddDate(0, -1, 0)}
	kinds := []struct {
		kind string
		vals func(i int) map[string]string
	}{
		{"order", func(i int) map[string]string {
			return map[string]string{"order_number": fmt.Sprintf("ORD-%06d", i), "items": "Handboek"}
		}},
		{"download", func(i int) map[string]string { return map[string]string{"material": fmt.Sprintf("folder-%d.pdf", i)} }},
		{"learning_result", func(i int) map[string]string { return map[string]string{"course": "medicatiebewaking", "score": "8"} }},
		{"voucher", func(i int) map[string]string { return map[string]string{"code": fmt.Sprintf("V%08d", i)} }},
	}
	const batch = 2500
	for start := 0; start < n; start += batch {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if start == 0 {
				if err := tx.InsertAccount(ctx, a); err != nil {
					return err
				}
			}
			for i := start; i < min(start+batch, n); i++ {
				k := kinds[i%len(kinds)]
				if err := tx.InsertRecord(ctx, d.Policy, &store.Record{Subject: a.ID, Kind: k.kind, CreatedAt: now.AddDate(0, 0, -i%700), Values: k.vals(i)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return a
}

func benchDesk(b *testing.B) (*store.Store, *desk.Desk) {
	s := testkit.SQLite(b)
	clk := clock.NewFixed(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	return s, &desk.Desk{Store: s, Policy: testkit.Policy(b, "ivm"), Clock: clk, Zone: time.UTC}
}

// BenchmarkMyData10k is the "My data" overview of a person with 10,000
// records on SQLite (goal: < 50 ms).
func BenchmarkMyData10k(b *testing.B) {
	s, d := benchDesk(b)
	a := benchSubject(b, s, d, 10000)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.Collect(ctx, a.ID, desk.CollectOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkExport10k is the export ZIP of that person (goal: < 100 ms).
func BenchmarkExport10k(b *testing.B) {
	s, d := benchDesk(b)
	a := benchSubject(b, s, d, 10000)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if err := d.Export(ctx, io.Discard, a.ID, audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), desk.CollectOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkErase10k erases such a person in one transaction (goal:
// < 100 ms); each iteration erases a fresh person made outside the timer.
func BenchmarkErase10k(b *testing.B) {
	s, d := benchDesk(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		a := benchSubject(b, s, d, 10000)
		b.StartTimer()
		if _, err := d.Erase(ctx, a.ID, audit.SubjectActor(audit.Pseudonym(a.Pseudonym))); err != nil {
			b.Fatal(err)
		}
	}
}
