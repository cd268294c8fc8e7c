package anonymise_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"steward"
	"steward/anonymise"
)

// statisticsRows turns people into the rows their anonymised accounts
// leave (Z9): quasi-identifiers at the statistics level, no sensitive
// values.
func statisticsRows(d anonymise.Dataset, c anonymise.Config, people [][]string) [][]string {
	var out [][]string
	for _, p := range people {
		r := make([]string, len(d.Columns))
		for j, col := range d.Columns {
			if lv, ok := c.StatisticsLevels[col]; ok {
				r[j] = c.Hierarchies[col].At(p[j], lv)
			}
		}
		out = append(out, r)
	}
	return out
}

// classCounts counts a release's rows per class and, per class, its
// statistics rows.
func classCounts(t *testing.T, res *anonymise.Result, c anonymise.Config) (all, stat map[string]int) {
	t.Helper()
	all, stat = map[string]int{}, map[string]int{}
	for i, r := range res.Rows {
		k := key(res.Columns, r, c)
		all[k]++
		if res.Statistics[i] {
			stat[k]++
		}
	}
	return all, stat
}

func key(cols []string, r []string, c anonymise.Config) string {
	var vals []string
	for j, col := range cols {
		if c.Hierarchies[col] != nil {
			vals = append(vals, r[j])
		}
	}
	return anonymise.ClassKey(vals)
}

