package career

import (
	"cmp"
	"slices"

	"steward/catalogue"
)

// News picks, from the items new since the previous issue, those that
// match a person's interests, for the newsletter tailored to them (issue
// 18 item 6, Z4). It is the one rule of "matching": pages do not use it,
// so what a newsletter lists is decided here alone.

// Interests are what a person's issue is tailored with: the properties
// of the functies and opleidingen they saved, their answers to the basic
// questions (as their work preferences keep them), and the items they
// saved (never listed as new).
type Interests struct {
	Saved   []catalogue.Item
	Answers Answers
}

// Empty reports whether there is nothing to tailor with: such a person
// gets the general issue.
func (in *Interests) Empty() bool { return len(in.Saved) == 0 && len(in.Answers) == 0 }

// NewsLimit is how many new functies and how many new opleidingen one
// issue lists at most.
const NewsLimit = 5

// savedScore is how closely it resembles the saved item most like it:
// nothing unless it is in the same sector, then one point for that and
// one each for the same level and region.
func (in *Interests) savedScore(it *catalogue.Item) int {
	best := 0
	for i := range in.Saved {
		s := &in.Saved[i]
		if s.Sector != it.Sector {
			continue
		}
		n := 1
		if s.Level == it.Level {
			n++
		}
		if s.Region == it.Region {
			n++
		}
		best = max(best, n)
	}
	return best
}

func (in *Interests) saved(it *catalogue.Item) bool {
	for i := range in.Saved {
		if in.Saved[i].Kind == it.Kind && in.Saved[i].ExternalID == it.ExternalID {
			return true
		}
	}
	return false
}

// News returns the new items that match in, best first (then by title),
// at most NewsLimit functies and NewsLimit opleidingen. An item matches
// when it suits an answer (Questionnaire.Score; q may be nil) or shares
// its sector with a saved item; one already saved is left out.
func News(q *Questionnaire, fresh []catalogue.Item, in *Interests) (jobs, courses []catalogue.Item) {
	if in.Empty() {
		return nil, nil
	}
	type scored struct {
		it    *catalogue.Item
		score int
	}
	list := make([]scored, 0, 64)
	for i := range fresh {
		it := &fresh[i]
		if !it.Retired.IsZero() || in.saved(it) {
			continue
		}
		n := in.savedScore(it)
		if q != nil && len(in.Answers) > 0 {
			n += q.Score(it, in.Answers)
		}
		if n > 0 {
			list = append(list, scored{it, n})
		}
	}
	// A total order (kind and id are unique), so no stable sort is needed.
	slices.SortFunc(list, func(a, b scored) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.it.Title, b.it.Title),
			cmp.Compare(a.it.Kind, b.it.Kind), cmp.Compare(a.it.ExternalID, b.it.ExternalID))
	})
	for _, s := range list {
		switch {
		case s.it.Kind == catalogue.Job && len(jobs) < NewsLimit:
			jobs = append(jobs, *s.it)
		case s.it.Kind == catalogue.Course && len(courses) < NewsLimit:
			courses = append(courses, *s.it)
		}
	}
	return jobs, courses
}
