package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/store"
)

// BenchmarkCatalogueSearch (issue 18) searches 10,000 functies and 10,000
// opleidingen with the test corpus's queries in turn (words, filters,
// pages, no words) and reports the latency's p50 and p99 per store; the
// goal is p99 < 20 ms. Run with
//
//	go test -run '^$' -bench CatalogueSearch -benchtime 2000x ./store/
func BenchmarkCatalogueSearch(b *testing.B) {
	for _, open := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", testkit.SQLite}, {"postgres", testkit.Postgres}} {
		b.Run(open.name, func(b *testing.B) {
			s := open.open(b)
			start := time.Now()
			svc := importSample(b, s, 10000, 10000, 42)
			b.Logf("imported 20,000 items in %s", time.Since(start).Round(time.Millisecond))
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := catalogueQueries[i%len(catalogueQueries)]
				t0 := time.Now()
				if _, err := svc.Search(ctx, q); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
