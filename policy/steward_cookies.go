package policy

import (
	"slices"
	"strings"
)

// The cookies Steward itself sets. Their names, categories and lifetimes
// are the ones the web server uses when it sets them, so a policy file
// declares only where they apply and what they are for in the site's own
// words: the loader fills in the rest, and the statement cannot drift from
// the running server (issue 20).
const (
	// SessionCookie keeps a person logged in (R11: strictly necessary,
	// session-only, removed on logout). Over HTTPS the browser sees it with
	// the __Host- prefix, which is its guard, not another cookie.
	SessionCookie = "steward_session"
	// ChoiceCookie remembers a visitor's answer to the cookie notice
	// (functional, no consent needed: it only stores the choice,
	// Telecommunicatiewet 11.7a(3)(b)).
	ChoiceCookie = "steward_consent"
	// LoginCookie carries a half-done login between the password and the
	// second-factor code (strictly necessary, session-only; the server
	// forgets the login it names after account.ChallengeLifetime).
	LoginCookie = "steward_login"
	// NoticeCookie remembers that an anonymous visitor dismissed the
	// banner about a policy change: the version's number, nothing else
	// (functional, no consent needed: it stores the visitor's choice; a
	// logged-in person's dismissal is kept with the account instead).
	NoticeCookie = "steward_notice"
)

// NoticeCookieLifetime is how long the notice cookie lives: as long as a
// banner may show (MaxBannerDays).
var NoticeCookieLifetime = Duration{Days: MaxBannerDays}

// ChoiceCookieLifetime is how long the choice cookie lives.
var ChoiceCookieLifetime = Duration{Years: 1}

// StewardCookies are the cookies Steward sets, as the statement lists them.
var StewardCookies = []Cookie{
	{Name: SessionCookie, Provider: "first_party", Category: CookieNecessary, Lifetime: Lifetime{Session: true}},
	{Name: ChoiceCookie, Provider: "first_party", Category: CookieFunctional, Lifetime: Lifetime{Period: ChoiceCookieLifetime}},
	{Name: LoginCookie, Provider: "first_party", Category: CookieNecessary, Lifetime: Lifetime{Session: true}},
	{Name: NoticeCookie, Provider: "first_party", Category: CookieFunctional, Lifetime: Lifetime{Period: NoticeCookieLifetime}},
}

// stewardCookiePrefix starts the name of every cookie Steward sets.
const stewardCookiePrefix = "steward_"

// stewardCookie returns Steward's own definition of the cookie named
// name, or nil.
func stewardCookie(name string) *Cookie {
	for i := range StewardCookies {
		if StewardCookies[i].Name == name {
			return &StewardCookies[i]
		}
	}
	return nil
}

// fillStewardCookies completes the declarations of Steward's own cookies
// from StewardCookies. A declaration that sets their provider, category,
// lifetime or consent itself is a problem: those come from the server.
func fillStewardCookies(p *Policy) Problems {
	var out Problems
	for i := range p.Cookies {
		c := &p.Cookies[i]
		own := stewardCookie(c.Name)
		if own == nil {
			continue
		}
		if c.Provider != "" || c.Category != "" || c.Lifetime != (Lifetime{}) || c.Consent {
			out = append(out, Problem{File: p.File, Pos: c.Pos, About: []string{"provider", "category", "lifetime", "consent"},
				Msg: "cookie " + c.Name + " is set by Steward: its provider, category, lifetime and consent come from the running server; declare only its description, purpose and host"})
		}
		c.Provider, c.Category, c.Lifetime, c.Consent = own.Provider, own.Category, own.Lifetime, own.Consent
	}
	return out
}

// UndeclaredStewardCookies returns the cookies Steward sets that the
// policy does not declare; the statement lists them in its own words.
func (p *Policy) UndeclaredStewardCookies() []Cookie {
	var out []Cookie
	for _, own := range StewardCookies {
		if !slices.ContainsFunc(p.Cookies, func(c Cookie) bool { return c.Name == own.Name }) {
			out = append(out, own)
		}
	}
	return out
}

// stewardCookies checks that no declared cookie claims Steward's name
// without being one of its cookies.
func (v *validator) stewardCookies() {
	for _, c := range v.p.Cookies {
		if strings.HasPrefix(c.Name, stewardCookiePrefix) && stewardCookie(c.Name) == nil {
			v.fail(c.Pos, on("name"), "cookie %q: Steward sets no such cookie (its own are %s, %s, %s and %s)", c.Name, SessionCookie, ChoiceCookie, LoginCookie, NoticeCookie)
		}
	}
}
