package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"

	"steward"
	"steward/consent"
	"steward/policy"
)

// choiceCookie remembers a visitor's answer to the cookie notice
// (policy.ChoiceCookie: its lifetime and category come from there, and the
// statement lists it from there). It holds a random visitor id, under
// which the choice is also kept as consent records, and the accepted
// categories, signed so that a changed cookie counts as no choice.
const choiceCookie = policy.ChoiceCookie

// cookieChoice is a valid, signed answer to the notice.
type cookieChoice struct {
	Visitor  string
	Accepted []policy.CookieCategory
}

// signChoice encodes a choice as "1.VISITOR.CATS.MAC"; CATS is the
// accepted categories joined with "-", or "none".
func (c *consentWeb) signChoice(ch cookieChoice) string {
	cats := "none"
	if len(ch.Accepted) > 0 {
		parts := make([]string, len(ch.Accepted))
		for i, a := range ch.Accepted {
			parts[i] = string(a)
		}
		cats = strings.Join(parts, "-")
	}
	body := "1." + ch.Visitor + "." + cats
	return body + "." + c.mac(body)
}

func (c *consentWeb) mac(body string) string {
	m := hmac.New(sha256.New, c.cookieKey)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// readChoice returns the request's choice; a missing, malformed or
// tampered cookie is no choice (R11: nothing optional runs on it).
func (c *consentWeb) readChoice(r *http.Request, p *policy.Policy) (cookieChoice, bool) {
	ck, err := r.Cookie(choiceCookie)
	if err != nil {
		return cookieChoice{}, false
	}
	parts := strings.Split(ck.Value, ".")
	if len(parts) != 4 || parts[0] != "1" || !visitorID(parts[1]) {
		return cookieChoice{}, false
	}
	body := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(parts[3]), []byte(c.mac(body))) {
		return cookieChoice{}, false
	}
	ch := cookieChoice{Visitor: parts[1]}
	if parts[2] != "none" {
		optional := optionalCategories(p)
		for _, cat := range strings.Split(parts[2], "-") {
			if !slices.Contains(optional, policy.CookieCategory(cat)) {
				return cookieChoice{}, false
			}
			ch.Accepted = append(ch.Accepted, policy.CookieCategory(cat))
		}
	}
	return ch, true
}

func visitorID(s string) bool {
	if len(s) != 2+32 || !strings.HasPrefix(s, "v_") {
		return false
	}
	_, err := hex.DecodeString(s[2:])
	return err == nil
}

func newVisitorID() string {
	var b [16]byte
	rand.Read(b[:])
	return "v_" + hex.EncodeToString(b[:])
}

// optionalCategories are the categories with at least one cookie that
// needs consent: the ones the notice asks about.
func optionalCategories(p *policy.Policy) []policy.CookieCategory {
	var out []policy.CookieCategory
	for _, cat := range policy.CookieCategories {
		for _, ck := range p.Cookies {
			if ck.Category == cat && ck.Consent {
				out = append(out, cat)
				break
			}
		}
	}
	return out
}

// categoryPurposes are the consent purposes asked in the cookie notice for
// a category: accepting the category gives consent for each.
func categoryPurposes(p *policy.Policy, cat policy.CookieCategory) []*policy.Purpose {
	var out []*policy.Purpose
	for _, ck := range p.Cookies {
		if ck.Category != cat || !ck.Consent {
			continue
		}
		pu := p.Purpose(ck.Purpose)
		if pu == nil || !pu.NeedsConsent() || pu.Consent == nil || !slices.Contains(pu.Consent.Channels, policy.ChannelCookieNotice) {
			continue
		}
		if !slices.Contains(out, pu) {
			out = append(out, pu)
		}
	}
	return out
}

// cookieCategoryView is one category in the notice and on /cookies.
type cookieCategoryView struct {
	ID      policy.CookieCategory
	Cookies []policy.Cookie
	// Rows are Cookies as /cookies lists them: one row per cookie, a
	// cookie set on several hosts once with all of them ("MoodleSession").
	Rows []cookieRow
	// Optional categories are asked about; the others are always on
	// (necessary, functional, and privacy-friendly analytics where the
	// policy sets it without consent, Z5).
	Optional bool
	Accepted bool
	// Notices are the exact texts consent is asked with.
	Notices []string
}

// scriptTag is a self-hosted script the page may load (CSP 'self').
type scriptTag struct {
	Src      string
	Category policy.CookieCategory
	Cookies  string
}

// cookieView is what the layout needs to show the notice and the scripts.
type cookieView struct {
	Chosen bool
	// Notice is true where the notice is shown: before a choice, except
	// on /cookies, which is the notice at length, and on staff pages,
	// which are not the public site (issue 13).
	Notice     bool
	Categories []cookieCategoryView
	Scripts    []scriptTag
	// Action is where the notice posts, Return the page to come back to.
	Action string
	Return string
}

