package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Pos is a position in a policy file, 1-based.
type Pos struct {
	Line, Col int
}

// Languages are the languages every text of a policy is written in (G1).
// Dutch comes first: it is the default.
var Languages = []string{"nl", "en"}

// Text is a text in every language of the statement. In JSON (the export,
// the API) it is {"nl": …, "en": …}, keyed by language code as in the
// policy file (docs/export-schema.md).
type Text struct {
	NL string `yaml:"nl" json:"nl"`
	EN string `yaml:"en" json:"en"`
}

// In returns the text in lang, falling back to Dutch.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.NL
}

// IsZero reports whether the text is empty in every language.
func (t Text) IsZero() bool { return t.NL == "" && t.EN == "" }

// Complete reports whether the text is given in every language.
func (t Text) Complete() bool { return t.NL != "" && t.EN != "" }

// Duration is a calendar period in the ISO 8601 form PnYnMnWnD (for
// example P1Y, P4Y, P30D, P1M). Periods are calendar-aware: one month after
// 31 January is the last day of February, as Art. 12(3) GDPR deadlines and
// retention periods are counted.
type Duration struct {
	Years, Months, Days int
}

var durationRE = regexp.MustCompile(`^P(?:(\d{1,4})Y)?(?:(\d{1,5})M)?(?:(\d{1,5})W)?(?:(\d{1,6})D)?$`)

// ParseDuration parses an ISO 8601 calendar duration (no time part).
func ParseDuration(s string) (Duration, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil || s == "P" {
		return Duration{}, fmt.Errorf("invalid duration %q: want ISO 8601 such as P1Y, P6M, P2W or P30D", s)
	}
	n := func(i int) int {
		if m[i] == "" {
			return 0
		}
		v, _ := strconv.Atoi(m[i]) // the pattern allows only digits
		return v
	}
	return Duration{Years: n(1), Months: n(2), Days: 7*n(3) + n(4)}, nil
}

// MustDuration is ParseDuration for constants in tests and code; it panics
// on a malformed duration.
func MustDuration(s string) Duration {
	d, err := ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is the empty period.
func (d Duration) IsZero() bool { return d == Duration{} }

// String returns d in ISO 8601 form.
func (d Duration) String() string {
	if d.IsZero() {
		return "P0D"
	}
	var b strings.Builder
	b.WriteByte('P')
	if d.Years != 0 {
		fmt.Fprintf(&b, "%dY", d.Years)
	}
	if d.Months != 0 {
		fmt.Fprintf(&b, "%dM", d.Months)
	}
	if d.Days != 0 {
		fmt.Fprintf(&b, "%dD", d.Days)
	}
	return b.String()
}

// AddTo returns t plus d. Years and months are added first; when the day
// does not exist in the resulting month, the last day of that month is used
// (31 January + P1M = 28 or 29 February). Days are added after that.
func (d Duration) AddTo(t time.Time) time.Time {
	if d.Years != 0 || d.Months != 0 {
		y, m, day := t.Date()
		first := time.Date(y+d.Years, m+time.Month(d.Months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
		last := first.AddDate(0, 1, -1).Day()
		if day > last {
			day = last
		}
		t = first.AddDate(0, 0, day-1)
	}
	return t.AddDate(0, 0, d.Days)
}

// SubFrom returns the latest moment s such that d.AddTo(s) <= t. It turns
// a period into a cut-off for a query: a record anchored at s has passed the
// period at t, and one anchored later on a later day has not.
//
// Month-end clamping makes AddTo many-to-one and, within the last days of a
// month, not monotone: 30 January 18:00 + P1M is 28 February 18:00, later
// than 31 January 06:00 + P1M. So a record anchored at or before s can still
// be up to a day short of the period; a caller that must never act early
// re-checks d.AddTo(anchor) <= t for each record it selects.
func (d Duration) SubFrom(t time.Time) time.Time {
	// Undo the days, then the months and years (AddTo's reverse order), to
	// get near the answer; the true answer lies a few days around it.
	back := Duration{Years: -d.Years, Months: -d.Months}.AddTo(t.AddDate(0, 0, -d.Days))
	y, m, day := back.Date()
	for i := 7; i >= -7; i-- {
		start := time.Date(y, m, day+i, 0, 0, 0, 0, t.Location())
		if d.AddTo(start).After(t) {
			continue
		}
		// Within one day AddTo only moves forward with the clock, so the
		// answer is found by halving the day.
		lo, hi := start, start.AddDate(0, 0, 1) // AddTo(lo) <= t; the answer is < hi
		for hi.Sub(lo) > 1 {
			mid := lo.Add(hi.Sub(lo) / 2)
			if d.AddTo(mid).After(t) {
				hi = mid
			} else {
				lo = mid
			}
		}
		return lo
	}
	// Unreachable for the periods ParseDuration accepts; keep a safe,
	// conservative answer rather than panic.
	return back.AddDate(0, 0, -7)
}

// Date is a calendar date (YYYY-MM-DD) in a policy file.
type Date struct {
	time.Time
}

// String returns the date as YYYY-MM-DD.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// Lifetime is how long a cookie lives: for the browser session, or a period.
type Lifetime struct {
	Session bool
	Period  Duration
}

// String returns "session" or the period.
func (l Lifetime) String() string {
	if l.Session {
		return "session"
	}
	return l.Period.String()
}

func (d *Duration) decodeScalar(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d *Date) decodeScalar(s string) error {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	d.Time = t
	return nil
}

func (l *Lifetime) decodeScalar(s string) error {
	if s == "session" {
		*l = Lifetime{Session: true}
		return nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid lifetime %q: want \"session\" or an ISO 8601 duration such as P1Y", s)
	}
	*l = Lifetime{Period: d}
	return nil
}
