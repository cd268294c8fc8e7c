package partner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/anonymise"
	"steward/anonymise/partner"
	"steward/audit"
	"steward/clock"
	"steward/consent"
	"steward/erasure"
	"steward/internal/testkit"
	"steward/store"
)

// seed stores testkit.Population's first n people as confirmed accounts
// with their profiles, and one saved item each.
func seed(b testing.TB, s *store.Store, n int) {
	p := testkit.Policy(b, "zorginspirator")
	d, _ := testkit.Population(p, n)
	rnd := rand.New(rand.NewPCG(7, 2026))
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := testkit.StorePopulation(context.Background(), s, p, d, at, func(tx *store.Tx, id string, _ int) error {
		return tx.InsertRecord(context.Background(), p, &store.Record{Subject: id, Kind: "saved_item", CreatedAt: at,
			Values: map[string]string{"kind": []string{"job", "course"}[rnd.IntN(2)], "item": []string{"Wondzorg", "Triage", "Palliatieve zorg"}[rnd.IntN(3)]}})
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBuild builds FWG's export from a seeded database on both
// stores, at the policy's k = 5 and at k = 10: reading the people, the
// gate, the values and the anonymisation (not the file).
// STEWARD_BENCH_PEOPLE sets the population (default 10,000;
// docs/anonymisation.md gives the 100,000 figures).
func BenchmarkBuild(b *testing.B) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("STEWARD_BENCH_PEOPLE")); err == nil && v > 0 {
		n = v
	}
	for _, name := range []string{"sqlite", "postgres"} {
		open := map[string]func(testing.TB) *store.Store{"sqlite": testkit.SQLite, "postgres": testkit.Postgres}[name]
		b.Run(name, func(b *testing.B) {
			s := open(b)
			seed(b, s, n)
			for _, k := range []int{5, 10} {
				b.Run("k="+strconv.Itoa(k), func(b *testing.B) {
					p := testkit.Policy(b, "zorginspirator")
					p.Processor("fwg").Export.MinK = k
					svc := &partner.Service{Policy: p, Store: s, Gate: consent.NewGate(p, s), Clock: clock.NewFixed(time.Now())}
					for b.Loop() {
						ex, err := svc.Build(context.Background(), "fwg", nil)
						if err != nil {
							b.Fatal(err)
						}
						if ex.Report.Records != n || ex.Report.K < k {
							b.Fatalf("report %+v", ex.Report)
						}
						b.ReportMetric(float64(ex.Report.Suppressed), "suppressed")
						b.ReportMetric(ex.Report.NCP, "ncp")
						b.ReportMetric(float64(ex.Report.Discernibility), "discernibility")
					}
				})
			}
		})
	}
}

// TestBuildCountsAnonymisedAccounts (Z9, issue 19): accounts anonymised
// by the one erasure plan still count in the export, from their
// statistics rows; the report says how many rows came from live accounts
// and how many from the statistics; every class holds no or at least k
// live rows (so subtracting the statistics table leaves k or nothing);
// and the next export refines the cuts the first made and is checked
// against its classes (both stores).
func TestBuildCountsAnonymisedAccounts(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seed(t, s, 400)
		p := testkit.Policy(t, "zorginspirator")
		at := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
		var gone []string
		for i := 0; i < 400; i += 4 {
			gone = append(gone, fmt.Sprintf("acc%07d", i))
		}
		if err := s.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.EraseSubjects(ctx, erasure.Own(p, at), gone)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		svc := &partner.Service{Policy: p, Store: s, Gate: consent.NewGate(p, s), Clock: clock.NewFixed(at),
			Audit: &audit.Log{Clock: clock.NewFixed(at), PolicyVersion: func() string { return p.Version.Number }}}
		ex, err := svc.Build(ctx, "fwg", nil)
		if err != nil {
			t.Fatal(err)
		}
		r := ex.Report
		if ex.Live != 300 || r.StatisticsRecords != 100 || r.Records != 400 || r.StatisticsReleased == 0 || r.StatisticsReleased > 100 {
			t.Fatalf("live %d, report %+v: want 300 live and 100 statistics rows read", ex.Live, r)
		}
		// The independent count, per class: all rows, live rows, statistics rows.
		type count struct{ all, stat int }
		classes := map[string]*count{}
		qi := []int{0, 1, 2, 3} // gender, age, postcode, job: the policy's quasi-identifiers
		for i, row := range ex.Rows {
			var key []string
			for _, j := range qi {
				key = append(key, row[j])
			}
			c := classes[fmt.Sprint(key)]
			if c == nil {
				c = &count{}
				classes[fmt.Sprint(key)] = c
			}
			c.all++
			if ex.Statistics[i] {
				c.stat++
				if row[4] != "" || row[5] != "" || row[6] != "" {
					t.Errorf("statistics row %v has sensitive values", row)
				}
			}
		}
		stats := 0
		for k, c := range classes {
			live := c.all - c.stat
			stats += c.stat
			if c.all < 5 || (live > 0 && live < 5) {
				t.Errorf("class %s: %d rows, %d of them statistics", k, c.all, c.stat)
			}
		}
		if stats != r.StatisticsReleased || r.KStatistics < 1 || (r.KLive != 0 && r.KLive < 5) {
			t.Errorf("report %+v, counted %d statistics rows", r, stats)
		}
		if r.Algorithm != anonymise.Algorithm || len(r.Attributes) != 4 || r.Cuts == 0 {
			t.Errorf("report %+v: want Mondrian's cuts on the four quasi-identifiers", r)
		}
		if _, err := svc.Record(ctx, audit.Staff("st_po"), ex, strings.Repeat("0", 64)); err != nil {
			t.Fatal(err)
		}
		hist, err := s.PartnerExportHistory(ctx)
		if err != nil || len(hist) != 1 || len(hist[0].Classes) != len(ex.Release.Classes) || hist[0].StatisticsRecords != 100 || hist[0].Cuts == "" || hist[0].Algorithm != anonymise.Algorithm {
			t.Fatalf("history %+v %v", hist, err)
		}
		// The next export, to the other partner, routes the same people
		// through the same cuts: the same classes, nothing to refine.
		ex2, err := svc.Build(ctx, "marktmonitor", nil)
		if err != nil {
			t.Fatal(err)
		}
		if ex2.Report.Cuts != r.Cuts || ex2.Report.Refined != 0 || len(ex2.Release.Classes) != len(ex.Release.Classes) {
			t.Errorf("second export %d cuts (%d added), %d classes; first %d cuts, %d classes", ex2.Report.Cuts, ex2.Report.Refined,
				len(ex2.Release.Classes), r.Cuts, len(ex.Release.Classes))
		}
		for k, c := range ex.Release.Classes {
			if c2 := ex2.Release.Classes[k]; c2.Rows != c.Rows || fmt.Sprint(c2.Values) != fmt.Sprint(c.Values) {
				t.Errorf("class %q: first %+v, second %+v", k, c, c2)
			}
		}
		if ex2.Report.Released != r.Released || ex2.Report.SuppressedByEarlierReleases != 0 {
			t.Errorf("same population, second report %+v, first %+v", ex2.Report, r)
		}

		// One more person anonymised: their class lost one live row and a
		// statistics class gained one since the recorded export. The next
		// export holds both back, and no class of the recorded export,
		// summed over the new classes within it, changed by 1 to k−1 rows.
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.EraseSubjects(ctx, erasure.Own(p, at), []string{"acc0000001"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ex3, err := svc.Build(ctx, "fwg", nil)
		if err != nil {
			t.Fatal(err)
		}
		if ex3.Report.SuppressedByEarlierReleases == 0 || ex3.Report.K < 5 {
			t.Errorf("after one anonymisation, report %+v: want classes held back", ex3.Report)
		}
		sums := map[string]int{}
		for k3, c := range ex3.Release.Classes {
			key := k3
			for l := len(k3); l >= 2 && k3[0] == 'p'; l-- {
				if _, ok := ex.Release.Classes[k3[:l]]; ok {
					key = k3[:l]
					break
				}
			}
			sums[key] += c.Rows
		}
		for key, c := range ex.Release.Classes {
			if d := sums[key] - c.Rows; d != 0 && d > -5 && d < 5 {
				t.Errorf("class %q: %d rows recorded, %d now", key, c.Rows, sums[key])
			}
		}
	})
}
