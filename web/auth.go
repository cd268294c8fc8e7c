package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/store"
)

// authed is the person behind a request and their session.
type authed struct {
	Session *account.Session
	Account *account.Account
	// Bearer is true when the request authenticated with an API token
	// instead of the cookie; such requests need no CSRF token.
	Bearer bool
}

// auth returns the logged-in person, or nil for an anonymous visitor. A
// session that timed out is deleted by the account service; a bad or
// stale cookie is cleared (R11).
func (s *Server) auth(w http.ResponseWriter, r *http.Request) (*authed, error) {
	secret, bearer := "", false
	if h := r.Header.Get("Authorization"); strings.HasPrefix(r.URL.Path, "/api/") && h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			return nil, steward.Errorf(steward.EUNAUTHORIZED, "error.authorization_must_be_bearer")
		}
		secret, bearer = tok, true
	} else if c, err := r.Cookie(s.sessionCookieName(r)); err == nil && c.Value != "" && !isVisit(c.Value) {
		secret = c.Value
	}
	if secret == "" {
		return nil, nil
	}
	se, a, err := s.accounts().Authenticate(r.Context(), secret, bearer)
	if err != nil {
		return nil, err
	}
	if se == nil {
		if !bearer {
			s.clearSessionCookie(w, r)
		}
		return nil, nil
	}
	au := &authed{Session: se, Account: a, Bearer: bearer}
	if !bearer {
		remember(r, au)
	}
	return au, nil
}

// session is the session of au, or nil for an anonymous visitor.
func (au *authed) session() *account.Session {
	if au == nil {
		return nil
	}
	return au.Session
}

// checkSessionCSRF compares a form's or header's token with the session's
// (in addition to the origin check of the middleware).
func checkSessionCSRF(au *authed, token string) error {
	if au.Bearer {
		return nil
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(au.Session.CSRF)) != 1 {
		return errCSRF
	}
	return nil
}

var errCSRF = steward.Errorf(steward.EFORBIDDEN, "error.form_expired")

// formTokenLifetime is how long an anonymous form (sign-up, login, reset)
// can be submitted after it was shown.
const formTokenLifetime = 2 * time.Hour

// formToken returns a token for an anonymous form: the time it was made
// and an HMAC over the form's name and that time under a key derived from
// the site's consent key, so a form shown before a restart can still be
// sent after it. It needs no cookie, so anonymous visitors get none (Z1).
func (s *Server) formToken(form string) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(s.cfg.Clock.Now().Unix()))
	m := hmac.New(sha256.New, s.formKey)
	m.Write([]byte(form))
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(append(b[:], m.Sum(nil)...))
}

// checkFormToken verifies a token made by formToken for the same form.
func (s *Server) checkFormToken(form, token string) error {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 8+sha256.Size {
		return errCSRF
	}
	m := hmac.New(sha256.New, s.formKey)
	m.Write([]byte(form))
	m.Write(raw[:8])
	if !hmac.Equal(m.Sum(nil), raw[8:]) {
		return errCSRF
	}
	made := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	if age := s.cfg.Clock.Now().Sub(made); age < -time.Minute || age > formTokenLifetime {
		return errCSRF
	}
	return nil
}

// requireLogin answers a page request without a login with a redirect to
// the login page that comes back here afterwards; it returns nil then.
func (s *Server) requireLogin(w http.ResponseWriter, r *http.Request) *authed {
	au, err := s.auth(w, r)
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	if au == nil {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			s.fail(w, r, store.ErrNoSession)
			return nil
		}
		http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
		return nil
	}
	return au
}

// loginURL is the login page with a return to the current page.
func loginURL(r *http.Request) string {
	lang, _ := langOf(r)
	q := "next=" + url.QueryEscape(r.URL.RequestURI())
	if lang != "nl" {
		q += "&lang=" + lang
	}
	return "/login?" + q
}
