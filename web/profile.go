package web

import (
	"net/http"

	"steward/account"
	"steward/policy"
)

// profileView is the profile page's data.
type profileView struct {
	Form     *formData
	Errors   []formError
	Email    string
	Saved    bool
	Sessions int
	// EmailChange is the change-of-login-address form (email_change.go).
	EmailChange emailChangeForm
	// Password is the change-password form (password.go).
	Password passwordView
	// Vouchers links to /vouchers/redeem where the site has them.
	Vouchers bool
	// Orders links to /account/orders where the site has a shop.
	Orders bool
}

// emailChangeForm is the profile page's form for a new login address: what
// was typed and the error of each field, if any.
type emailChangeForm struct {
	Action, NewEmail, EmailError, PasswordError string
}

// profilePage shows a person their own record and lets them edit the
// fields the policy declares (R1, Z2). Sensitive values are masked (R3).
func (s *Server) profilePage(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	s.renderProfile(w, r, au, http.StatusOK, nil, nil, "", r.URL.Query().Get("saved") == "1")
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, au *authed, status int, in map[string]map[string]string, errs account.FieldErrors, reveal string, saved bool) {
	v, err := s.profileView(r, au, in, errs, reveal, saved)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "profile", s.page(r, mustLang(r), "profile.title", v))
}

// renderProfileEmail shows the profile page again with the errors of the
// change-of-address form, the address typed kept, the password not.
func (s *Server) renderProfileEmail(w http.ResponseWriter, r *http.Request, au *authed, errs account.FieldErrors, typed string) {
	v, err := s.profileView(r, au, nil, nil, "", false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := mustLang(r)
	v.EmailChange.NewEmail = typed
	for _, e := range errs {
		text := s.catalog.Text(lang, "form."+e.Field) + ": " + s.catalog.Error(lang, e)
		anchor := "#f-new-email"
		if e.Field == "password" {
			anchor = "#f-current-password"
			v.EmailChange.PasswordError = s.catalog.Error(lang, e)
		} else {
			v.EmailChange.EmailError = s.catalog.Error(lang, e)
		}
		v.Errors = append(v.Errors, formError{Anchor: anchor, Text: text})
	}
	v.Form.Errors = v.Errors
	s.render(w, r, http.StatusBadRequest, "profile", s.page(r, lang, "profile.title", v))
}

func (s *Server) profileView(r *http.Request, au *authed, in map[string]map[string]string, errs account.FieldErrors, reveal string, saved bool) (*profileView, error) {
	lang := mustLang(r)
	stored, err := s.accounts().LoadProfile(r.Context(), au.Account, reveal)
	if err != nil {
		return nil, err
	}
	d := &formData{Action: "/account" + langQuery(lang), CSRF: au.Session.CSRF}
	for _, rec := range account.ProfileRecords(s.cfg.Policy) {
		vals := stored[rec.ID]
		for k, v := range in[rec.ID] {
			vals[k] = v
		}
		var skip func(*policy.Field) bool
		if rec.ID == account.RecordID {
			// The login address is shown above; changing it needs a
			// link to the new address, on its own form (email_change.go).
			ef := account.EmailField(rec)
			skip = func(f *policy.Field) bool { return f == ef }
		}
		sec := s.section(lang, rec, vals, errs, skip)
		for i := range sec.Fields {
			f := &sec.Fields[i]
			if f.Sensitive && f.Value != "" && f.Name != reveal && in[rec.ID] == nil {
				f.Masked, f.Revealable = true, true
			}
		}
		d.Sections = append(d.Sections, sec)
	}
	d.Errors = s.summary(lang, errs)
	n, _ := s.accounts().CountSessions(r.Context(), au.Account.ID)
	return &profileView{Form: d, Errors: d.Errors, Email: au.Account.Email, Saved: saved, Sessions: n,
		EmailChange: emailChangeForm{Action: "/account/email" + langQuery(lang)}, Password: passwordView{CSRF: au.Session.CSRF},
		Vouchers: s.vouchersEnabled() && !au.Account.IsStaff(), Orders: s.shopEnabled() && !au.Account.IsStaff()}, nil
}

// profileSubmit stores the edits. A masked value sent back unchanged
// keeps the stored value.
func (s *Server) profileSubmit(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	in := recordForm(r)
	_, err := s.accounts().UpdateProfileForm(r.Context(), au.Account, in)
	if fe := account.AsFieldErrors(err); fe != nil {
		s.renderProfile(w, r, au, http.StatusBadRequest, in, fe, "", false)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := mustLang(r)
	q := "?saved=1"
	if lang != policy.Languages[0] {
		q += "&lang=" + lang
	}
	http.Redirect(w, r, "/account"+q, http.StatusSeeOther)
}

// profileReveal shows one sensitive value in full, to its owner, on their
// explicit request (R3), after a recent login (issue 13: a session left
// open on a shared computer does not show the BIG number).
func (s *Server) profileReveal(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) || !s.requireRecentLogin(w, r, au) {
		return
	}
	s.renderProfile(w, r, au, http.StatusOK, nil, nil, r.PostForm.Get("field"), false)
}

// profileRevoke ends every session of the person, this one included.
func (s *Server) profileRevoke(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	if _, err := s.accounts().RevokeSessions(r.Context(), subjectActor(au.Account), au.Account); err != nil {
		s.fail(w, r, err)
		return
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/login"+langQuery(mustLang(r)), http.StatusSeeOther)
}
