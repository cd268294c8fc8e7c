package web

import "net/http"

// routes is the one table of every path Steward serves.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /privacy", s.privacy)
	mux.HandleFunc("GET /privacy/statement.css", s.privacyStylesheet)
	// Accounts and the self-service site (issue 4).
	mux.HandleFunc("GET /signup", s.signupPage)
	mux.HandleFunc("POST /signup", s.signupSubmit)
	mux.HandleFunc("GET /verify", s.verifyPage)
	mux.HandleFunc("POST /verify", s.verifySubmit)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.loginSubmit)
	mux.HandleFunc("POST /logout", s.logoutSubmit)
	mux.HandleFunc("GET /reset", s.resetPage)
	mux.HandleFunc("POST /reset", s.resetSubmit)
	mux.HandleFunc("GET /reset/confirm", s.resetConfirmPage)
	mux.HandleFunc("POST /reset/confirm", s.resetConfirmSubmit)
	mux.HandleFunc("GET /account", s.profilePage)
	mux.HandleFunc("POST /account", s.profileSubmit)
	mux.HandleFunc("POST /account/reveal", s.profileReveal)
	mux.HandleFunc("POST /account/sessions/revoke", s.profileRevoke)
	mux.HandleFunc("GET /staff/{$}", s.staffHome)
	mux.HandleFunc("GET /staff/people/{id}", s.staffPerson)
	mux.HandleFunc("POST /staff/people/{id}/revoke-sessions", s.staffRevoke)
	mux.HandleFunc("POST /api/v1/signup", s.apiSignup)
	mux.HandleFunc("POST /api/v1/verify", s.apiVerify)
	mux.HandleFunc("POST /api/v1/login", s.apiLogin)
	mux.HandleFunc("POST /api/v1/logout", s.apiLogout)
	mux.HandleFunc("GET /api/v1/profile", s.apiProfile)
	mux.HandleFunc("PATCH /api/v1/profile", s.apiProfileUpdate)
	mux.HandleFunc("POST /api/v1/password-reset", s.apiResetRequest)
	mux.HandleFunc("POST /api/v1/password-reset/confirm", s.apiResetConfirm)
	mux.HandleFunc("POST /api/v1/sessions/revoke", s.apiRevokeSessions)
	// Cookie notice, consent settings, newsletter (issue 6).
	mux.HandleFunc("GET /cookies", s.cookiesPage)
	mux.HandleFunc("POST /cookies", s.cookiesSubmit)
	mux.HandleFunc("GET /account/consents", s.consentSettingsPage)
	mux.HandleFunc("POST /account/consents", s.consentSettingsSubmit)
	mux.HandleFunc("GET /account/consents/receipt", s.consentReceipt)
	mux.HandleFunc("/", s.notFound)
}
