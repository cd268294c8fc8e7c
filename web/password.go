package web

import (
	"net/http"

	"steward/account"
)

// passwordView is the change-password form (on the account page, and
// alone with its errors): the errors, each at its field.
type passwordView struct {
	CSRF, CurrentError, NewError string
}

// passwordSubmit changes the password of the logged-in person after the
// current one (ASVS 2.1.6). The form is on the account page; with an
// error it is shown alone with the errors at their fields. Guesses at the
// current password count against the login limits of the account.
func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	lang := mustLang(r)
	if err := checkLimits(s.limits.loginIP, s.clientIP(r), s.limits.loginAccount, accountKey(au.Account.Email)); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.accounts().ChangePassword(r.Context(), au.Session, au.Account, r.PostForm.Get("password_current"), r.PostForm.Get("password_new"), lang)
	if fe := account.AsFieldErrors(err); fe != nil {
		v := &struct {
			Errors   []formError
			Password passwordView
		}{Password: passwordView{CSRF: au.Session.CSRF}}
		for _, e := range fe {
			text := s.catalog.Error(lang, e)
			v.Errors = append(v.Errors, formError{Anchor: "#" + fieldID(e.Field), Text: s.catalog.Text(lang, "form."+e.Field) + ": " + text})
			if e.Field == "password_current" {
				v.Password.CurrentError = text
			} else {
				v.Password.NewError = text
			}
		}
		s.render(w, r, http.StatusBadRequest, "password", s.page(r, lang, "password.title", v))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.message(w, r, lang, http.StatusOK, "password.title", "password.changed")
}
