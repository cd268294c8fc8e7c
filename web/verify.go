package web

import "net/http"

// verifyPage is where the link in the verification mail leads. It shows a
// button rather than confirming at once: mail scanners that fetch links
// must not confirm an address nobody read.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	d := &formData{Action: "/verify" + langQuery(lang), CSRF: s.formToken("verify"), Token: r.URL.Query().Get("token")}
	s.render(w, r, http.StatusOK, "verify", s.page(r, lang, "verify.title", d))
}

// verifySubmit confirms the address. A bad, expired or used token is a
// clear 400 and changes nothing.
func (s *Server) verifySubmit(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkFormToken("verify", r.PostForm.Get("csrf")); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.accounts().Confirm(r.Context(), r.PostForm.Get("token")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.messageThen(w, r, lang, http.StatusOK, "verify.done_title", "verify.done", navItem{"/login" + langQuery(lang), "nav.login"})
}
