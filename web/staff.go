package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
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
		s.failT(w, r, steward.Errorf(steward.EFORBIDDEN, "this page needs another staff role"))
		return nil
	}
	if recent && !au.Session.RecentlyAuthenticated(s.cfg.Clock.Now()) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			s.serveError(w, r, steward.Errorf(steward.EUNAUTHORIZED, "log in again: this action needs a login within the last 15 minutes"))
			return nil
		}
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = r.Referer()
			if u, err := url.Parse(next); err == nil {
				next = u.RequestURI()
			}
		}
		http.Redirect(w, r, "/login?reauth=1&next="+url.QueryEscape(safeNext(next))+"&"+strings.TrimPrefix(langQuery(mustLang(r)), "?"), http.StatusSeeOther)
		return nil
	}
	return au
}

// staffHome is the staff start page: find a person by e-mail address.
// Support sees the account's status; a privacy officer or admin opens the
// record.
func (s *Server) staffHome(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RoleSupport, false)
	if au == nil {
		return
	}
	lang := mustLang(r)
	v := &staffView{Me: au.Account, CSRF: au.Session.CSRF, Query: r.URL.Query().Get("email"), CanView: au.Account.Role.Allows(account.RolePrivacyOfficer)}
	if v.Query != "" {
		p, err := s.cfg.Store.AccountByEmail(r.Context(), v.Query)
		switch {
		case err == nil:
			v.Person, v.Found = p, true
		case steward.ErrorCode(err) != steward.ENOTFOUND:
			s.failT(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "staff", s.page(r, lang, "staff.title", v))
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
	p, err := s.cfg.Store.AccountByID(ctx, r.PathValue("id"))
	if err != nil {
		s.failT(w, r, err)
		return
	}
	vals, err := s.loadProfile(ctx, p, "")
	if err != nil {
		s.failT(w, r, err)
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
	slices.Sort(viewed)
	now := s.cfg.Clock.Now()
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.RecordStaffView(ctx, store.StaffView{At: now, StaffID: au.Account.ID, SubjectID: p.ID, Fields: viewed}); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, audit.Staff(au.Account.ID), audit.StaffView, viewed...)
	})
	if err != nil {
		s.failT(w, r, err)
		return
	}
	if v.Views, err = s.cfg.Store.StaffViewsOf(ctx, p.ID); err != nil {
		s.failT(w, r, err)
		return
	}
	s.cfg.Log.Info("staff view", "staff", au.Account.ID, "subject", p.ID, "fields", viewed, "request_id", RequestID(ctx))
	s.render(w, r, http.StatusOK, "staff_person", s.page(r, lang, "staff.person_title", v))
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
	p, err := s.cfg.Store.AccountByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failT(w, r, err)
		return
	}
	if _, err := s.revokeSessions(r.Context(), audit.Staff(au.Account.ID), p); err != nil {
		s.failT(w, r, err)
		return
	}
	s.message(w, r, mustLang(r), http.StatusOK, "staff.revoked_title", "staff.revoked")
}
