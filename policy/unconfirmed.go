package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// UnconfirmedTag marks a value in a policy file that the site's own
// statement does not give (an address, a date, a processor's location or
// role, a period the policy adds): `location: !unconfirmed NL`. The
// engine uses the value as written, the rendered statement never shows it
// as fact (it says the value is not yet confirmed), and
// `steward policy check --strict` fails while any remains (issue 20).
const UnconfirmedTag = "!unconfirmed"

// Unconfirmed is one value marked with UnconfirmedTag.
type Unconfirmed struct {
	// Path is the value's place in the file, e.g. "processors[3].location".
	Path  string
	Value string
	Pos   Pos
}

// unconfirmable are the paths the statement knows how to mark as not yet
// confirmed; the tag anywhere else would be rendered as fact, so the
// validator refuses it.
var unconfirmable = regexp.MustCompile(`^(` + strings.Join([]string{
	`version\.date`,
	`history\[\d+\]\.date`,
	`controller\.(name|address)`,
	`processors\[\d+\]\.(location|kind)`,
	`retention\[\d+\]\.(period|since|warn_before)`,
	`records\[\d+\]\.keep\.period`,
	`cookies\[\d+\]\.lifetime`,
	`usage_counts\.keep`,
}, "|") + `)$`)

// At builds the path of a value in a policy file as Unconfirmed.Path
// writes it: words joined by dots, list indexes in brackets, so
// At("retention", 2, "period") is "retention[2].period".
func At(parts ...any) string {
	var b strings.Builder
	for _, part := range parts {
		switch v := part.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// IsUnconfirmed reports whether the value at path (written as in
// Unconfirmed.Path) is marked unconfirmed.
func (p *Policy) IsUnconfirmed(path string) bool {
	return slices.ContainsFunc(p.Unconfirmed, func(u Unconfirmed) bool { return u.Path == path })
}

// unconfirmed notes a value tagged !unconfirmed and returns the node to
// decode in its place: the same value with the tag it would have had
// without the mark, so a marked number or date decodes like any other.
func (d *decoder) unconfirmed(n *yaml.Node, path string) *yaml.Node {
	if n.Tag != UnconfirmedTag {
		return n
	}
	d.marked = append(d.marked, Unconfirmed{Path: path, Value: n.Value, Pos: Pos{n.Line, n.Column}})
	plain := *n
	plain.Tag = ""
	plain.Tag = plain.ShortTag()
	return &plain
}

// unconfirmedPlaces checks that every !unconfirmed mark is on a value the
// statement can mark as not yet confirmed.
func (v *validator) unconfirmedPlaces() {
	for _, u := range v.p.Unconfirmed {
		if !unconfirmable.MatchString(u.Path) {
			v.fail(u.Pos, nil, "%s: %s is not allowed here: the statement cannot mark this value as not yet confirmed (allowed on version and history dates, controller.name and address, a processor's location and kind, a retention rule's period, since and warn_before, a record's keep.period, a cookie's lifetime and usage_counts.keep)", u.Path, UnconfirmedTag)
		}
	}
}

// UnconfirmedProblems lists every unconfirmed value as a problem, for
// `steward policy check --strict`.
func (p *Policy) UnconfirmedProblems() Problems {
	var out Problems
	for _, u := range p.Unconfirmed {
		what := "no value"
		if u.Value != "" {
			what = fmt.Sprintf("%q", u.Value)
		}
		out = append(out, Problem{File: p.File, Pos: u.Pos, Msg: fmt.Sprintf("%s: %s, marked %s: the site's own statement does not give it", u.Path, what, UnconfirmedTag)})
	}
	return out
}
