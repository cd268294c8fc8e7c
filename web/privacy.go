package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"steward/policy"
	"steward/statement"
	"steward/store"
)

// privacyView is the statement page: the statement's body and, once the
// site has published versions (G1, issue 20), which version it is.
type privacyView struct {
	Body template.HTML
	// Version is the published version shown; nil before the first.
	Version *versionView
	// Next is the version announced to take effect later, named on the
	// statement in force with its date (issue 20); nil when none.
	Next *versionView
	// Old is set when an earlier version is shown, not the one in force;
	// Announced when a version still to take effect is shown.
	Old, Announced bool
}

// versionView is one published version in the reader's words.
type versionView struct {
	N       int
	Date    string
	Summary string
	// From is the date the version takes effect, in words, while that is
	// still to come (advance notice, issue 20); empty once in force.
	From string
}

// privacy serves the privacy statement rendered from the policy in force
// (G1, R14, Z10, Z11; issue 3 item 5): Dutch by default, English with
// ?lang=en, an unknown language is a 400. The page needs no JavaScript and
// sets no cookie, so anyone can read it before choosing anything. It names
// the published version in force and links the history (issue 20); a
// version announced to take effect later is named with its date and a
// link, and is not shown as the statement until then.
func (s *Server) privacy(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	all, err := s.cfg.Store.PolicyPublications(r.Context(), s.cfg.Policy.Site.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &privacyView{}
	now := s.cfg.Clock.Now()
	for _, pv := range all { // newest first
		if pv.EffectiveAt.After(now) {
			if v.Next == nil {
				if v.Next, err = versionOf(pv, lang, now); err != nil {
					s.fail(w, r, err)
					return
				}
			}
			continue
		}
		if v.Version, err = versionOf(pv, lang, now); err != nil {
			s.fail(w, r, err)
			return
		}
		break
	}
	if v.Version == nil && v.Next != nil {
		// Only the announced version exists: it is the statement shown.
		v.Version, v.Next = v.Next, nil
	}
	s.renderStatement(w, r, lang, s.cfg.Policy, v)
}

// privacyVersions lists every published version with its date and
// summary, newest first (G1, issue 20).
func (s *Server) privacyVersions(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	all, err := s.cfg.Store.PolicyPublications(r.Context(), s.cfg.Policy.Site.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list := make([]*versionView, 0, len(all))
	for _, pv := range all {
		vv, err := versionOf(pv, lang, s.cfg.Clock.Now())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		list = append(list, vv)
	}
	s.render(w, r, http.StatusOK, "privacy_versions", s.page(r, lang, "privacy.versions.title", list))
}

// privacyVersion renders an earlier version from the file as it was
// published, so it reads as it did then (G1, issue 20).
func (s *Server) privacyVersion(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		s.fail(w, r, store.ErrNoPolicyPublication)
		return
	}
	pv, err := s.cfg.Store.PolicyPublication(r.Context(), s.cfg.Policy.Site.ID, n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := policy.Parse("version "+strconv.Itoa(n), []byte(pv.Content))
	if err != nil {
		// A version was valid when it was published; one the current
		// validator refuses is a bug to look into, not the reader's fault.
		s.cfg.Log.Error("privacy: stored policy version does not parse", "request_id", RequestID(r.Context()), "version", n, "err", err)
		s.fail(w, r, errInternal)
		return
	}
	now := s.cfg.Clock.Now()
	v := &privacyView{Announced: pv.EffectiveAt.After(now)}
	if v.Version, err = versionOf(pv, lang, now); err != nil {
		s.fail(w, r, err)
		return
	}
	// The version in force: the newest whose effective date has come.
	all, err := s.cfg.Store.PolicyPublications(r.Context(), s.cfg.Policy.Site.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	inForce := 0
	for _, o := range all {
		if !o.EffectiveAt.After(now) {
			inForce = o.N
			break
		}
	}
	v.Old = !v.Announced && inForce != n
	s.renderStatement(w, r, lang, p, v)
}

// renderStatement renders p's statement in lang into the privacy page.
func (s *Server) renderStatement(w http.ResponseWriter, r *http.Request, lang string, p *policy.Policy, v *privacyView) {
	body, st, err := statement.Body(p, lang)
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
	v.Body = body
	pg := s.page(r, lang, "", v)
	pg.Title = st.Title
	s.render(w, r, http.StatusOK, "privacy", pg)
}

// versionOf puts a published version in the reader's words; From is its
// effective date while that is after now.
func versionOf(pv store.PolicyPublication, lang string, now time.Time) (*versionView, error) {
	date, err := statement.DateInWords(lang, pv.PublishedAt)
	if err != nil {
		return nil, errBadLang
	}
	v := &versionView{N: pv.N, Date: date, Summary: policy.Text{NL: pv.SummaryNL, EN: pv.SummaryEN}.In(lang)}
	if pv.EffectiveAt.After(now) {
		if v.From, err = statement.DateInWords(lang, pv.EffectiveAt); err != nil {
			return nil, errBadLang
		}
	}
	return v, nil
}

// privacyStylesheet serves the statement's stylesheet as a file: the
// Content-Security-Policy allows no inline style (R12).
func (s *Server) privacyStylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(statement.Stylesheet))
}