// TestIntersectionAttack100k is the re-identification study of issue 19
// item 5 on 100,000 synthetic people (realistic Dutch spread: ages
// weighted to the working middle, postcodes over the country, jobs from
// the policy's groups) and 4,000 anonymised accounts' statistics rows, at
// the policy's k = 5 and l = 2:
//
//   - every class of the release holds at least k rows, no quasi-identifier
//     combination is unique, and the live rows of a class show l distinct
//     sensitive values;
//   - joining the release with the statistics table (an attacker who holds
//     it subtracts its rows from each class) leaves, in every class, no
//     live row or at least k;
//   - a second release a day later (300 people anonymised since, 500 new)
//     keeps the first's levels, and joining it with the first singles no
//     one out: on every class the two counts are equal or differ by at
//     least k. Without the release-to-release check the same second
//     release has classes that differ by 1 to k−1 — the people who came or
//     went, whose sensitive values the difference would show.
func TestIntersectionAttack100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 people")
	}
	d, c := population(t, 100_000)
	c.StatisticsLevels = map[string]int{}
	for col, lv := range map[string]int{"profile.gender": 0, "profile.age": 1, "profile.postcode": 1, "profile.current_job": 1} {
		c.StatisticsLevels[col] = lv
	}
	gone, _ := population(t, 4_000) // earlier anonymised accounts: other people
	stats := statisticsRows(d, c, shuffled(gone.Rows, 7))
	day1 := withStatistics(d, stats)
	c.MaxSuppressed = len(day1.Rows) * 5 / 100
	r1, err := anonymise.Anonymise(day1, c)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, res *anonymise.Result, stats [][]string) {
		t.Helper()
		all, stat := classCounts(t, res, c)
		for k, n := range all {
			if n < c.K {
				t.Errorf("%s: class %q has %d rows", name, k, n)
			}
		}
		if res.Report.L < c.L || res.Report.K < c.K {
			t.Errorf("%s: report k %d l %d", name, res.Report.K, res.Report.L)
		}
		// The attacker's join: the statistics table, generalised to the
		// release's levels, subtracted class by class.
		held := map[string]int{}
		for _, r := range stats {
			ch := make([]string, len(r))
			for j, col := range res.Columns {
				h := c.Hierarchies[col]
				if h == nil {
					continue
				}
				lv := levelOf(res.Report, col)
				chain, err := h.ChainFrom(r[j], c.StatisticsLevels[col])
				if err != nil {
					t.Fatal(err)
				}
				ch[j] = chain[lv]
			}
			held[key(res.Columns, ch, c)]++
		}
		for k, n := range all {
			if held[k] != stat[k] {
				t.Errorf("%s: class %q: the statistics table has %d rows, the release %d", name, k, held[k], stat[k])
			}
			if live := n - held[k]; live > 0 && live < c.K {
				t.Errorf("%s: class %q: %d live rows once the statistics table is subtracted", name, k, live)
			}
		}
		t.Logf("%s: %d released (%d from statistics), %d suppressed (%d by earlier releases), %d classes, NCP %.3f, levels %v",
			name, res.Report.Released, res.Report.StatisticsReleased, res.Report.Suppressed, res.Report.SuppressedByEarlierReleases,
			res.Report.Classes, res.Report.NCP, res.Report.Levels)
	}
	check("day 1", r1, stats)

	// Day 2: some people anonymised their accounts (their rows move to the
	// statistics), some new people joined.
	day2 := func(leave, join int) (anonymise.Dataset, [][]string) {
		rnd := rand.New(rand.NewPCG(2, 19))
		newcomers, _ := population(t, join+1)
		var live, left [][]string
		for i, r := range d.Rows {
			if i%331 == 7 && len(left) < leave {
				left = append(left, r)
				continue
			}
			live = append(live, r)
		}
		for _, r := range newcomers.Rows[:join] {
			r = append([]string(nil), r...)
			r[1] = strconv.Itoa(18 + rnd.IntN(50))
			live = append(live, r)
		}
		st := append(append([][]string(nil), stats...), statisticsRows(d, c, left)...)
		return withStatistics(anonymise.Dataset{Columns: d.Columns, Rows: live}, st), st
	}
	c2 := c
	c2.Fixed = map[string]int{}
	for _, l := range r1.Report.Levels {
		c2.Fixed[l.Field] = l.Level
	}
	differenced := func(res *anonymise.Result) int {
		before, after := anonymise.ReleaseOf(r1, c.Sensitive), anonymise.ReleaseOf(res, c.Sensitive)
		n := 0
		keys := map[string]bool{}
		for k := range before.Classes {
			keys[k] = true
		}
		for k := range after.Classes {
			keys[k] = true
		}
		for k := range keys {
			b, a := before.Classes[k], after.Classes[k]
			gained, lost := 0, 0
			for v, m := range a.Live {
				gained += max(0, m-b.Live[v])
			}
			for v, m := range b.Live {
				lost += max(0, m-a.Live[v])
			}
			if (gained > 0 && gained < c.K) || (lost > 0 && lost < c.K) {
				n++
			}
		}
		return n
	}

	// 30 gone, 30 new: released, with the classes they changed held back.
	small, stats2 := day2(30, 30)
	c2.MaxSuppressed = len(small.Rows) * 5 / 100
	unguarded, err := anonymise.Anonymise(small, c2)
	if err != nil {
		t.Fatal(err)
	}
	c2.Previous = []anonymise.Release{anonymise.ReleaseOf(r1, c.Sensitive)}
	r2, err := anonymise.Anonymise(small, c2)
	if err != nil {
		t.Fatal(err)
	}
	check("day 2", r2, stats2)
	for i, l := range r2.Report.Levels {
		if l != r1.Report.Levels[i] {
			t.Errorf("day 2 level %+v, day 1 %+v", l, r1.Report.Levels[i])
		}
	}
	if n := differenced(r2); n != 0 {
		t.Errorf("day 2 against day 1: %d classes gained or lost 1 to %d live rows", n, c.K-1)
	}
	n := differenced(unguarded)
	if n == 0 {
		t.Errorf("without the check no class changes by fewer than k: the study shows nothing")
	}
	t.Logf("without the release-to-release check, %d classes of day 2 show 1 to %d people who came or went; with it none (%d rows held back)",
		n, c.K-1, r2.Report.SuppressedByEarlierReleases)

	// 300 gone, 500 new the next day: too many small changes to hold back
	// within the suppression bound, so nothing leaves.
	big, _ := day2(300, 500)
	c2.MaxSuppressed = len(big.Rows) * 5 / 100
	if _, err := anonymise.Anonymise(big, c2); steward.ErrorKey(err) != "error.anonymise_release_differs" {
		t.Errorf("800 changes a day later: %v, want the release refused", err)
	}
}

func withStatistics(d anonymise.Dataset, stats [][]string) anonymise.Dataset {
	out := anonymise.Dataset{Columns: d.Columns, Rows: append(append([][]string(nil), d.Rows...), stats...)}
	out.Statistics = make([]bool, len(out.Rows))
	for i := len(d.Rows); i < len(out.Rows); i++ {
		out.Statistics[i] = true
	}
	return out
}

func shuffled(rows [][]string, seed uint64) [][]string {
	out := append([][]string(nil), rows...)
	rand.New(rand.NewPCG(seed, seed)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func levelOf(r anonymise.Report, col string) int {
	for _, l := range r.Levels {
		if l.Field == col {
			return l.Level
		}
	}
	return 0
}
