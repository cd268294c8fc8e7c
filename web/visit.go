package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"steward/career"
)

// A visitor without an account keeps what they saved and answered in the
// session cookie the policy declares (policy.SessionCookie, issue 18, Z1):
// no table holds it, nothing on the server names the visitor, and it ends
// when the browser session does. Until a login the cookie holds the visit,
// signed; a login replaces it with the session secret, so the visit's copy
// is gone once the person chose whether to keep it in their account. A
// login secret never has a '.', a visit always starts "v1.".
const visitPrefix = "v1."

// isVisit reports whether a session cookie's value is a visit rather than
// a login secret.
func isVisit(value string) bool { return strings.HasPrefix(value, visitPrefix) }

func (s *Server) visitMAC(body string) string {
	m := hmac.New(sha256.New, s.visitKey)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// visit returns the request's visit; no cookie, a login's cookie, or a
// changed or malformed one is an empty visit.
func (s *Server) visit(r *http.Request) career.Visit {
	c, err := r.Cookie(s.sessionCookieName(r))
	if err != nil || !isVisit(c.Value) {
		return career.Visit{}
	}
	body, mac, ok := strings.Cut(strings.TrimPrefix(c.Value, visitPrefix), ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(s.visitMAC(body))) {
		return career.Visit{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return career.Visit{}
	}
	return career.DecodeVisit(raw)
}

// setVisit stores v in the session cookie of a visitor without a login;
// an empty visit removes the cookie.
func (s *Server) setVisit(w http.ResponseWriter, r *http.Request, v career.Visit) {
	if v.Empty() {
		s.clearSessionCookie(w, r)
		return
	}
	body := base64.RawURLEncoding.EncodeToString(v.Encode())
	s.setSessionCookie(w, r, visitPrefix+body+"."+s.visitMAC(body))
}
