package web

import (
	"net/http"
	"net/url"
	"slices"

	"steward/account"
	"steward/audit"
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
	edit, err := s.accounts().FromForm(ctx, t.Account.ID, recordForm(r))
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
	// "Nothing changed" concerns the form as a whole, not one field.
	for _, e := range errs {
		if e.Field == "fields" {
			f.Errors = append(f.Errors, formError{Anchor: "#rectify", Text: s.catalog.Error(lang, e)})
		} else {
			f.Errors = append(f.Errors, s.summary(lang, account.FieldErrors{e})...)
		}
	}
	slices.Sort(shown)
	if len(shown) > 0 {
		if err := s.recordStaffView(ctx, au, t.Account.ID, audit.Pseudonym(t.Account.Pseudonym), "account", t.Account.ID, shown); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, status, "staff_rectify", s.page(r, lang, "staff_rectify.title", &staffRectifyView{Request: t, Form: f}))
}
