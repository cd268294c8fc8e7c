package web

import (
	"net/http"

	"steward"
	"steward/account"
)

// resetPage asks for the address to send a password-reset link to.
func (s *Server) resetPage(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	d := &formData{Action: "/reset" + langQuery(lang), CSRF: s.formToken("reset")}
	s.render(w, r, http.StatusOK, "reset_request", s.page(r, lang, "reset.title", d))
}

// resetSubmit sends the link if the address has an account and answers
// the same either way (no enumeration).
func (s *Server) resetSubmit(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkFormToken("reset", r.PostForm.Get("csrf")); err != nil {
		s.fail(w, r, err)
		return
	}
	email := r.PostForm.Get("email")
	if err := checkLimits(s.limits.resetIP, s.clientIP(r), s.limits.resetAccount, accountKey(email)); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.accounts().RequestReset(r.Context(), email, lang)
	if fe := account.AsFieldErrors(err); fe != nil {
		d := &formData{Action: "/reset" + langQuery(lang), CSRF: s.formToken("reset"), Email: email, Errors: s.summary(lang, fe)}
		s.render(w, r, http.StatusBadRequest, "reset_request", s.page(r, lang, "reset.title", d))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.message(w, r, lang, http.StatusOK, "reset.sent_title", "reset.sent")
}

// resetConfirmPage asks for the new password; the token comes from the
// link in the mail (also the staff set-password link).
func (s *Server) resetConfirmPage(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	d := &formData{Action: "/reset/confirm" + langQuery(lang), CSRF: s.formToken("reset_confirm"), Token: r.URL.Query().Get("token")}
	s.render(w, r, http.StatusOK, "reset", s.page(r, lang, "reset.new_title", d))
}

// resetConfirmSubmit sets the new password and ends every session.
func (s *Server) resetConfirmSubmit(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	f := r.PostForm
	if err := s.checkFormToken("reset_confirm", f.Get("csrf")); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkLimits(s.limits.resetIP, s.clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.accounts().ResetPassword(r.Context(), f.Get("token"), f.Get("password"), lang)
	if fe := account.AsFieldErrors(err); fe != nil && steward.ErrorCode(err) == steward.EINVALID && fe.For("password") != nil {
		d := &formData{Action: "/reset/confirm" + langQuery(lang), CSRF: s.formToken("reset_confirm"), Token: f.Get("token"), Errors: s.summary(lang, fe)}
		s.render(w, r, http.StatusBadRequest, "reset", s.page(r, lang, "reset.new_title", d))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.messageThen(w, r, lang, http.StatusOK, "reset.done_title", "reset.done", navItem{"/login" + langQuery(lang), "nav.login"})
}
