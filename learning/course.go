// Package learning is the domain of IVM's learning side (issue 16, R5):
// the course catalogue — slug, title and description in both languages,
// the learning environment's course id, accreditation points per register,
// a price in cents or free, published or not — its import from CSV or
// JSON, and the rules of an enrolment, which is a record of the policy's
// enrolment kind. It does no SQL and no HTTP; learning/service applies it.
// A later session adds learning results, the LMS link and accreditation.
package learning

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"steward"
	"steward/policy"
)

// EnrolmentKind is the policy record kind of an enrolment. A policy that
// declares it has courses (the /courses pages); one that does not has
// none (Zorginspirator).
const EnrolmentKind = "enrolment"

// Enabled reports whether the policy's site has courses.
func Enabled(p *policy.Policy) bool { return p != nil && p.Record(EnrolmentKind) != nil }

// Course is one course of the catalogue.
type Course struct {
	Slug        string
	Title       policy.Text
	Description policy.Text
	LMSCourseID string
	Points      []Points
	PriceCents  int64
	Published   bool
}

// Points are the accreditation points a course earns in one register
// (KNMP, KRP, …).
type Points struct {
	Register string
	Points   int
}

// Free reports whether the course costs nothing.
func (c *Course) Free() bool { return c.PriceCents == 0 }

// Limits of a course's texts and numbers.
const (
	MaxTitle       = 200
	MaxDescription = 5000
	MaxLMSID       = 100
	MaxPoints      = 1000
	MaxPriceCents  = 10_000_000
)

var (
	slugRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,79}$`)
	registerRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

// Check normalises c (trimmed texts, points by register) and refuses what
// the catalogue cannot hold: a slug that is not lower-case letters,
// digits and hyphens, a missing title in either language, over-long
// texts, control characters, unknown or repeated registers, negative or
// absurd points and prices.
func (c *Course) Check() error {
	c.Slug = strings.TrimSpace(c.Slug)
	if !slugRE.MatchString(c.Slug) {
		return steward.FieldError("slug", "error.course_slug")
	}
	for _, t := range []struct {
		field string
		v     *string
		max   int
		req   bool
	}{
		{"title_nl", &c.Title.NL, MaxTitle, true}, {"title_en", &c.Title.EN, MaxTitle, true},
		{"description_nl", &c.Description.NL, MaxDescription, false}, {"description_en", &c.Description.EN, MaxDescription, false},
		{"lms_course_id", &c.LMSCourseID, MaxLMSID, false},
	} {
		*t.v = strings.TrimSpace(*t.v)
		switch {
		case t.req && *t.v == "":
			return steward.FieldError(t.field, "error.is_required")
		case utf8.RuneCountInString(*t.v) > t.max:
			return steward.FieldError(t.field, "error.course_text_too_long", "max", t.max)
		case strings.IndexFunc(*t.v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0:
			return steward.FieldError(t.field, "error.organisation_name_control")
		}
	}
	if c.PriceCents < 0 || c.PriceCents > MaxPriceCents {
		return steward.FieldError("price_cents", "error.course_price", "max", MaxPriceCents)
	}
	seen := map[string]bool{}
	for i := range c.Points {
		p := &c.Points[i]
		p.Register = strings.TrimSpace(p.Register)
		if !registerRE.MatchString(p.Register) || seen[p.Register] {
			return steward.FieldError("points", "error.course_register", "register", p.Register)
		}
		seen[p.Register] = true
		if p.Points < 0 || p.Points > MaxPoints {
			return steward.FieldError("points", "error.course_points", "max", MaxPoints)
		}
	}
	slices.SortFunc(c.Points, func(a, b Points) int { return strings.Compare(a.Register, b.Register) })
	return nil
}

// Changed names the fields in which c differs from old, for the audit
// entry of an import (names only).
func (c *Course) Changed(old *Course) []string {
	var out []string
	add := func(name string, differs bool) {
		if differs {
			out = append(out, name)
		}
	}
	add("title", c.Title != old.Title)
	add("description", c.Description != old.Description)
	add("lms_course_id", c.LMSCourseID != old.LMSCourseID)
	add("points", !slices.Equal(c.Points, old.Points))
	add("price_cents", c.PriceCents != old.PriceCents)
	add("published", c.Published != old.Published)
	return out
}

// CourseFields are the field names of a new course's audit entry.
var CourseFields = []string{"description", "lms_course_id", "points", "price_cents", "published", "title"}
