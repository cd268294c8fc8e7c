package anonymise_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
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

// TestLeastLossChoice checks the choice on examples whose every lattice
// node was worked out by hand (the comments give each node's NCP).
func TestLeastLossChoice(t *testing.T) {
	cols := []string{"profile.age", "profile.gender"}
	cases := []struct {
		name        string
		rows        [][]string
		maxSup      int
		wantLevels  [2]string
		wantNCP     float64
		wantSupp    int
		wantRows    [][]string
		wantClasses int
	}{
		// (band5, value): classes 30-34/f and 35-39/m of 2, age band
		// covers 2 of 4 ages: NCP (4·1/3)/8 = 1/6. (band10, value): 0.5.
		// (value, any) and (band5, any) refuse or lose more.
		{"band5", rows("30", "f", "31", "f", "36", "m", "37", "m"), 0,
			[2]string{"band5", "value"}, 1.0 / 6, 0,
			[][]string{{"30-34", "f"}, {"30-34", "f"}, {"35-39", "m"}, {"35-39", "m"}}, 2},
		// A fifth person, 50/f, alone in every group that keeps the age:
		// suppressing them at (band5, value) costs (4·1/4 + 2)/10 = 0.3,
		// less than (any, value) at 0.5.
		{"suppress one", rows("30", "f", "31", "f", "36", "m", "37", "m", "50", "f"), 1,
			[2]string{"band5", "value"}, 0.3, 1,
			[][]string{{"30-34", "f"}, {"30-34", "f"}, {"35-39", "m"}, {"35-39", "m"}}, 2},
		// Without suppression only hiding the age works: (any, value) 0.5.
		{"no suppression", rows("30", "f", "31", "f", "36", "m", "37", "m", "50", "f"), 0,
			[2]string{"any", "value"}, 0.5, 0,
			[][]string{{"*", "f"}, {"*", "f"}, {"*", "f"}, {"*", "m"}, {"*", "m"}}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := anonymise.Anonymise(anonymise.Dataset{Columns: cols, Rows: c.rows},
				anonymise.Config{Hierarchies: ageGender(), K: 2, MaxSuppressed: c.maxSup})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Report
			if got := [2]string{r.Levels[0].Name, r.Levels[1].Name}; got != c.wantLevels {
				t.Errorf("levels %v, want %v", got, c.wantLevels)
			}
			if math.Abs(r.NCP-c.wantNCP) > 1e-9 || r.Suppressed != c.wantSupp || r.K != 2 || r.Classes != c.wantClasses {
				t.Errorf("report %+v, want NCP %v, suppressed %d, k 2, %d classes", r, c.wantNCP, c.wantSupp, c.wantClasses)
			}
			if fmt.Sprint(res.Rows) != fmt.Sprint(c.wantRows) {
				t.Errorf("rows %v, want %v", res.Rows, c.wantRows)
			}
			if r.Nodes != 8 {
				t.Errorf("evaluated %d nodes, want all 8", r.Nodes)
			}
		})
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
