package anonymise_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"steward/anonymise"
	"steward/policy"
)

// population is a synthetic set of n people with Zorginspirator's partner
// columns: ages 18–67 weighted to the working middle, four gender values,
// postcodes spread over the country, jobs from the policy's groups, and a
// work preference. It is written for the tests, not drawn from anyone.
func population(tb testing.TB, n int) (anonymise.Dataset, anonymise.Config) {
	tb.Helper()
	data, err := os.ReadFile("../policies/zorginspirator.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	p, err := policy.Parse("zorginspirator.yaml", data)
	if err != nil {
		tb.Fatal(err)
	}
	e := p.Processor("fwg").Export
	hier := map[string]*anonymise.Hierarchy{}
	var jobs []string
	for _, f := range e.Fields {
		if g := p.Generalisation(f); g != nil {
			hier[f] = anonymise.NewHierarchy(g)
		}
	}
	for _, g := range p.Generalisation("profile.current_job").Levels[0].Groups {
		jobs = append(jobs, g.Members...)
	}
	cols := []string{"profile.gender", "profile.age", "profile.postcode", "profile.current_job", "profile.work_preferences"}
	rnd := rand.New(rand.NewPCG(19, 2026))
	d := anonymise.Dataset{Columns: cols}
	for range n {
		age := 18 + (rnd.IntN(50)+rnd.IntN(50))/2
		gender := []string{"female", "female", "female", "male", "other", "undisclosed", ""}[rnd.IntN(7)]
		pc := strconv.Itoa(1000+rnd.IntN(9000)) + " AB"
		d.Rows = append(d.Rows, []string{gender, strconv.Itoa(age), pc, jobs[rnd.IntN(len(jobs))],
			[]string{"parttime", "fulltime", "nachtdienst", "thuiszorg", ""}[rnd.IntN(5)]})
	}
	return d, anonymise.Config{Hierarchies: hier, Sensitive: []string{"profile.work_preferences"}, K: e.MinK, L: e.MinL,
		MaxSuppressed: n * e.MaxSuppressedPercent / 100}
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
