package web

import (
	"errors"
	"net/http"

	"steward"
	"steward/account/service"
)

// loginPage shows the login form, for people and staff alike (R12). With
// reauth=1 it asks a logged-in person for their password again before a
// privileged action.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	q := r.URL.Query()
	s.renderLogin(w, r, lang, http.StatusOK, "", safeNext(q.Get("next")), q.Get("reauth") == "1", "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, lang string, status int, email, next string, reauth bool, errText string) {
	d := &formData{Action: "/login" + langQuery(lang), CSRF: s.formToken("login"), Email: email, Next: next, Reauth: reauth, Keep: s.keepOffer(r)}
	if errText != "" {
		d.Errors = []formError{{Anchor: "#" + fieldID("email"), Text: errText}}
	}
	s.render(w, r, status, "login", s.page(r, lang, "login.title", d))
}

// loginSubmit logs in: a new session with a new cookie (rotated on every
// login, so a cookie planted before login is worthless). Rate-limited per
// address and per account.
func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	f := r.PostForm
	if err := s.checkFormToken("login", f.Get("csrf")); err != nil {
		s.fail(w, r, err)
		return
	}
	email, next := f.Get("email"), safeNext(f.Get("next"))
	if err := checkLimits(s.limits.loginIP, s.clientIP(r), s.limits.loginAccount, accountKey(email)); err != nil {
		s.renderLogin(w, r, lang, httpStatus(steward.ErrorCode(err)), email, next, false, s.catalog.Error(lang, err))
		return
	}
	// A logged-in person who logs in again (re-authentication or another
	// account) loses the old session first.
	if old, _ := s.auth(w, r); old != nil {
		s.accounts().Logout(r.Context(), old.Session, old.Account)
	}
	visit := s.visit(r)
	secret, se, a, err := s.accounts().Login(r.Context(), email, f.Get("password"), false)
	var need *service.CodeNeeded
	if errors.As(err, &need) {
		s.codeStep(w, r, lang, next, need.Challenge)
		return
	}
	if err != nil {
		code := steward.ErrorCode(err)
		if code == steward.EUNAUTHORIZED || code == steward.EFORBIDDEN {
			s.renderLogin(w, r, lang, httpStatus(code), email, next, false, s.catalog.Error(lang, err))
			return
		}
		s.fail(w, r, err)
		return
	}
	// Issue 18: the one tick that keeps the session's saved items and
	// answers in the account. The session cookie then holds the login, so
	// the session's copy is gone either way.
	if f.Get("keep") == "1" && !visit.Empty() && s.savingOn() {
		if _, err := s.cfg.Career.KeepVisit(r.Context(), a, visit, lang); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.setSessionCookie(w, r, secret)
	if a.NeedsSecondFactor() && !se.SecondFactor {
		// Staff enrol a second factor before any staff page (ASVS 4.3.1).
		http.Redirect(w, r, "/account/security"+langQuery(lang), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, afterLogin(a, next, lang), http.StatusSeeOther)
}

// logoutSubmit ends the session and removes its cookie (R11).
func (s *Server) logoutSubmit(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	au, err := s.auth(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if au != nil {
		if !s.checkForm(w, r, au) {
			return
		}
		if err := s.accounts().Logout(r.Context(), au.Session, au.Account); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/"+langQuery(lang), http.StatusSeeOther)
}

// keepOffer is what the request's session holds that logging in can keep
// (issue 18); nil for nothing.
func (s *Server) keepOffer(r *http.Request) *keepOffer {
	if !s.savingOn() {
		return nil
	}
	v := s.visit(r)
	if v.Empty() {
		return nil
	}
	return &keepOffer{Saved: len(v.Saved), Answers: len(v.Answers) > 0 && s.cfg.Career.PreferencesAllowed()}
}
