package anonymise_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"steward"
	"steward/anonymise"
	"steward/policy"
)

func ageGender() map[string]*anonymise.Hierarchy {
	return map[string]*anonymise.Hierarchy{
		"profile.age": anonymise.NewHierarchy(&policy.Generalisation{Field: "profile.age", Levels: []policy.GenLevel{
			{Name: "band5", Band: 5}, {Name: "band10", Band: 10}}}),
		"profile.gender": anonymise.NewHierarchy(&policy.Generalisation{Field: "profile.gender"}),
	}
}

func rows(pairs ...string) [][]string {
	var out [][]string
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, []string{pairs[i], pairs[i+1]})
	}
	return out
}

// TestMondrianCuts checks the partitioning on examples worked out by hand
// (the comments give each candidate cut's loss: rows × penalty, summed
// over both halves and both quasi-identifiers).
func TestMondrianCuts(t *testing.T) {
	cols := []string{"profile.age", "profile.gender"}
	cases := []struct {
		name     string
		rows     [][]string
		wantNCP  float64
		wantRows [][]string
		wantCuts [2]int
	}{
		// Age median 31: {30,31} {36,37}, loss 2·⅓ + 2·⅓; the gender
		// median cuts the same halves at the same loss; the first field
		// wins the tie. NCP: age ⅓ for every row, gender 0: 1/6.
		{"median", rows("30", "f", "31", "f", "36", "m", "37", "m"), 1.0 / 6,
			[][]string{{"30-31", "f"}, {"30-31", "f"}, {"36-37", "m"}, {"36-37", "m"}}, [2]int{1, 0}},
		// A fifth person, 50/f. Age at the median 36: {30,31,36} {37,50},
		// loss 3·½ + 3·1 + 2·¼ + 2·1 = 7; just below, 31: {30,31}
		// {36,37,50}, 2·¼ + 3·½ + 3·1 = 5; gender f/m: {30,31,50} {36,37},
		// 3·1 + 2·¼ = 3.5, the least. NCP (3·1 + 2·¼) / 10 = 0.35.
		{"least loss", rows("30", "f", "31", "f", "36", "m", "37", "m", "50", "f"), 0.35,
			[][]string{{"30-50", "f"}, {"30-50", "f"}, {"30-50", "f"}, {"36-37", "m"}, {"36-37", "m"}}, [2]int{0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := anonymise.Anonymise(anonymise.Dataset{Columns: cols, Rows: c.rows},
				anonymise.Config{Hierarchies: ageGender(), K: 2})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Report
			if math.Abs(r.NCP-c.wantNCP) > 1e-9 || r.Suppressed != 0 || r.K != 2 || r.Classes != 2 || r.Algorithm != anonymise.Algorithm {
				t.Errorf("report %+v, want NCP %v, nothing suppressed, k 2, 2 classes", r, c.wantNCP)
			}
			if fmt.Sprint(res.Rows) != fmt.Sprint(c.wantRows) {
				t.Errorf("rows %v, want %v", res.Rows, c.wantRows)
			}
			if got := [2]int{r.Attributes[0].Cuts, r.Attributes[1].Cuts}; got != c.wantCuts || r.Cuts != 1 || r.Refined != 1 {
				t.Errorf("cuts %v (%d, %d added), want %v", got, r.Cuts, r.Refined, c.wantCuts)
			}
			// Discernibility: Σ|E|².
			if want := int64(len(c.rows)*len(c.rows)) - 2*int64(len(c.wantRows)-len(c.wantRows)/2)*int64(len(c.wantRows)/2); r.Discernibility != want {
				t.Errorf("discernibility %d, want %d", r.Discernibility, want)
			}
		})
	}
}

