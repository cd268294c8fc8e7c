package web

import (
	"net/http"

	"steward/consent"
)

// router is what routes registers on: the server's *http.ServeMux, or a
// test's list of the patterns (docs/api.md must list every /api/ route).
type router interface {
	Handle(pattern string, h http.Handler)
	HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request))
}

// routes is the one table of every path Steward serves.
func (s *Server) routes(mux router) {
	mux.Handle("GET /static/", s.staticHandler())
	// Browsers ask for /favicon.ico whatever the page links (issue 13).
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /privacy", s.privacy)
	mux.HandleFunc("GET /privacy/statement.css", s.privacyStylesheet)
	mux.HandleFunc("GET /privacy/versions", s.privacyVersions)
	mux.HandleFunc("GET /privacy/versions/{n}", s.privacyVersion)
	// Requests by anyone the site holds data on, without logging in
	// (issue 13 item 5).
	mux.HandleFunc("GET /privacy/request", s.privacyRequestPage)
	mux.HandleFunc("POST /privacy/request", s.privacyRequestSubmit)
	// Accounts and the self-service site (issue 4).
	mux.HandleFunc("GET /signup", s.signupPage)
	mux.HandleFunc("POST /signup", s.signupSubmit)
	mux.HandleFunc("GET /verify", s.verifyPage)
	mux.HandleFunc("POST /verify", s.verifySubmit)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.loginSubmit)
	mux.HandleFunc("GET /login/code", s.loginCodePage)
	mux.HandleFunc("POST /login/code", s.loginCodeSubmit)
	mux.HandleFunc("POST /logout", s.logoutSubmit)
	mux.HandleFunc("GET /reset", s.resetPage)
	mux.HandleFunc("POST /reset", s.resetSubmit)
	mux.HandleFunc("GET /reset/confirm", s.resetConfirmPage)
	mux.HandleFunc("POST /reset/confirm", s.resetConfirmSubmit)
	mux.HandleFunc("GET /account", s.profilePage)
	mux.HandleFunc("POST /account", s.profileSubmit)
	mux.HandleFunc("POST /account/reveal", s.profileReveal)
	mux.HandleFunc("POST /account/sessions/revoke", s.profileRevoke)
	mux.HandleFunc("POST /account/password", s.passwordSubmit)
	mux.HandleFunc("GET /account/security", s.securityPage)
	mux.HandleFunc("POST /account/security/setup", s.securitySetup)
	mux.HandleFunc("POST /account/security/confirm", s.securityConfirm)
	mux.HandleFunc("POST /account/security/disable", s.securityDisable)
	mux.HandleFunc("POST /account/email", s.emailChangeSubmit)
	mux.HandleFunc("GET /account/email/confirm", s.emailChangePage)
	mux.HandleFunc("POST /account/email/confirm", s.emailChangeConfirm)
	mux.HandleFunc("GET /staff/{$}", s.staffHome)
	mux.HandleFunc("POST /staff/{$}", s.staffFind)
	mux.HandleFunc("GET /staff/people/{id}", s.staffPerson)
	mux.HandleFunc("POST /staff/people/{id}/revoke-sessions", s.staffRevoke)
	mux.HandleFunc("POST /staff/people/{id}/lift-restriction", s.staffLiftRestriction)
	mux.HandleFunc("GET /staff/audit", s.staffAudit)
	mux.HandleFunc("POST /api/v1/signup", s.apiSignup)
	mux.HandleFunc("POST /api/v1/verify", s.apiVerify)
	mux.HandleFunc("POST /api/v1/login", s.apiLogin)
	mux.HandleFunc("POST /api/v1/logout", s.apiLogout)
	mux.HandleFunc("GET /api/v1/profile", s.apiProfile)
	mux.HandleFunc("PATCH /api/v1/profile", s.apiProfileUpdate)
	mux.HandleFunc("POST /api/v1/password-reset", s.apiResetRequest)
	mux.HandleFunc("POST /api/v1/password-reset/confirm", s.apiResetConfirm)
	mux.HandleFunc("POST /api/v1/sessions/revoke", s.apiRevokeSessions)
	mux.HandleFunc("POST /api/v1/email", s.apiEmailChange)
	mux.HandleFunc("POST /api/v1/email/confirm", s.apiEmailChangeConfirm)
	// Cookie notice, consent settings, newsletter (issue 6).
	mux.HandleFunc("GET /cookies", s.cookiesPage)
	mux.HandleFunc("POST /cookies", s.cookiesSubmit)
	mux.HandleFunc("POST /privacy/notice", s.noticeDismiss)
	mux.HandleFunc("GET /account/consents", s.consentSettingsPage)
	mux.HandleFunc("POST /account/consents", s.consentSettingsSubmit)
	mux.HandleFunc("GET /account/consents/receipt", s.consentReceipt)
	mux.HandleFunc("GET /newsletter", s.newsletterPage)
	mux.HandleFunc("POST /newsletter", s.newsletterSubmit)
	mux.HandleFunc("GET /newsletter/confirm", s.newsletterTokenPage("/newsletter/confirm", "newsletter.confirm_title", "newsletter.confirm_button"))
	mux.HandleFunc("POST /newsletter/confirm", s.newsletterConfirm)
	mux.HandleFunc("GET /newsletter/unsubscribe", s.newsletterTokenPage("/newsletter/unsubscribe", "newsletter.unsubscribe_title", "newsletter.unsubscribe_button"))
	mux.HandleFunc("POST /newsletter/unsubscribe", s.stopMailing(consent.NewsletterPurpose, "newsletter.unsubscribed_title", "newsletter.unsubscribed"))
	// The research panel's invitations (issue 18 item 7) stop the same way.
	mux.HandleFunc("GET /panel/unsubscribe", s.newsletterTokenPage("/panel/unsubscribe", "panel.unsubscribe_title", "panel.unsubscribe_button"))
	mux.HandleFunc("POST /panel/unsubscribe", s.stopMailing(consent.PanelPurpose, "panel.unsubscribed_title", "panel.unsubscribed"))
	// Data-subject rights: "My data", export, erasure, restriction,
	// objection, requests, and the staff request queue (issue 7).
	mux.HandleFunc("GET /account/data", s.accountData)
	mux.HandleFunc("GET /api/v1/me/data", s.apiMyData)
	mux.HandleFunc("GET /api/v1/me/export", s.accountDataExport) // the same ZIP, the same recent-login rule
	mux.HandleFunc("POST /api/v1/me/erase", s.apiErase)
	mux.HandleFunc("POST /api/v1/me/restrict", s.apiRestrict)
	mux.HandleFunc("POST /api/v1/me/object", s.apiObject)
	mux.HandleFunc("GET /api/v1/me/requests", s.apiRequests)
	mux.HandleFunc("POST /api/v1/me/requests", s.apiRequestAdd)
	mux.HandleFunc("GET /api/v1/me/consents", s.apiConsents)
	mux.HandleFunc("PUT /api/v1/me/consents/{purpose}", s.apiConsentSet)
	mux.HandleFunc("GET /account/data/export", s.accountDataExport)
	mux.HandleFunc("GET /account/data/erase", s.accountEraseForm)
	mux.HandleFunc("POST /account/data/erase", s.accountEraseSubmit)
	mux.HandleFunc("POST /account/data/restrict", s.accountRestrict)
	mux.HandleFunc("POST /account/data/object", s.accountObject)
	mux.HandleFunc("POST /account/data/requests", s.accountRequest)
	mux.HandleFunc("GET /account/data/requests/{id}", s.accountRequestPage)
	mux.HandleFunc("GET /requests/verify", s.requestVerifyPage)
	mux.HandleFunc("POST /requests/verify", s.requestVerifySubmit)
	mux.HandleFunc("GET /staff/requests", s.staffRequests)
	mux.HandleFunc("POST /staff/requests", s.staffRequestAdd)
	mux.HandleFunc("GET /staff/requests/{id}", s.staffRequest)
	mux.HandleFunc("POST /staff/requests/{id}/{action}", s.staffRequestAction)
	mux.HandleFunc("GET /staff/requests/{id}/rectify", s.staffRectifyPage)
	mux.HandleFunc("POST /staff/disclosures", s.staffDisclosureAdd)
	// The retention plan for staff (issue 8).
	mux.HandleFunc("GET /staff/retention", s.staffRetention)
	// Organisations and invitations (issue 16).
	mux.HandleFunc("GET /staff/organisations", s.staffOrganisations)
	mux.HandleFunc("POST /staff/organisations", s.staffOrganisationAdd)
	mux.HandleFunc("GET /staff/organisations/{id}", s.staffOrganisation)
	mux.HandleFunc("POST /staff/organisations/{id}/invite", s.staffOrganisationInvite)
	mux.HandleFunc("POST /staff/organisations/{id}/members/{account}/remove", s.staffOrganisationRemove)
	mux.HandleFunc("GET /organisations/invitation", s.invitationPage)
	mux.HandleFunc("POST /organisations/invitation", s.invitationSubmit)
	// Courses and enrolment (issue 16).
	mux.HandleFunc("GET /courses", s.courses)
	mux.HandleFunc("GET /courses/{slug}", s.course)
	mux.HandleFunc("POST /courses/{slug}/enrol", s.courseEnrol)
	mux.HandleFunc("GET /staff/courses", s.staffCourses)
	// What the site counts itself, where the policy declares it (issue
	// 18 item 8).
	mux.HandleFunc("GET /staff/usage", s.staffUsage)
	// The LMS outbox's messages that failed for good (issue 17).
	mux.HandleFunc("GET /staff/lms", s.staffLMS)
	// The anonymised exports to analysis partners (issue 19, Z6).
	mux.HandleFunc("GET /staff/partner-exports", s.staffPartnerExports)
	// The catalogue of functies and opleidingen (issue 18); 404 where the
	// policy's site has none.
	mux.HandleFunc("GET /functies", s.catalogueJobs)
	mux.HandleFunc("GET /functies/{id}", s.catalogueJob)
	mux.HandleFunc("GET /opleidingen", s.catalogueCourses)
	mux.HandleFunc("GET /opleidingen/{id}", s.catalogueCourse)
	// Saving them, with or without an account (issue 18 item 4).
	mux.HandleFunc("GET /saved", s.savedPage)
	mux.HandleFunc("POST /saved", s.savedAdd)
	mux.HandleFunc("POST /saved/remove", s.savedRemove)
	// The basic questions (issue 18 item 3).
	mux.HandleFunc("GET /basisvragen", s.questionsPage)
	mux.HandleFunc("POST /basisvragen", s.questionsSubmit)
	// The career profile's job and education history (issue 18 item 5).
	mux.HandleFunc("GET /account/career", s.careerPage)
	mux.HandleFunc("POST /account/career/{kind}", s.careerAdd)
	mux.HandleFunc("POST /account/career/{kind}/{id}", s.careerChange)
	mux.HandleFunc("GET /api/v1/me/career", s.apiCareer)
	mux.HandleFunc("POST /api/v1/me/career/{kind}", s.apiCareerAdd)
	mux.HandleFunc("PUT /api/v1/me/career/{kind}/{id}", s.apiCareerUpdate)
	mux.HandleFunc("DELETE /api/v1/me/career/{kind}/{id}", s.apiCareerRemove)
	// The shop (issue 17): publications, orders, payments, downloads.
	mux.HandleFunc("GET /publications", s.publications)
	mux.HandleFunc("GET /publications/{slug}", s.publication)
	mux.HandleFunc("POST /publications/{slug}/order", s.publicationOrder)
	mux.HandleFunc("POST /publications/{slug}/download", s.publicationDownload)
	mux.HandleFunc("GET /orders/{id}", s.orderPage)
	mux.HandleFunc("POST /orders/{id}/pay", s.orderPay)
	mux.HandleFunc("GET /account/orders", s.accountOrders)
	mux.HandleFunc("POST /payments/{provider}/webhook", s.paymentWebhook)
	mux.HandleFunc("GET /downloads/{token}", s.download)
	mux.HandleFunc("GET /vouchers/redeem", s.voucherRedeem)
	mux.HandleFunc("POST /vouchers/redeem", s.voucherPreview)
	mux.HandleFunc("POST /vouchers/redeem/confirm", s.voucherConfirm)
	mux.HandleFunc("GET /staff/vouchers", s.staffVouchers)
	mux.HandleFunc("GET /staff/organisations/{id}/vouchers", s.orgVouchers)
	mux.HandleFunc("POST /staff/organisations/{id}/vouchers", s.orgVouchersCreate)
	mux.HandleFunc("GET /staff/organisations/{id}/voucher-report", s.orgVoucherReport)
	// The learning environment reports results as xAPI statements (issue
	// 16 item 4, R8); authenticated by API key, not by session.
	mux.HandleFunc("POST /xapi/statements", s.xapiStatements)
	mux.HandleFunc("PUT /xapi/statements", s.xapiStatements)
	// Steward as the learning environment's OpenID Connect provider
	// (issue 16 item 3).
	s.oidcRoutes(mux)
	mux.HandleFunc("/", s.notFound)
}
