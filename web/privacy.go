package web

import (
	"errors"
	"net/http"

	"steward/statement"
)

// privacy serves the privacy statement rendered from the policy in force
// (G1, R14, Z10, Z11; issue 3 item 5): Dutch by default, English with
// ?lang=en, an unknown language is a 400. The page needs no JavaScript and
// sets no cookie, so anyone can read it before choosing anything.
func (s *Server) privacy(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, st, err := statement.Body(s.cfg.Policy, lang)
	if err != nil {
		if errors.Is(err, statement.ErrUnknownLanguage) {
			s.fail(w, r, errBadLang)
			return
		}
		// A policy that passed validation always renders; anything else is
		// a bug in the statement package.
		s.cfg.Log.Error("privacy: render statement", "request_id", RequestID(r.Context()), "lang", lang, "err", err)
		s.fail(w, r, errInternal)
		return
	}
	p := s.page(r, lang, "", body)
	p.Title = st.Title
	s.render(w, r, http.StatusOK, "privacy", p)
}

// privacyStylesheet serves the statement's stylesheet as a file: the
// Content-Security-Policy allows no inline style (R12).
func (s *Server) privacyStylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(statement.Stylesheet))
}