// cookieView computes the notice and the allowed scripts for a request.
// A script of a category that needs consent is rendered only when the
// visitor accepted it and the purpose gate allows every purpose of its
// cookies now (Z5: the marketing pixel only after consent; R11).
func (s *Server) cookieView(r *http.Request, lang string) *cookieView {
	p := s.cfg.Policy
	ch, chosen := s.consent.readChoice(r, p)
	v := &cookieView{Chosen: chosen, Action: "/cookies" + langQuery(lang), Return: r.URL.RequestURI(),
		Notice: !chosen && r.URL.Path != "/cookies" && !strings.HasPrefix(r.URL.Path, "/staff/")}
	if r.Method != http.MethodGet || strings.HasPrefix(r.URL.Path, "/cookies") {
		v.Return = "/" + langQuery(lang)
	}
	// The request's gate cache comes from the middleware (withConsentCache).
	ctx := r.Context()
	for _, cat := range policy.CookieCategories {
		cv := cookieCategoryView{ID: cat}
		for _, ck := range p.Cookies {
			if ck.Category == cat {
				cv.Cookies = append(cv.Cookies, ck)
				cv.Optional = cv.Optional || ck.Consent
			}
		}
		if len(cv.Cookies) == 0 {
			continue
		}
		cv.Rows = cookieRows(cv.Cookies)
		for _, pu := range categoryPurposes(p, cat) {
			cv.Notices = append(cv.Notices, consent.Notice(pu, lang))
		}
		cv.Accepted = !cv.Optional || (chosen && slices.Contains(ch.Accepted, cat))
		v.Categories = append(v.Categories, cv)
		if cat != policy.CookieAnalytics && cat != policy.CookiePersonal && cat != policy.CookieMarketing {
			continue
		}
		run := cv.Accepted
		if cv.Optional && run {
			for _, pu := range categoryPurposes(p, cat) {
				ok, _, err := s.consent.gate.Allowed(ctx, ch.Visitor, pu.ID)
				if err != nil || !ok {
					run = false
				}
			}
		}
		if run {
			v.Scripts = append(v.Scripts, scriptTag{Src: "/static/tag.js", Category: cat, Cookies: thirdPartyCookies(cv.Cookies)})
		}
	}
	return v
}

// cookieRow is one cookie of /cookies with every host it is set on.
type cookieRow struct {
	policy.Cookie
	Hosts []string
}

// cookieRows merges the policy's entries of one cookie on several hosts
// (same name, provider, lifetime and description) into one row.
func cookieRows(cs []policy.Cookie) []cookieRow {
	var out []cookieRow
	for _, c := range cs {
		i := slices.IndexFunc(out, func(r cookieRow) bool {
			return r.Name == c.Name && r.Provider == c.Provider && r.Lifetime == c.Lifetime && r.Description == c.Description && r.Consent == c.Consent
		})
		if i < 0 {
			out = append(out, cookieRow{Cookie: c})
			i = len(out) - 1
		}
		if c.Host != "" && !slices.Contains(out[i].Hosts, c.Host) {
			out[i].Hosts = append(out[i].Hosts, c.Host)
		}
	}
	return out
}

// thirdPartyCookies lists the concrete cookie names a tag script sets.
func thirdPartyCookies(cs []policy.Cookie) string {
	var names []string
	for _, c := range cs {
		if c.Provider != "first_party" && !strings.Contains(c.Name, "*") {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, " ")
}

// cookiesPage lists every cookie of the policy by category with the
// choice form; the footer links here so a choice can be changed any time
// (R11, Z5).
func (s *Server) cookiesPage(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "cookies", s.page(r, lang, "cookies.title", nil))
}

// cookiesSubmit stores a choice: accept all, reject all (one click each,
// equally easy) or the ticked categories. Every consent purpose of every
// optional category gets a consent record under the visitor id (channel
// cookie_notice), and cookies of refused categories are removed at once.
func (s *Server) cookiesSubmit(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.cfg.Policy
	optional := optionalCategories(p)
	var accepted []policy.CookieCategory
	switch r.PostForm.Get("choice") {
	case "all":
		accepted = optional
	case "none":
	case "custom":
		for _, c := range r.PostForm["category"] {
			cat := policy.CookieCategory(c)
			if !slices.Contains(optional, cat) {
				s.fail(w, r, steward.FieldError("category", "error.is_not_cookie_category", "c", c))
				return
			}
			if !slices.Contains(accepted, cat) {
				accepted = append(accepted, cat)
			}
		}
	default:
		s.fail(w, r, steward.FieldError("choice", "error.must_be_all_none"))
		return
	}
	slices.SortFunc(accepted, func(a, b policy.CookieCategory) int {
		return slices.Index(policy.CookieCategories, a) - slices.Index(policy.CookieCategories, b)
	})
	prev, had := s.consent.readChoice(r, p)
	visitor := prev.Visitor
	if !had {
		visitor = newVisitorID()
	}
	var changes []consent.Change
	for _, cat := range optional {
		for _, pu := range categoryPurposes(p, cat) {
			changes = append(changes, consent.Change{Subject: visitor, Purpose: pu.ID, Given: slices.Contains(accepted, cat),
				Channel: policy.ChannelCookieNotice, Lang: lang})
		}
	}
	if _, err := s.consent.svc.Apply(r.Context(), changes...); err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Log.Info("cookie choice recorded", "request_id", RequestID(r.Context()), "visitor", visitor, "accepted", len(accepted), "optional", len(optional))
	now := s.cfg.Clock.Now()
	http.SetCookie(w, &http.Cookie{Name: choiceCookie, Value: s.consent.signChoice(cookieChoice{Visitor: visitor, Accepted: accepted}),
		Path: "/", MaxAge: int(policy.ChoiceCookieLifetime.AddTo(now).Sub(now) / time.Second), HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	// Withdrawal takes effect at once (Art. 7(3)): cookies of categories
	// now refused are deleted from the browser.
	for _, ck := range p.Cookies {
		if !ck.Consent || slices.Contains(accepted, ck.Category) {
			continue
		}
		for _, have := range r.Cookies() {
			if have.Name == ck.Name || (strings.HasSuffix(ck.Name, "*") && strings.HasPrefix(have.Name, strings.TrimSuffix(ck.Name, "*"))) {
				http.SetCookie(w, &http.Cookie{Name: have.Name, Value: "", Path: "/", MaxAge: -1})
			}
		}
	}
	http.Redirect(w, r, safeReturn(r.PostForm.Get("return"), lang), http.StatusSeeOther)
}
