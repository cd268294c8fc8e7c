package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"steward"
	"steward/account"
	"steward/account/service"
	"steward/policy"
)

// challengeCookie holds the secret of a half-done login between the
// password and the code (issue 14, finding 4). It grants nothing by
// itself; it is a session cookie, as the statement lists it
// (policy.StewardCookies), and the server forgets the login it names after
// account.ChallengeLifetime.
const challengeCookie = policy.LoginCookie

func (s *Server) challengeCookieName(r *http.Request) string {
	if s.secure(r) {
		return "__Host-" + challengeCookie
	}
	return challengeCookie
}

func (s *Server) setChallengeCookie(w http.ResponseWriter, r *http.Request, secret string) {
	http.SetCookie(w, &http.Cookie{Name: s.challengeCookieName(r), Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
}

func (s *Server) clearChallengeCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: s.challengeCookieName(r), Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
}

// codeStep sends a browser whose password was right to the code step.
func (s *Server) codeStep(w http.ResponseWriter, r *http.Request, lang, next, challenge string) {
	s.setChallengeCookie(w, r, challenge)
	q := url.Values{}
	if next != "" {
		q.Set("next", next)
	}
	if lang != "nl" {
		q.Set("lang", lang)
	}
	u := "/login/code"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// loginCodePage asks for the code of the authenticator app or a recovery
// code, after the password.
func (s *Server) loginCodePage(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	if c, err := r.Cookie(s.challengeCookieName(r)); err != nil || c.Value == "" {
		http.Redirect(w, r, "/login"+langQuery(lang), http.StatusSeeOther)
		return
	}
	s.renderLoginCode(w, r, lang, http.StatusOK, safeNext(r.URL.Query().Get("next")), "")
}

func (s *Server) renderLoginCode(w http.ResponseWriter, r *http.Request, lang string, status int, next, errText string) {
	d := &formData{Action: "/login/code" + langQuery(lang), CSRF: s.formToken("login_code"), Next: next}
	if errText != "" {
		d.Errors = []formError{{Anchor: "#" + fieldID("code"), Text: errText}}
	}
	s.render(w, r, status, "login_code", s.page(r, lang, "login_code.title", d))
}

// loginCodeSubmit completes the login with a code and opens the session.
// Codes are rate-limited per address and per account; the half-done login
// allows a few and lives a few minutes.
func (s *Server) loginCodeSubmit(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	f := r.PostForm
	if err := s.checkFormToken("login_code", f.Get("csrf")); err != nil {
		s.fail(w, r, err)
		return
	}
	next := safeNext(f.Get("next"))
	c, err := r.Cookie(s.challengeCookieName(r))
	if err != nil || c.Value == "" {
		s.renderLogin(w, r, lang, http.StatusUnauthorized, "", next, false, s.catalog.Error(lang, service.ErrLoginExpired))
		return
	}
	accountID, err := s.accounts().ChallengeAccount(r.Context(), c.Value)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkLimits(s.limits.loginIP, s.clientIP(r), s.limits.loginCode, accountID); err != nil {
		s.renderLoginCode(w, r, lang, httpStatus(steward.ErrorCode(err)), next, s.catalog.Error(lang, err))
		return
	}
	secret, _, a, err := s.accounts().LoginCode(r.Context(), c.Value, f.Get("code"), lang)
	switch {
	case errors.Is(err, service.ErrLoginExpired):
		s.clearChallengeCookie(w, r)
		s.renderLogin(w, r, lang, http.StatusUnauthorized, "", next, false, s.catalog.Error(lang, err))
		return
	case errors.Is(err, service.ErrWrongCode):
		s.renderLoginCode(w, r, lang, http.StatusUnauthorized, next, s.catalog.Error(lang, err))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.clearChallengeCookie(w, r)
	s.setSessionCookie(w, r, secret)
	http.Redirect(w, r, afterLogin(a, next, lang), http.StatusSeeOther)
}

// afterLogin is where a login lands: next if given, else the person's
// account page or the staff start page.
func afterLogin(a *account.Account, next, lang string) string {
	if next != "" {
		return next
	}
	if a.IsStaff() {
		return "/staff/" + langQuery(lang)
	}
	return "/account" + langQuery(lang)
}
