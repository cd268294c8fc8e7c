package web

import (
	"context"
	"net/http"

	"steward/account"
	"steward/learning"
	"steward/lms"
)

// navItem is one entry of the header's menu.
type navItem struct {
	Href string
	Key  string
}

// navView is the header's menu for the person looking at the page: log in
// and create an account for a visitor, their own pages for a person, the
// staff pages their role may open for staff (issue 13: every page a person
// may use is reachable by clicking). Logging out is a form, because it
// changes state.
type navView struct {
	Items []navItem
	// CSRF is the session's form token for the log-out button; empty for
	// a visitor.
	CSRF string
}

// staffPages are the staff pages in the menu and the role each needs; the
// handlers ask the same roles (requireRole), and the crawl test checks
// that every entry opens for the roles it is shown to.
var staffPages = []struct {
	Path, Key string
	Need      account.Role
}{
	{"/staff/", "nav.staff_find", account.RoleSupport},
	{"/staff/requests", "staff_requests.title", account.RolePrivacyOfficer},
	{"/staff/retention", "staff_retention.title", account.RolePrivacyOfficer},
	// Privacy officers, admins and organisation managers (their own).
	{"/staff/organisations", "staff_organisations.title", account.RoleOrganisationManager},
	// Where the policy has courses (learning.Enabled).
	{"/staff/courses", "staff_courses.title", account.RoleSupport},
	// Where the policy has vouchers: batches and the report, per
	// organisation (a manager: their own).
	{"/staff/vouchers", "staff_vouchers.title", account.RoleOrganisationManager},
	{"/staff/audit", "staff_audit.title", account.RolePrivacyOfficer},
	// Where the policy has an LMS account kind: what the learning
	// environment never confirmed.
	{"/staff/lms", "staff_lms.title", account.RolePrivacyOfficer},
	// Where the policy declares usage counts: no person in them.
	{"/staff/usage", "staff_usage.title", account.RoleSupport},
	// Where the policy names an analysis partner with an export.
	{"/staff/partner-exports", "staff_partner_exports.title", account.RolePrivacyOfficer},
}

// nav builds the menu for au (nil for a visitor) in lang.
func (s *Server) nav(au *authed, lang string) *navView {
	q := langQuery(lang)
	v := &navView{}
	add := func(path, key string) { v.Items = append(v.Items, navItem{path + q, key}) }
	newsletter := s.consent != nil && s.consent.newsletter.Form() != nil
	courses := learning.Enabled(s.cfg.Policy)
	if s.catalogueOn() && (au == nil || !au.Account.IsStaff()) {
		add("/functies", "nav.jobs")
		add("/opleidingen", "nav.catalogue_courses")
		if s.questionsOn() {
			add("/basisvragen", "nav.questions")
		}
		if s.savingOn() {
			add("/saved", "nav.saved")
		}
	}
	switch {
	case au == nil:
		if courses {
			add("/courses", "nav.courses")
		}
		if s.shopEnabled() {
			add("/publications", "nav.publications")
		}
		if newsletter {
			add("/newsletter", "nav.newsletter")
		}
		add("/login", "nav.login")
		add("/signup", "nav.signup")
		return v
	case au.Account.IsStaff():
		for _, p := range staffPages {
			if p.Path == "/staff/courses" && !courses || p.Path == "/staff/vouchers" && !s.vouchersEnabled() || p.Path == "/staff/usage" && s.cfg.Usage == nil ||
				p.Path == "/staff/partner-exports" && !s.partnerExportsOn() || p.Path == "/staff/lms" && lms.Kind(s.cfg.Policy) == "" {
				continue
			}
			if au.Account.Role.Allows(p.Need) {
				add(p.Path, p.Key)
			}
		}
	default:
		add("/account", "nav.account")
		if s.careerOn() {
			add("/account/career", "nav.career")
		}
		add("/account/data", "nav.my_data")
		add("/account/consents", "nav.consents")
		if courses {
			add("/courses", "nav.courses")
		}
		if s.shopEnabled() {
			add("/publications", "nav.publications")
		}
		if newsletter {
			add("/newsletter", "nav.newsletter")
		}
	}
	v.CSRF = au.Session.CSRF
	return v
}

// viewerKey is the context key of the request's viewerMemo.
type viewerKey struct{}

// viewerMemo remembers who is logged in for one request, so the header
// asks the session store no second time after the handler did.
type viewerMemo struct {
	known bool
	au    *authed
}

// withViewer gives every request its viewerMemo.
func withViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, &viewerMemo{})))
	})
}

// remember records au as the request's viewer (nil: nobody is logged in
// any more, as after logging out or erasing the account).
func remember(r *http.Request, au *authed) {
	if m, ok := r.Context().Value(viewerKey{}).(*viewerMemo); ok {
		m.known, m.au = true, au
	}
}

// viewer is who the page is shown to: the logged-in person of the
// request's session cookie, or nil. A session that cannot be read counts
// as nobody here; the handler that needs a login says why.
func (s *Server) viewer(r *http.Request) *authed {
	m, ok := r.Context().Value(viewerKey{}).(*viewerMemo)
	if ok && m.known {
		return m.au
	}
	var au *authed
	if c, err := r.Cookie(s.sessionCookieName(r)); err == nil && c.Value != "" && !isVisit(c.Value) {
		if se, a, err := s.accounts().Authenticate(r.Context(), c.Value, false); err == nil && se != nil {
			au = &authed{Session: se, Account: a}
		}
	}
	remember(r, au)
	return au
}
