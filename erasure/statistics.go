package erasure

import (
	"strings"

	"steward/anonymise"
	"steward/policy"
)

// Statistic is one field an anonymised account keeps, generalised, in the
// statistics table (Z9: it still counts in statistics, nothing links it to
// the person): the policy's generalisation of the field with its
// `statistics` level.
type Statistic struct {
	// Record and Field name the profile field ("profile", "age").
	Record, Field string
	// Level is the level's name ("band5", "province"; "value" for a choice).
	Level string
	h     *anonymise.Hierarchy
	lv    int
}

// Name is the field as the policy writes it, "record.field".
func (s Statistic) Name() string { return s.Record + "." + s.Field }

// Value is stored generalised to the statistic's level; "" for a missing
// value or one the hierarchy does not cover (an erasure never stops for a
// gap in a hierarchy, and an ungeneralised value never survives).
func (s Statistic) Value(stored string) string { return s.h.At(stored, s.lv) }

// Statistics lists what an anonymised account keeps, in the policy's
// order of generalisations; nil when it keeps nothing.
func Statistics(p *policy.Policy) []Statistic {
	var out []Statistic
	for i := range p.Generalisations {
		g := &p.Generalisations[i]
		if g.Statistics == "" {
			continue
		}
		h := anonymise.NewHierarchy(g)
		lv := h.LevelIndex(g.Statistics)
		rec, field, _ := strings.Cut(g.Field, ".")
		if lv < 0 || rec == "" || field == "" {
			continue // the validator refuses it; never keep an ungeneralised value
		}
		out = append(out, Statistic{Record: rec, Field: field, Level: g.Statistics, h: h, lv: lv})
	}
	return out
}
