package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/consent"
	"steward/store"
)

// staffView is the data of the staff pages.
type staffView struct {
	Me      *account.Account
	CSRF    string
	Query   string
	Person  *account.Account
	Found   bool
	Records []staffRecord
	Views   []store.StaffView
	CanView bool
	Notice  string
	// Limits are the person's restrictions and objections in force
	// (Art. 18, 21; Z8); Restricted offers the form that lifts one.
	Limits     []store.ProcessingLimit
	Restricted bool
	// Names are the staff who viewed the record, by name and role.
	Names staffNames
	// SignUp is the newsletter sign-up of the address looked up, with or
	// without an account (R2; issue 13: staff find everyone the site
	// holds data on).
	SignUp *staffSignUp
}

// staffSignUp is what the lookup shows of a newsletter sign-up.
type staffSignUp struct {
	ID         string
	Confirmed  bool
	Subscribed bool
}

// staffSignUpFields are what the lookup shows of a sign-up it finds.
var staffSignUpFields = []string{"newsletter_subscription.confirmed_at", "newsletter_subscription.email", "newsletter_subscription.id", "newsletter_subscription.subscribed"}

// findSignUp returns the newsletter sign-up of an address, nil for none,
// with whether its consent stands, and records the staff view of it.
func (s *Server) findSignUp(ctx context.Context, au *authed, email string) (*staffSignUp, error) {
	n, err := s.cfg.Store.NewsletterByEmail(ctx, email)
	if steward.ErrorCode(err) == steward.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	latest, err := s.cfg.Store.ConsentLatest(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	su := &staffSignUp{ID: n.ID, Confirmed: n.ConfirmedAt != nil}
	for _, c := range latest {
		if c.Purpose == consent.NewsletterPurpose {
			su.Subscribed = c.Given
		}
	}
	if err := s.recordStaffView(ctx, au, "", "", consent.NewsletterRecord, n.ID, staffSignUpFields); err != nil {
		return nil, err
	}
	return su, nil
}

type staffRecord struct {
	Title  string
	Fields []staffField
}

type staffField struct{ Label, Value string }

// requireRole answers with the login page, 403 or a re-authentication
// request unless the request comes from staff with at least role need
// (R12, Z7: need to know). recent requires a password entered within the
// last 15 minutes, for privileged actions.
func (s *Server) requireRole(w http.ResponseWriter, r *http.Request, need account.Role, recent bool) *authed {
	au := s.requireLogin(w, r)
	if au == nil {
		return nil
	}
	if !au.Account.Role.Allows(need) {
		s.fail(w, r, steward.Errorf(steward.EFORBIDDEN, "error.page_needs_another_role"))
		return nil
	}
	if !au.Session.SecondFactor {
		// ASVS 4.3.1: no staff page for a session opened with the password
		// alone; staff without a second factor enrol first.
		if strings.HasPrefix(r.URL.Path, "/api/") || r.Method != http.MethodGet {
			s.fail(w, r, steward.Errorf(steward.EFORBIDDEN, "error.staff_need_second_factor"))
			return nil
		}
		http.Redirect(w, r, "/account/security"+langQuery(mustLang(r)), http.StatusSeeOther)
		return nil
	}
	if recent && !s.requireRecentLogin(w, r, au) {
		return nil
	}
	return au
}

// requireRecentLogin reports whether au entered their password within
// account.ReauthWindow; if not, it asks for it again — the login page with
// reauth=1, returning to the page the action came from — and reports
// false. The one re-authentication of privileged staff actions and of a
// person's dangerous ones (issue 13: erasure, the export, revealing a
// sensitive value). The API answers 401 instead.
func (s *Server) requireRecentLogin(w http.ResponseWriter, r *http.Request, au *authed) bool {
	if au.Session.RecentlyAuthenticated(s.cfg.Clock.Now()) {
		return true
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.fail(w, r, steward.Errorf(steward.EUNAUTHORIZED, "error.login_again"))
		return false
	}
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = r.Referer()
		if u, err := url.Parse(next); err == nil {
			next = u.RequestURI()
		}
	}
	http.Redirect(w, r, "/login?reauth=1&next="+url.QueryEscape(safeNext(next))+"&"+strings.TrimPrefix(langQuery(mustLang(r)), "?"), http.StatusSeeOther)
	return false
}

// staffHome is the staff start page with the form that finds a person by
// e-mail address. The address is posted (staffFind), never put in a URL,
// where it would end up in browser history and access logs.
func (s *Server) staffHome(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RoleSupport, false)
	if au == nil {
		return
	}
	v := &staffView{Me: au.Account, CSRF: au.Session.CSRF, CanView: au.Account.Role.Allows(account.RolePrivacyOfficer)}
	s.render(w, r, http.StatusOK, "staff", s.page(r, mustLang(r), "staff.title", v))
}

// staffLookupFields are what the lookup shows of an account it finds:
// that the address has one, its id and whether it was confirmed.
var staffLookupFields = []string{"account.confirmed", "account.email", "account.id"}

