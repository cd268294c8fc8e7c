// Package anonymise makes a dataset k-anonymous and l-diverse before it
// leaves for an analysis partner (Z6, issue 19). It is pure: it takes rows
// and the policy's hierarchies and returns the rows to release with a
// report, and knows no store, clock or file.
//
// The algorithm is Mondrian multidimensional partitioning (K. LeFevre, D.
// DeWitt, R. Ramakrishnan, "Mondrian multidimensional k-anonymity", ICDE
// 2006), strict, constrained to the policy's hierarchies: a number, a
// postcode or a date is cut as an ordered value and released as the range
// its class holds; a categorical value is cut in the order of the
// hierarchy's leaves (job titles group by group) and released as one
// value, the group when the class holds all of it, or the run of leaves
// it spans. A cut is made only when both halves keep k rows and distinct
// l-diversity (Machanavajjhala et al., ICDE 2006) for every sensitive
// field. Information loss is the normalised certainty penalty (Xu et al.,
// KDD 2006) and the discernibility metric (Bayardo and Agrawal, ICDE
// 2005). The cuts are kept (Partition) and later releases refine them
// rather than cut afresh, so that two releases cannot be intersected into
// groups below k. docs/anonymisation.md explains the choice.
package anonymise

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/policy"
)

// Any is the value of the top level of every hierarchy.
const Any = "*"

// level computes one level's value from the level below (prev) and the
// stored value (src); ok is false when the hierarchy does not cover it.
type level struct {
	name string
	f    func(prev, src string) (string, bool)
}

// Hierarchy generalises the values of one quasi-identifier: level 0 is
// the stored value, the declared levels follow, and the last is Any.
type Hierarchy struct {
	Field  string
	levels []level
	// kind is how the stored value is ordered for Mondrian's cuts: by
	// its number ("band"), its postcode's four digits ("ranges"), its day
	// ("date"), or, "", as a categorical value in the order of leaves.
	kind string
	// leaves are, for a hierarchy whose first level is groups, the
	// members group by group (normalised); group names each leaf's group
	// and groupSize counts each group's members.
	leaves    []string
	group     map[string]string
	groupSize map[string]int
}

// NewHierarchy builds the hierarchy the policy declares. The policy was
// validated, so every level has exactly one kind.
func NewHierarchy(g *policy.Generalisation) *Hierarchy {
	h := &Hierarchy{Field: g.Field}
	for _, l := range g.Levels {
		h.levels = append(h.levels, level{name: l.Name, f: levelFunc(l)})
	}
	if len(g.Levels) > 0 {
		switch l := g.Levels[0]; {
		case l.Band != 0:
			h.kind = "band"
		case len(l.Ranges) > 0:
			h.kind = "ranges"
		case l.Date != "":
			h.kind = "date"
		default:
			h.group, h.groupSize = map[string]string{}, map[string]int{}
			for _, gr := range l.Groups {
				for _, m := range gr.Members {
					if _, dup := h.group[normal(m)]; !dup {
						h.leaves = append(h.leaves, normal(m))
						h.group[normal(m)] = gr.Value
						h.groupSize[gr.Value]++
					}
				}
			}
		}
	}
	return h
}

func levelFunc(l policy.GenLevel) func(prev, src string) (string, bool) {
	switch {
	case l.Band != 0:
		w := l.Band
		return func(_, src string) (string, bool) {
			n, err := strconv.Atoi(strings.TrimSpace(src))
			if err != nil || n < 0 {
				return "", false
			}
			lo := n / w * w
			return fmt.Sprintf("%d-%d", lo, lo+w-1), true
		}
	case l.Date != "":
		unit := l.Date
		return func(_, src string) (string, bool) {
			t, err := parseDate(src)
			if err != nil {
				return "", false
			}
			switch unit {
			case "month":
				return t.Format("2006-01"), true
			case "quarter":
				return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())+2)/3), true
			default:
				return strconv.Itoa(t.Year()), true
			}
		}
	case len(l.Ranges) > 0:
		rs := l.Ranges
		return func(_, src string) (string, bool) {
			s := strings.TrimSpace(src)
			if len(s) < 4 {
				return "", false
			}
			n, err := strconv.Atoi(s[:4])
			if err != nil {
				return "", false
			}
			for _, r := range rs {
				if n >= r.From && n <= r.To {
					return r.Value, true
				}
			}
			return "", false
		}
	default:
		parent := map[string]string{}
		for _, g := range l.Groups {
			for _, m := range g.Members {
				parent[normal(m)] = g.Value
			}
		}
		return func(prev, _ string) (string, bool) {
			p, ok := parent[normal(prev)]
			return p, ok
		}
	}
}

