package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/policy"
	"steward/rights"
	"steward/statement"
)

// The words pages use for values: dates, periods, lifetimes, who set a
// cookie and the coded values of records, in the reader's language and in
// the same words as the privacy statement (issue 13: no P1Y, no ISO
// timestamps, no "false" or "pending" on a page).

// Date writes a calendar day as it is stored (a deadline, a day
// received): "4 december 2026".
func (p *Page) Date(t time.Time) string { return statement.Date(p.Lang, t) }

// DateTime writes a moment in the site's zone: "4 december 2026, 03:13".
func (p *Page) DateTime(t time.Time) string { return statement.DateTime(p.Lang, t, p.loc()) }

// loc is the zone times are shown in: the site's.
func (p *Page) loc() *time.Location {
	if p.zone == nil {
		return time.UTC
	}
	return p.zone
}

// DayText writes a day given as 2006-01-02 in words; other text is
// shown as it is.
func (p *Page) DayText(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return p.Date(t)
}

// Period writes a calendar period: "2 maanden".
func (p *Page) Period(d policy.Duration) string { return statement.Period(p.Lang, d) }

// PeriodText writes a stored ISO 8601 period ("P2M") in words; text that
// is no period is shown as it is.
func (p *Page) PeriodText(s string) string {
	d, err := policy.ParseDuration(s)
	if err != nil {
		return s
	}
	return p.Period(d)
}

// Lifetime writes a cookie's lifetime: "until you close the browser", "1 year".
func (p *Page) Lifetime(lt policy.Lifetime) string { return statement.Lifetime(p.Lang, lt) }

// CookieProvider names who sets cookie c.
func (p *Page) CookieProvider(c policy.Cookie) string {
	return statement.CookieProvider(p.Lang, p.Site, c)
}

// TermOr is Term, or the text of fallback for a value the catalogue has
// no words for (an open set, such as the kinds of mail).
func (p *Page) TermOr(group string, id any, fallback string) string {
	if key := group + "." + toString(id); p.cat.Has(key) {
		return p.T(key)
	}
	return p.T(fallback)
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case interface{ String() string }:
		return v.String()
	}
	return fmt.Sprint(v)
}

// ItemValue shows field of item it of record kind on "My data": a
// reference to a catalogue (a course's slug) by the entry's title in the
// reader's language, anything else as Value does.
func (p *Page) ItemValue(kind, field string, it rights.Item) string {
	if t, ok := it.Titles[field]; ok {
		if s := t.In(p.Lang); s != "" {
			return s
		}
	}
	return p.Value(kind, field, it.Values[field])
}

// Value shows a value of field of record kind on "My data" in words: ids
// (a purpose, a channel, a status, a kind of mail) by their name, yes/no
// for a true/false field, dates as dates; everything else as stored.
func (p *Page) Value(kind, field, v string) string {
	switch kind + "/" + field {
	case "consent/purpose":
		return p.Purpose(v)
	case "consent/channel":
		return p.Term("consent_channel", v)
	case "privacy_request/type":
		return p.Term("request_type", v)
	case "privacy_request/channel":
		return p.Term("request_channel", v)
	case "privacy_request/status":
		return p.Term("request_status", v)
	case "privacy_request/processing_limit":
		return p.limitWords(v)
	case "mail/kind":
		return p.TermOr("mail_kind", v, "mail_kind.other")
	case "mail/status":
		return p.TermOr("mail_status", v, "mail_status.other")
	case "staff_view/staff":
		return p.T("data.a_staff_member")
	case "staff_view/fields", "disclosure/categories":
		return p.namesOf(kind, v)
	case "disclosure/legal_basis":
		return p.Term("legal_basis", v)
	}
	var typ policy.FieldType
	if rec := p.Site.Record(kind); rec != nil {
		if f := rec.Field(field); f != nil {
			typ = f.Type
			for _, c := range f.Choices {
				if c.Value == v {
					return c.Label.In(p.Lang)
				}
			}
		}
	}
	switch typ {
	case policy.TypeBool:
		if v == "true" || v == "false" {
			return p.T("data.bool_" + v)
		}
	case policy.TypeDate:
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return p.DateTime(t)
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return statement.Date(p.Lang, t)
		}
	}
	return v
}

// limitWords writes a restriction or objection in force ("restriction: *",
// "objection: newsletter") in words.
func (p *Page) limitWords(v string) string {
	kind, purpose, _ := strings.Cut(v, ":")
	words := p.T("staff.limits_title")
	if key := "staff.limit_" + strings.TrimSpace(kind); p.cat.Has(key) {
		words = p.T(key)
	}
	switch purpose = strings.TrimSpace(purpose); purpose {
	case "":
		return words
	case "*":
		return words + ": " + p.T("staff.limit_all")
	default:
		return words + ": " + p.Purpose(purpose)
	}
}

// namesOf writes a comma-separated list of field ids ("account.email") or
// record kinds by their names in the policy.
func (p *Page) namesOf(kind, v string) string {
	var out []string
	for _, id := range strings.Split(v, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if kind == "staff_view" {
			out = append(out, rights.FieldName(p.Site, id).In(p.Lang))
		} else {
			out = append(out, rights.RecordName(p.Site, id).In(p.Lang))
		}
	}
	return strings.Join(out, ", ")
}

// Href is a link of the site's content (policy.Offer.Link) for this page:
// a path on the site keeps the page's language; an address elsewhere is
// left as it is.
func (p *Page) Href(link string) string {
	if !strings.HasPrefix(link, "/") || p.Lang == policy.Languages[0] {
		return link
	}
	sep := "?"
	if strings.Contains(link, "?") {
		sep = "&"
	}
	return link + sep + "lang=" + p.Lang
}

// Price writes an amount in cents as the reader's language writes euros:
// "€ 1.249,50" in Dutch, "€1,249.50" in English.
func (p *Page) Price(cents int64) string {
	whole, frac := cents/100, cents%100
	digits := strconv.FormatInt(whole, 10)
	sep, dec, sym := ",", ".", "€"
	if p.Lang == "nl" {
		sep, dec, sym = ".", ",", "€ "
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(d)
	}
	return fmt.Sprintf("%s%s%s%02d", sym, b.String(), dec, frac)
}

// Upper writes a register's id as its abbreviation (knmp: KNMP).
func (p *Page) Upper(s string) string { return strings.ToUpper(s) }