// staffFind is POST /staff/: find a person by e-mail address. Support sees
// the account's status; a privacy officer or admin opens the record. A
// found account is a staff view of it, recorded like the record's (R12,
// Z7): who, whose, when, which fields.
func (s *Server) staffFind(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RoleSupport, false)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	ctx := r.Context()
	v := &staffView{Me: au.Account, CSRF: au.Session.CSRF, Query: strings.TrimSpace(r.PostForm.Get("email")), CanView: au.Account.Role.Allows(account.RolePrivacyOfficer)}
	if v.Query == "" {
		s.fail(w, r, steward.FieldError("email", "error.is_required"))
		return
	}
	p, err := s.cfg.Store.AccountByEmail(ctx, v.Query)
	switch {
	case err == nil:
		v.Person, v.Found = p, true
	case steward.ErrorCode(err) != steward.ENOTFOUND:
		s.fail(w, r, err)
		return
	}
	if v.Found {
		if err := s.recordStaffView(ctx, au, p.ID, audit.Pseudonym(p.Pseudonym), "account", p.ID, staffLookupFields); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if v.SignUp, err = s.findSignUp(ctx, au, v.Query); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff", s.page(r, mustLang(r), "staff.title", v))
}

// recordStaffView records that staff member au saw fields of a person's
// data (R12, Z7) in one transaction: on the person's record of staff
// views, which they see on "My data" (when subjectID is known: a request
// of an erased person keeps only the pseudonym), and as a staff.view audit
// entry on objectKind/objectID. It is committed before the data is shown.
func (s *Server) recordStaffView(ctx context.Context, au *authed, subjectID string, subject audit.Pseudonym, objectKind, objectID string, fields []string) error {
	now := s.cfg.Clock.Now()
	e := audit.Entry{Time: now, Actor: audit.Staff(au.Account.ID), Action: audit.StaffView,
		ObjectKind: objectKind, ObjectID: objectID, Subject: subject, Fields: fields,
		PolicyVersion: s.cfg.Policy.Version.Number, RequestID: RequestID(ctx)}
	var err error
	if subjectID == "" {
		// Only the entry: a transaction of its own (store.AppendAudit).
		err = s.cfg.Store.AppendAudit(ctx, e)
	} else {
		err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.RecordStaffView(ctx, store.StaffView{At: now, StaffID: au.Account.ID, SubjectID: subjectID, Fields: fields}); err != nil {
				return err
			}
			return tx.AppendAudit(e)
		})
	}
	if err != nil {
		return err
	}
	s.cfg.Log.Info("staff view", "staff", au.Account.ID, "object", objectKind+"/"+objectID, "fields", fields, "request_id", RequestID(ctx))
	return nil
}

// staffPerson shows a person's record to a privacy officer or admin and
// records the view: who, whose, when, which fields (R12, Z7).
func (s *Server) staffPerson(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, true)
	if au == nil {
		return
	}
	lang := mustLang(r)
	ctx := r.Context()
	p, err := s.staffTarget(ctx, au, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vals, err := s.accounts().LoadProfile(ctx, p, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &staffView{Me: au.Account, CSRF: au.Session.CSRF, Person: p, Found: true, CanView: true}
	var viewed []string
	for _, rec := range account.ProfileRecords(s.cfg.Policy) {
		sr := staffRecord{Title: rec.Name.In(lang)}
		for _, f := range account.InputFields(rec) {
			val, ok := vals[rec.ID][f.ID]
			if !ok {
				continue
			}
			sr.Fields = append(sr.Fields, staffField{Label: f.Name.In(lang), Value: val})
			viewed = append(viewed, rec.ID+"."+f.ID)
		}
		v.Records = append(v.Records, sr)
	}
	if v.Limits, err = s.cfg.Store.ProcessingLimits(ctx, p.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, l := range v.Limits {
		v.Restricted = v.Restricted || l.Kind == consent.LimitRestriction && l.Purpose == consent.AllPurposes
	}
	if len(v.Limits) > 0 {
		viewed = append(viewed, "processing_limits")
	}
	slices.Sort(viewed)
	if err := s.recordStaffView(ctx, au, p.ID, audit.Pseudonym(p.Pseudonym), "account", p.ID, viewed); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Views, err = s.cfg.Store.StaffViewsOf(ctx, p.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	var staff []string
	for _, sv := range v.Views {
		staff = append(staff, sv.StaffID)
	}
	if v.Names, err = s.staffNamesOf(ctx, lang, staff); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_person", s.page(r, lang, "staff.person_title", v))
}

// staffTarget is the account whose record staff open; a staff account's
// record needs the admin role (account.Role.MayOpen).
func (s *Server) staffTarget(ctx context.Context, au *authed, id string) (*account.Account, error) {
	p, err := s.cfg.Store.AccountByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !au.Account.Role.MayOpen(p) {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.staff_record_needs_admin")
	}
	return p, nil
}

// staffRevoke ends every session of a person: a privileged action that
// needs a recent login.
func (s *Server) staffRevoke(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, true)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	p, err := s.staffTarget(r.Context(), au, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.accounts().RevokeSessions(r.Context(), audit.Staff(au.Account.ID), p); err != nil {
		s.fail(w, r, err)
		return
	}
	s.message(w, r, mustLang(r), http.StatusOK, "staff.revoked_title", "staff.revoked")
}

// staffLiftRestriction is POST /staff/people/{id}/lift-restriction: the
// dispute is resolved, so the person's restriction of processing ends
// (Art. 18(3), Z8). A privileged action: privacy officer, recent login,
// form token and a reason, which the person is mailed in the transaction
// that lifts it. A missing reason, or a person who is not restricted,
// changes nothing.
func (s *Server) staffLiftRestriction(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, true)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	if err := s.desk().LiftRestriction(r.Context(), r.PathValue("id"), r.PostForm.Get("reason"), audit.Staff(au.Account.ID)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.notifyMail()
	s.message(w, r, mustLang(r), http.StatusOK, "staff.lifted_title", "staff.lifted")
}
