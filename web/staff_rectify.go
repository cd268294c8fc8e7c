package web

import (
	"net/http"
	"net/url"
	"slices"

	"steward/account"
	"steward/audit"
	"steward/consent"
	"steward/policy"
	"steward/rights/desk"
)

// The rectification tool (issue 13, Art. 16): from a verified
// rectification request a privacy officer corrects the person's record —
// the fields the policy declares, validated like the person's own profile
// edit — through desk.Desk.Rectify, which audits the field names and puts
// the edit on the request's timeline. Only then can the request be
// completed as done; with nothing to correct it is refused with a reason.

// staffRectifyView is the rectification page.
type staffRectifyView struct {
	Request desk.RectifyForm
	Form    *formData
}

// staffRectifyPage is GET /staff/requests/{id}/rectify: the person's
// record as a form, sensitive values masked. Showing it is a staff view of
// the fields that hold a value, recorded before the page is (R12).
func (s *Server) staffRectifyPage(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, false)
	if au == nil {
		return
	}
	t, err := s.desk().RectifyTarget(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderRectify(w, r, au, t, http.StatusOK, nil, nil)
}

// staffRectifySubmit is POST /staff/requests/{id}/rectify: a privileged
// step like every other (privacy officer, a login within 15 minutes, the
// form token). A value a rule refuses shows the form again with the
// error at the field, and changes nothing.
func (s *Server) staffRectifySubmit(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, true)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	ctx := r.Context()
	d := s.desk()
	t, err := d.RectifyTarget(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in := recordForm(r)
	edit := in
	if t.Account != nil {
		edit, err = s.accounts().FromForm(ctx, t.Account.ID, recordForm(r))
	}
	if err == nil {
		_, err = d.Rectify(ctx, audit.Staff(au.Account.ID), t.Request.ID, edit)
	}
	if fe := account.AsFieldErrors(err); fe != nil {
		s.renderRectify(w, r, au, t, http.StatusBadRequest, in, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to := "/staff/requests/" + url.PathEscape(t.Request.ID) + langQuery(mustLang(r))
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Server) renderRectify(w http.ResponseWriter, r *http.Request, au *authed, t desk.RectifyForm, status int, in map[string]map[string]string, errs account.FieldErrors) {
	if t.SignUp != nil {
		s.renderRectifySignUp(w, r, au, t, status, in, errs)
		return
	}
	ctx := r.Context()
	lang := mustLang(r)
	stored, err := s.accounts().LoadProfile(ctx, t.Account, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var shown []string
	f := &formData{Action: "/staff/requests/" + url.PathEscape(t.Request.ID) + "/rectify" + langQuery(lang), CSRF: au.Session.CSRF}
	for _, rec := range account.ProfileRecords(s.cfg.Policy) {
		vals := stored[rec.ID]
		ef := account.EmailField(rec)
		for fid, v := range vals {
			if v != "" && (rec.ID != account.RecordID || ef == nil || fid != ef.ID) {
				shown = append(shown, rec.ID+"."+fid)
			}
		}
		for k, v := range in[rec.ID] {
			vals[k] = v
		}
		var skip func(*policy.Field) bool
		if rec.ID == account.RecordID {
			// The login address changes only through a link to the new
			// one, which the person follows (email_change.go).
			skip = func(f *policy.Field) bool { return f == ef }
		}
		sec := s.section(lang, rec, vals, errs, skip)
		for i := range sec.Fields {
			if ff := &sec.Fields[i]; ff.Sensitive && ff.Value != "" && in[rec.ID] == nil {
				ff.Masked = true
			}
		}
		f.Sections = append(f.Sections, sec)
	}
	s.rectifyErrors(lang, f, errs)
	slices.Sort(shown)
	if len(shown) > 0 {
		if err := s.recordStaffView(ctx, au, t.Account.ID, audit.Pseudonym(t.Account.Pseudonym), "account", t.Account.ID, shown); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, status, "staff_rectify", s.page(r, lang, "staff_rectify.title", &staffRectifyView{Request: t, Form: f}))
}

// rectifyErrors puts errs in the form's summary. "Nothing changed"
// concerns the form as a whole, not one field.
func (s *Server) rectifyErrors(lang string, f *formData, errs account.FieldErrors) {
	for _, e := range errs {
		if e.Field == "fields" {
			f.Errors = append(f.Errors, formError{Anchor: "#rectify", Text: s.catalog.Error(lang, e)})
		} else {
			f.Errors = append(f.Errors, s.summary(lang, account.FieldErrors{e})...)
		}
	}
}

// renderRectifySignUp is the rectification form of a newsletter sign-up
// without an account (issue 13 item 5): the fields its form asks, its
// address left out (a new address is a new sign-up with its own link).
// Showing it is a staff view of the fields that hold a value, recorded
// on the sign-up before the page is (R12).
func (s *Server) renderRectifySignUp(w http.ResponseWriter, r *http.Request, au *authed, t desk.RectifyForm, status int, in map[string]map[string]string, errs account.FieldErrors) {
	lang := mustLang(r)
	rec := s.cfg.Policy.Record(consent.NewsletterRecord)
	if rec == nil {
		s.notFound(w, r)
		return
	}
	vals := account.Values{}
	var shown []string
	for k, v := range t.SignUp {
		if f := rec.Field(k); f != nil && f.Type != policy.TypeEmail && v != "" {
			vals[k] = v
			shown = append(shown, rec.ID+"."+k)
		}
	}
	for k, v := range in[rec.ID] {
		vals[k] = v
	}
	f := &formData{Action: "/staff/requests/" + url.PathEscape(t.Request.ID) + "/rectify" + langQuery(lang), CSRF: au.Session.CSRF}
	f.Sections = append(f.Sections, s.section(lang, rec, vals, errs, func(fd *policy.Field) bool {
		return fd.Type == policy.TypeEmail || fd.Source != policy.SourceSubject
	}))
	s.rectifyErrors(lang, f, errs)
	slices.Sort(shown)
	if len(shown) > 0 {
		if err := s.recordStaffView(r.Context(), au, "", "", rec.ID, t.Request.SubjectID, shown); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, status, "staff_rectify", s.page(r, lang, "staff_rectify.title", &staffRectifyView{Request: t, Form: f}))
}
