package web

import (
	"net/http"

	"steward/account"
	"steward/account/service"
)

// Changing the login e-mail address (issue 4): the pages and API calls
// of account/service's RequestEmailChange and ConfirmEmailChange.

// emailChangeSubmit is the profile page's "change login address" form.
func (s *Server) emailChangeSubmit(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	if err := checkLimits(s.limits.resetIP, s.clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	lang := mustLang(r)
	err := s.accounts().RequestEmailChange(r.Context(), au.Account, service.EmailChange{Email: r.PostForm.Get("email"),
		Password: r.PostForm.Get("password"), Lang: lang, Limit: s.emailChangeLimit(au)})
	if fe := account.AsFieldErrors(err); fe != nil {
		s.renderProfileEmail(w, r, au, fe, r.PostForm.Get("email"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.message(w, r, lang, http.StatusOK, "email_change.sent_title", "email_change.sent")
}

// emailChangePage is where the link in the mail leads: a button, so a
// mail scanner fetching the link changes nothing.
func (s *Server) emailChangePage(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	d := &formData{Action: "/account/email/confirm" + langQuery(lang), CSRF: s.formToken("email-change"), Token: r.URL.Query().Get("token")}
	s.render(w, r, http.StatusOK, "email_confirm", s.page(r, lang, "email_change.confirm_title", d))
}

// emailChangeConfirm spends the link. It works without a login (the link
// proves the mailbox); the session it is followed in, if any, stays.
func (s *Server) emailChangeConfirm(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkFormToken("email-change", r.PostForm.Get("csrf")); err != nil {
		s.fail(w, r, err)
		return
	}
	au, err := s.auth(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.accounts().ConfirmEmailChange(r.Context(), r.PostForm.Get("token"), lang, au.session()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.message(w, r, lang, http.StatusOK, "email_change.done_title", "email_change.done")
}

func (s *Server) apiEmailChange(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Lang     string `json:"lang"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkLimits(s.limits.resetIP, s.clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Lang != "en" {
		in.Lang = "nl"
	}
	if err := s.accounts().RequestEmailChange(r.Context(), au.Account, service.EmailChange{Email: in.Email,
		Password: in.Password, Lang: in.Lang, Limit: s.emailChangeLimit(au)}); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "check_your_mail"})
}

func (s *Server) apiEmailChangeConfirm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
		Lang  string `json:"lang"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	au, err := s.auth(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Lang != "en" {
		in.Lang = "nl"
	}
	if err := s.accounts().ConfirmEmailChange(r.Context(), in.Token, in.Lang, au.session()); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "email_changed"})
}

// emailChangeLimit is the per-account limit of change mails, asked once
// the request is valid (issue 4: a valid request mails an address).
func (s *Server) emailChangeLimit(au *authed) func() error {
	return func() error { return checkLimits(s.limits.resetAccount, "email-change:"+au.Account.ID) }
}
