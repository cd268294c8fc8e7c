package partner_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"steward/account"
	"steward/anonymise/partner"
	"steward/audit"
	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/store"
)

// seed stores n confirmed people with Zorginspirator's profile and one
// saved item each, 1,000 per transaction, from fixed tables.
func seed(b *testing.B, s *store.Store, n int) {
	ctx := context.Background()
	p := testkit.Policy(b, "zorginspirator")
	jobs := []string{"verpleegkundige", "verzorgende ig", "huisarts", "fysiotherapeut", "begeleider", "teamleider", "helpende", "arts"}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for from := 0; from < n; from += 1000 {
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			for i := from; i < min(from+1000, n); i++ {
				id := fmt.Sprintf("acc%07d", i)
				if err := tx.InsertAccount(ctx, &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()),
					CreatedAt: at, ConfirmedAt: at}); err != nil {
					return err
				}
				if err := tx.PutProfile(ctx, p, id, "profile", account.Values{"gender": []string{"female", "female", "male", "other", "undisclosed"}[i%5],
					"age": strconv.Itoa(18 + (i*7919)%50), "postcode": fmt.Sprintf("%04d AB", 1000+(i*7907)%9000), "current_job": jobs[(i*31)%len(jobs)],
					"work_preferences": []string{"parttime", "fulltime", "nachtdienst"}[i%3]}, at); err != nil {
					return err
				}
				if err := tx.InsertRecord(ctx, p, &store.Record{Subject: id, Kind: "saved_item", CreatedAt: at,
					Values: map[string]string{"kind": []string{"job", "course"}[i%2], "item": []string{"Wondzorg", "Triage", "Palliatieve zorg"}[i%3]}}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuild builds FWG's export from a seeded database on both
// stores: reading the people, the gate, the values and the anonymisation
// (not the file). STEWARD_BENCH_PEOPLE sets the population (default
// 10,000; docs/anonymisation.md gives the 100,000 figures).
func BenchmarkBuild(b *testing.B) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("STEWARD_BENCH_PEOPLE")); err == nil && v > 0 {
		n = v
	}
	for name, open := range map[string]func(testing.TB) *store.Store{"sqlite": testkit.SQLite, "postgres": testkit.Postgres} {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			seed(b, s, n)
			p := testkit.Policy(b, "zorginspirator")
			svc := &partner.Service{Policy: p, Store: s, Gate: consent.NewGate(p, s), Clock: clock.NewFixed(time.Now())}
			for b.Loop() {
				ex, err := svc.Build(context.Background(), "fwg", nil)
				if err != nil {
					b.Fatal(err)
				}
				if ex.Report.Records != n || ex.Report.K < 5 {
					b.Fatalf("report %+v", ex.Report)
				}
				b.ReportMetric(float64(ex.Report.Suppressed), "suppressed")
				b.ReportMetric(ex.Report.NCP, "ncp")
			}
		})
	}
}
