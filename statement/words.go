package statement

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"steward/policy"
)

// ErrUnknownLanguage is returned for a language the statement is not
// written in. Callers map it to a usage error (CLI exit 2, HTTP 400).
var ErrUnknownLanguage = errors.New("statement: unknown language")

// lexicon turns the policy's executable values (periods, dates, legal
// bases, lists) into words of one language, from that language's catalogue.
// The first missing catalogue key is kept in err, so a gap fails the render
// instead of showing a raw key to a reader.
type lexicon struct {
	lang string
	err  error
}

func newLexicon(lang string) *lexicon {
	return &lexicon{lang: lang}
}

// t returns the catalogue text for key.
func (l *lexicon) t(key string) string {
	s, ok := lookup(l.lang, key)
	if !ok {
		if l.err == nil {
			l.err = fmt.Errorf("statement: catalogue %s has no %q", l.lang, key)
		}
		return "[" + key + "]"
	}
	return s
}

// f formats the catalogue text for key, which uses fmt verbs with explicit
// argument indexes (%[1]s) where word order differs between languages.
func (l *lexicon) f(key string, args ...any) string {
	return fmt.Sprintf(l.t(key), args...)
}

// number writes n in digits, or, when spelled and n is small, in words
// ("één", "two"), as the seeds do for the response deadline.
func (l *lexicon) number(n int, spelled bool) string {
	if spelled && n >= 1 && n <= 12 {
		return l.t(fmt.Sprintf("number.%d", n))
	}
	return fmt.Sprint(n)
}

// count writes n with the singular or plural form of unit: "1 jaar",
// "7 jaar", "2 maanden"; "1 year", "2 months".
func (l *lexicon) count(n int, unit string, spelled bool) string {
	form := "other"
	if n == 1 {
		form = "one"
	}
	return l.number(n, spelled) + " " + l.t("unit."+unit+"."+form)
}

// period writes a calendar period in words: "1 jaar", "1 jaar en 6
// maanden", "2 weken". Whole weeks are written as weeks, as the policy file
// allows them (P2W).
func (l *lexicon) period(d policy.Duration, spelled bool) string {
	var parts []string
	if d.Years != 0 {
		parts = append(parts, l.count(d.Years, "year", spelled))
	}
	if d.Months != 0 {
		parts = append(parts, l.count(d.Months, "month", spelled))
	}
	switch {
	case d.Days != 0 && d.Days%7 == 0:
		parts = append(parts, l.count(d.Days/7, "week", spelled))
	case d.Days != 0:
		parts = append(parts, l.count(d.Days, "day", spelled))
	}
	if len(parts) == 0 {
		return l.count(0, "day", spelled)
	}
	return l.list(parts, "and")
}

// lifetime writes a cookie's lifetime: until the browser closes, or a period.
func (l *lexicon) lifetime(lt policy.Lifetime) string {
	if lt.Session {
		return l.t("cookie.session")
	}
	return l.period(lt.Period, false)
}

// date writes a date as a reader expects it: "8 februari 2024",
// "8 February 2024".
func (l *lexicon) date(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return l.f("date", d.Day(), l.t(fmt.Sprintf("month.%d", int(d.Month()))), d.Year())
}

// list joins items as a sentence does: "a, b en c"; conj is "and" or "or".
func (l *lexicon) list(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + l.t("list."+conj) + " " + items[len(items)-1]
}

// basis writes a legal basis with its article: "toestemming (art. 6 lid 1
// sub a AVG)", "consent (Art. 6(1)(a) GDPR)".
func (l *lexicon) basis(b policy.LegalBasis) string {
	return l.f("basis.format", l.t("basis."+string(b)), l.basisArticle(b))
}

// basisArticle writes the Art. 6(1) reference of a legal basis in the
// language's legal style.
func (l *lexicon) basisArticle(b policy.LegalBasis) string {
	art := b.Article() // "6(1)(a)"
	if len(art) < 7 {
		return ""
	}
	return l.f("basis.article", art[5:6])
}

// inSentence lower-cases the first letter of a name used inside a sentence
// ("Bestelling" → "bestelling"), unless the name starts with an acronym or
// a proper noun written in capitals ("BIG-nummer", "LMS").
func inSentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	if next, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(next) || unicode.IsDigit(next) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// paragraphs splits a policy text into paragraphs at blank lines. Inside a
// paragraph the line breaks are folded into spaces, as YAML folds a ">-"
// block, so a long text written as a literal block ("|-", one blank line
// between paragraphs; docs/policy-format.md) may wrap wherever its author
// likes without a line break showing in the statement (G1).
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		lines := strings.Split(p, "\n")
		for i := range lines {
			lines[i] = strings.TrimSpace(lines[i])
		}
		if p = strings.TrimSpace(strings.Join(lines, " ")); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// DateInWords writes a date in words in lang ("4 december 2026",
// "4 December 2026"), as the statement writes its dates, for pages that
// show a date next to it (the published versions of the policy).
func DateInWords(lang string, d time.Time) (string, error) {
	lang, err := Language(lang)
	if err != nil {
		return "", err
	}
	l := newLexicon(lang)
	s := l.date(d)
	return s, l.err
}

// PeriodInWords writes a period in words in lang ("3 jaar", "30 days"),
// as the statement writes its periods.
func PeriodInWords(lang string, d policy.Duration) (string, error) {
	lang, err := Language(lang)
	if err != nil {
		return "", err
	}
	l := newLexicon(lang)
	s := l.period(d, false)
	return s, l.err
}