func normal(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(time.DateOnly, s)
}

// Height is the number of levels: the stored value, the declared levels
// and Any.
func (h *Hierarchy) Height() int { return len(h.levels) + 2 }

// LevelName names level i: "value", a declared level's name, or "any".
func (h *Hierarchy) LevelName(i int) string {
	switch {
	case i == 0:
		return "value"
	case i <= len(h.levels):
		return h.levels[i-1].name
	default:
		return "any"
	}
}

// Chain returns src at every level, from the stored value to Any. A
// missing value ("") stays missing below Any. A value the hierarchy does
// not cover is an EINVALID error naming the field and level, never the
// value (it may be personal).
func (h *Hierarchy) Chain(src string) ([]string, error) {
	out := make([]string, h.Height())
	out[0] = src
	prev := src
	for i, l := range h.levels {
		if src == "" {
			out[i+1] = ""
			continue
		}
		v, ok := l.f(prev, src)
		if !ok {
			return nil, steward.Errorf(steward.EINVALID, "error.anonymise_not_covered", "field", h.Field, "level", l.name)
		}
		out[i+1], prev = v, v
	}
	out[len(out)-1] = Any
	return slices.Clip(out), nil
}

// LevelIndex returns the index of the level named name ("value" is 0,
// "any" the last), or -1.
func (h *Hierarchy) LevelIndex(name string) int {
	for i := range h.Height() {
		if h.LevelName(i) == name {
			return i
		}
	}
	return -1
}

// At returns src generalised to level lv for the statistics an
// anonymised account keeps (Z9). A missing value, or one the hierarchy
// does not cover (a job no group lists), is "": an erasure never stops
// for a gap in a hierarchy, and an uncovered value never survives.
func (h *Hierarchy) At(src string, lv int) string {
	if src == "" || lv < 0 || lv >= h.Height() {
		return ""
	}
	ch, err := h.Chain(src)
	if err != nil {
		return ""
	}
	return ch[lv]
}

// key returns an ordered hierarchy's stored value as a number to cut on:
// the integer, the postcode's four digits, or the day since 1970.
func (h *Hierarchy) key(src string) (int64, bool) {
	s := strings.TrimSpace(src)
	switch h.kind {
	case "band":
		n, err := strconv.Atoi(s)
		return int64(n), err == nil
	case "ranges":
		if len(s) < 4 {
			return 0, false
		}
		n, err := strconv.Atoi(s[:4])
		return int64(n), err == nil
	case "date":
		t, err := parseDate(s)
		if err != nil {
			return 0, false
		}
		return t.Unix() / 86400, true
	}
	return 0, false
}

// span writes the keys lo–hi of an ordered hierarchy as a value: "37" or
// "37-41", a postcode's "3500-3583", a date's "2024-05-01/2024-06-30".
func (h *Hierarchy) span(lo, hi int64) string {
	f := func(n int64) string {
		switch h.kind {
		case "ranges":
			return fmt.Sprintf("%04d", n)
		case "date":
			return time.Unix(n*86400, 0).UTC().Format(time.DateOnly)
		}
		return strconv.FormatInt(n, 10)
	}
	switch {
	case lo == hi:
		return f(lo)
	case h.kind == "date":
		return f(lo) + "/" + f(hi)
	}
	return f(lo) + "-" + f(hi)
}
