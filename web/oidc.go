package web

import (
	"net/http"
	"net/url"
	"strings"

	"steward"
	"steward/oidc/provider"
)

// The OpenID Connect provider's pages (issue 16 item 3). The protocol's
// endpoints are the library's handler (oidc/provider); web keeps what a
// person sees: the check of the client and its redirect URI before the
// authorisation endpoint runs, the login on the way, and the session
// check before a code is issued.

// oidcProtocol serves a protocol endpoint (discovery, token, userinfo,
// JWKS, revocation); 404 where the site has no provider.
func (s *Server) oidcProtocol(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.notFound(w, r)
		return
	}
	s.oidc.ServeHTTP(w, r)
}

// oidcAuthorize is the authorisation endpoint. An unknown or revoked
// client, or a redirect URI the client did not register, gets an error
// page and is never redirected (RFC 6749 §4.1.2.1); the rest, including
// errors the client is told about by redirect, is the library's.
func (s *Server) oidcAuthorize(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.notFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, steward.Errorf(steward.EINVALID, "error.oidc_no_client"))
		return
	}
	if err := s.cfg.OIDC.CheckRedirect(r.Context(), r.Form.Get("client_id"), r.Form.Get("redirect_uri")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.oidc.ServeHTTP(w, r)
}

// oidcLogin is where the authorisation endpoint sends the browser: a
// person not logged in goes to the login page (with its second factor)
// and comes back; a logged-in one is bound to the request, without a
// consent screen (the learning environment is the site's processor and
// receives what the policy declares), and sent on to the callback. A
// request that asks for a password entered more recently than the
// session's (prompt=login or select_account, max_age) sends a logged-in
// person to the login page again first; a silent one (prompt=none) shows
// no page at all and, when the session does not satisfy it, goes back
// to the client with login_required (OpenID Connect Core §3.1.2.3).
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.notFound(w, r)
		return
	}
	id := r.URL.Query().Get("id")
	g, err := s.cfg.OIDC.Pending(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	au, err := s.auth(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if au == nil || !g.Satisfied(au.Session.AuthAt) || (g.Silent && au.Account.IsStaff()) {
		switch {
		case g.Silent:
			next, err := s.cfg.OIDC.LoginRequired(r.Context(), id)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			http.Redirect(w, r, next, http.StatusFound)
		case au == nil:
			http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
		default:
			http.Redirect(w, r, "/login?reauth=1&next="+url.QueryEscape(r.URL.RequestURI())+"&"+strings.TrimPrefix(langQuery(mustLang(r)), "?"), http.StatusSeeOther)
		}
		return
	}
	next, err := s.cfg.OIDC.SignIn(r.Context(), id, au.Account, au.Session.AuthAt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// oidcCallback issues the code, only to the browser whose session signed
// the request in: a request someone else started cannot be finished by
// them after a victim logged in for it.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.notFound(w, r)
		return
	}
	au, err := s.auth(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if au == nil || !s.cfg.OIDC.SignedInAs(r.Context(), r.URL.Query().Get("id"), au.Account.ID) {
		s.fail(w, r, steward.Errorf(steward.EFORBIDDEN, "error.oidc_no_grant"))
		return
	}
	s.oidc.ServeHTTP(w, r)
}

// oidcHandler builds the protocol handler where the policy declares
// claims for a recipient; nil (every path 404) elsewhere or when it
// cannot be built (no data key, an issuer that is not https), which is
// logged.
func (s *Server) oidcHandler() http.Handler {
	if s.cfg.OIDC == nil || !declaresClaims(s.cfg) {
		return nil
	}
	h, err := s.cfg.OIDC.Handler()
	if err != nil {
		s.cfg.Log.Warn("OpenID Connect provider off", "err", err)
		return nil
	}
	return h
}

func declaresClaims(cfg Config) bool {
	for _, pr := range cfg.Policy.Processors {
		if len(pr.Claims) > 0 {
			return true
		}
	}
	return false
}

// oidcRoutes registers the provider's paths.
func (s *Server) oidcRoutes(mux router) {
	mux.HandleFunc("GET /.well-known/openid-configuration", s.oidcProtocol)
	mux.HandleFunc("GET "+provider.AuthorizePath, s.oidcAuthorize)
	mux.HandleFunc("POST "+provider.AuthorizePath, s.oidcAuthorize)
	mux.HandleFunc("GET "+provider.CallbackPath, s.oidcCallback)
	mux.HandleFunc("GET "+provider.LoginPath, s.oidcLogin)
	mux.HandleFunc("POST "+provider.TokenPath, s.oidcProtocol)
	mux.HandleFunc("GET "+provider.UserinfoPath, s.oidcProtocol)
	mux.HandleFunc("POST "+provider.UserinfoPath, s.oidcProtocol)
	mux.HandleFunc("GET "+provider.KeysPath, s.oidcProtocol)
	mux.HandleFunc("POST "+provider.RevokePath, s.oidcProtocol)
}