// TestHierarchyValues checks how a categorical class is shown: its one
// value, its group when it spans the group's leaves exactly, the run of
// leaves in the policy's order otherwise, Any when it spans them all; and
// that a later release on the same cuts refines them.
func TestHierarchyValues(t *testing.T) {
	job := anonymise.NewHierarchy(&policy.Generalisation{Field: "profile.current_job", Levels: []policy.GenLevel{
		{Name: "group", Groups: []policy.GenGroup{{Value: "zorg", Members: []string{"Verpleegkundige", "Arts", "Helpende"}}, {Value: "staf", Members: []string{"Planner"}}}}}})
	cfg := anonymise.Config{Hierarchies: map[string]*anonymise.Hierarchy{"profile.current_job": job}, K: 2}
	cols := []string{"profile.current_job"}
	one := func(vals ...string) (out [][]string) {
		for _, v := range vals {
			out = append(out, []string{v})
		}
		return out
	}
	for _, c := range []struct {
		rows []string
		k    int
		want string
	}{
		// Policy order verpleegkundige, arts, helpende | planner: the median
		// cut (arts) leaves a run of two leaves and a run across groups.
		{[]string{"verpleegkundige", "arts", "Helpende", "planner"}, 2, "[[helpende|planner] [helpende|planner] [verpleegkundige|arts] [verpleegkundige|arts]]"},
		{[]string{"verpleegkundige", "arts", "helpende", "planner"}, 4, "[[*] [*] [*] [*]]"},
		{[]string{"verpleegkundige", "arts", "helpende", "verpleegkundige", "arts", "helpende", "planner"}, 7, "[[*] [*] [*] [*] [*] [*] [*]]"},
		{[]string{"verpleegkundige", "arts", "helpende", "verpleegkundige", "arts", "helpende"}, 6, "[[zorg] [zorg] [zorg] [zorg] [zorg] [zorg]]"},
		{[]string{"arts", "arts", "", ""}, 2, "[[] [] [arts] [arts]]"},
		{[]string{"arts", "arts", ""}, 3, "[[*] [*] [*]]"},
		{[]string{"arts", "arts", "", "planner", "planner", "planner"}, 3, "[[planner] [planner] [planner] [|arts] [|arts] [|arts]]"},
	} {
		cfg.K = c.k
		res, err := anonymise.Anonymise(anonymise.Dataset{Columns: cols, Rows: one(c.rows...)}, cfg)
		if err != nil || fmt.Sprint(res.Rows) != c.want {
			t.Errorf("%v at k %d: %v %v, want %s", c.rows, c.k, res.Rows, err, c.want)
		}
	}
	// A second release on the first's cuts: the first's classes stay
	// unions of the new ones, and the new rows are cut further.
	cfg.K = 2
	first, err := anonymise.Anonymise(anonymise.Dataset{Columns: cols, Rows: one("arts", "arts", "planner", "planner")}, cfg)
	if err != nil || first.Report.Cuts != 1 {
		t.Fatalf("%v %+v", err, first)
	}
	cfg.Partition = first.Partition
	second, err := anonymise.Anonymise(anonymise.Dataset{Columns: cols, Rows: one("verpleegkundige", "verpleegkundige", "arts", "arts", "planner", "planner")}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(second.Rows); got != "[[arts] [arts] [planner] [planner] [verpleegkundige] [verpleegkundige]]" || second.Report.Cuts != 2 || second.Report.Refined != 1 {
		t.Errorf("second release %v, %d cuts (%d added)", got, second.Report.Cuts, second.Report.Refined)
	}
	for key := range first.Release.Classes {
		n := 0
		for k2, c := range second.Release.Classes {
			if strings.HasPrefix(k2, key) {
				n += c.Rows
			}
		}
		if n == 0 {
			t.Errorf("first release's class %q is no union of the second's", key)
		}
	}
}

// TestKAnonymousOnRandomPopulations counts the groups of every release
// independently: each at least k, no combination unique, suppression
// within the bound, l distinct sensitive values per group.
func TestKAnonymousOnRandomPopulations(t *testing.T) {
	h := ageGender()
	h["profile.postcode"] = anonymise.NewHierarchy(&policy.Generalisation{Field: "profile.postcode", Levels: []policy.GenLevel{
		{Name: "half", Ranges: []policy.GenRange{{From: 1000, To: 5499, Value: "west"}, {From: 5500, To: 9999, Value: "east"}}}}})
	cols := []string{"profile.age", "profile.gender", "profile.postcode", "profile.work_preferences"}
	for seed := range uint64(20) {
		rnd := rand.New(rand.NewPCG(seed, 7))
		n := 50 + rnd.IntN(400)
		var data [][]string
		for range n {
			data = append(data, []string{strconv.Itoa(18 + rnd.IntN(50)), []string{"f", "m", "x", ""}[rnd.IntN(4)],
				strconv.Itoa(1000+rnd.IntN(9000)) + " AB", []string{"a", "b", "c"}[rnd.IntN(3)]})
		}
		k, l, maxSup := 2+int(seed%6), 1+int(seed%2), n/20
		res, err := anonymise.Anonymise(anonymise.Dataset{Columns: cols, Rows: data},
			anonymise.Config{Hierarchies: h, Sensitive: []string{"profile.work_preferences"}, K: k, L: l, MaxSuppressed: maxSup})
		if err != nil {
			var se *steward.Error
			if !errors.As(err, &se) || se.Key != "error.anonymise_infeasible" {
				t.Fatalf("seed %d: %v", seed, err)
			}
			continue
		}
		groups := map[string]map[string]bool{}
		sizes := map[string]int{}
		for _, r := range res.Rows {
			key := r[0] + "|" + r[1] + "|" + r[2]
			sizes[key]++
			if groups[key] == nil {
				groups[key] = map[string]bool{}
			}
			groups[key][r[3]] = true
		}
		for key, s := range sizes {
			if s < k || s == 1 || len(groups[key]) < l {
				t.Errorf("seed %d: group %q has %d rows, %d distinct, want ≥ %d and ≥ %d", seed, key, s, len(groups[key]), k, l)
			}
		}
		if sup := n - len(res.Rows); sup > maxSup || sup != res.Report.Suppressed {
			t.Errorf("seed %d: %d suppressed (report %d), bound %d", seed, sup, res.Report.Suppressed, maxSup)
		}
	}
}

func TestRefusals(t *testing.T) {
	cols := []string{"profile.age", "profile.gender"}
	cases := []struct {
		name string
		rows [][]string
		cfg  anonymise.Config
		key  string
	}{
		{"k below 2", rows("30", "f", "31", "f"), anonymise.Config{Hierarchies: ageGender(), K: 1}, "error.anonymise_min_k"},
		{"fewer than k", rows("30", "f"), anonymise.Config{Hierarchies: ageGender(), K: 2}, "error.anonymise_too_few"},
		{"not covered", rows("30", "f", "dertig", "f"), anonymise.Config{Hierarchies: ageGender(), K: 2}, "error.anonymise_not_covered"},
		{"infeasible l", rows("30", "f", "31", "f"), anonymise.Config{Hierarchies: map[string]*anonymise.Hierarchy{"profile.age": ageGender()["profile.age"]},
			Sensitive: []string{"profile.gender"}, K: 2, L: 2}, "error.anonymise_infeasible"},
		{"column without a role", rows("30", "f", "31", "f"), anonymise.Config{Hierarchies: map[string]*anonymise.Hierarchy{"profile.age": ageGender()["profile.age"]}, K: 2}, "error.anonymise_column_role"},
	}
	for _, c := range cases {
		_, err := anonymise.Anonymise(anonymise.Dataset{Columns: cols, Rows: c.rows}, c.cfg)
		var se *steward.Error
		if !errors.As(err, &se) || se.Key != c.key {
			t.Errorf("%s: got %v, want %s", c.name, err, c.key)
		}
	}
}

// TestHierarchyLevels checks each level kind and that a missing value
// stays missing.
func TestHierarchyLevels(t *testing.T) {
	date := anonymise.NewHierarchy(&policy.Generalisation{Field: "saved_item.saved_at", Levels: []policy.GenLevel{
		{Name: "month", Date: "month"}, {Name: "quarter", Date: "quarter"}, {Name: "year", Date: "year"}}})
	job := anonymise.NewHierarchy(&policy.Generalisation{Field: "profile.current_job", Levels: []policy.GenLevel{
		{Name: "group", Groups: []policy.GenGroup{{Value: "verpleging", Members: []string{"Verpleegkundige"}}}},
		{Name: "sector", Groups: []policy.GenGroup{{Value: "zorg", Members: []string{"verpleging"}}}}}})
	for _, c := range []struct {
		h    *anonymise.Hierarchy
		in   string
		want string
	}{
		{date, "2024-05-17T10:00:00Z", "[2024-05-17T10:00:00Z 2024-05 2024-Q2 2024 *]"},
		{job, " verpleegkundige ", "[ verpleegkundige  verpleging zorg *]"},
		{job, "", "[   *]"},
		{ageGender()["profile.age"], "37", "[37 35-39 30-39 *]"},
	} {
		got, err := c.h.Chain(c.in)
		if err != nil || fmt.Sprint(got) != c.want {
			t.Errorf("%s %q: %v %v, want %s", c.h.Field, c.in, got, err, c.want)
		}
	}
}
