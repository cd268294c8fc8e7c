package anonymise_test

import (
	"strconv"
	"testing"

	"steward/anonymise"
	"steward/internal/testkit"
)

// population is testkit.Population with the policy of the repository's
// Zorginspirator site.
func population(tb testing.TB, n int) (anonymise.Dataset, anonymise.Config) {
	tb.Helper()
	return testkit.Population(testkit.Policy(tb, "zorginspirator"), n)
}

// BenchmarkAnonymise100k anonymises 100,000 synthetic people with the
// policy's hierarchies at k = 5 and k = 10 (goal: under 10 s each).
func BenchmarkAnonymise100k(b *testing.B) {
	for _, k := range []int{5, 10} {
		b.Run("k="+strconv.Itoa(k), func(b *testing.B) {
			d, c := population(b, 100_000)
			c.K = k
			for b.Loop() {
				res, err := anonymise.Anonymise(d, c)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(res.Report.Suppressed), "suppressed")
				b.ReportMetric(res.Report.NCP, "ncp")
				if got, _, _ := anonymise.Measure(res.Columns, res.Rows, c.Hierarchies, c.Sensitive); got < k {
					b.Fatalf("k %d", got)
				}
			}
		})
	}
}
