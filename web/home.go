package web

import (
	"net/http"

	"steward"
	"steward/learning"
)

// home is the public start page; it works without an account (Z1).
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := struct{ Newsletter, Courses bool }{s.consent != nil && s.consent.newsletter.Form() != nil, learning.Enabled(s.cfg.Policy)}
	s.render(w, r, http.StatusOK, "home", s.page(r, lang, "home.title", d))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, steward.Errorf(steward.ENOTFOUND, "error.not_found"))
}

// mustLang is langOf for error paths, where a bad lang falls back to Dutch.
func mustLang(r *http.Request) string {
	lang, _ := langOf(r)
	return lang
}
