package web

import (
	"net/http"
	"time"

	"steward/account"
	"steward/account/service"
	"steward/audit"
	"steward/policy"
)

// The account operations (sign-up, login, reset, e-mail change, profile)
// live in steward/account/service; the handlers decode a form or JSON
// body, call it through s.accounts() and render. This file keeps what is
// web's own: the session cookie.

// accounts is the account service the server was given.
func (s *Server) accounts() *service.Service { return s.cfg.Accounts }

// sessionCookie is the name of the session cookie (policy.SessionCookie,
// R11: strictly necessary, session-only, removed on logout).
const sessionCookie = policy.SessionCookie

// sessionCookieName is the session cookie's name for r: over HTTPS it
// carries the __Host- prefix, which browsers accept only from a secure
// origin, with Path=/ and no Domain, so a sibling host or a plain-HTTP
// page cannot set or shadow it (ASVS 3.4.4; issue 14, finding 8). The
// policy declares the cookie as steward_session; the prefix is the
// browser's guard, not another cookie.
func (s *Server) sessionCookieName(r *http.Request) string {
	if s.secure(r) {
		return "__Host-" + sessionCookie
	}
	return sessionCookie
}

// setSessionCookie gives the browser the session secret.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, secret string) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(r), Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
}

// clearSessionCookie removes the session cookie; the rest of the request
// is shown to nobody logged in.
func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	remember(r, nil)
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(r), Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
}

// subjectActor is the audit actor for a person acting on their own data.
func subjectActor(a *account.Account) audit.Actor { return service.Actor(a) }
