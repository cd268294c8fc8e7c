package statement

import (
	"fmt"
	"time"

	"steward/policy"
)

// The statement's words for values, for every page that shows the same
// values (issue 13: /cookies, My data and the staff pages say what the
// privacy statement says, never P1Y or an ISO timestamp). A language the
// catalogue lacks falls back to the key in brackets, as in the statement.

// Period writes d in words: "2 maanden", "1 year and 6 months".
func Period(lang string, d policy.Duration) string { return newLexicon(lang).period(d, false) }

// Lifetime writes a cookie's lifetime: "until you close the browser" or a
// period.
func Lifetime(lang string, lt policy.Lifetime) string { return newLexicon(lang).lifetime(lt) }

// Date writes a day: "4 december 2026".
func Date(lang string, d time.Time) string { return newLexicon(lang).date(d) }

// DateTime writes a moment in zone as a reader does: "4 december 2026,
// 03:13".
func DateTime(lang string, t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(zone)
	return fmt.Sprintf("%s, %02d:%02d", Date(lang, t), t.Hour(), t.Minute())
}

// CookieProvider names who sets cookie c: the processor's name, or the
// site itself ("Instituut … (ourselves)").
func CookieProvider(lang string, p *policy.Policy, c policy.Cookie) string {
	if pr := p.Processor(c.Provider); pr != nil {
		return pr.Name
	}
	return newLexicon(lang).f("cookies.first_party", p.Site.Name)
}
