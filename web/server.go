// Package web serves Steward's pages and JSON API: server-rendered
// html/template pages that work without JavaScript, in Dutch (default) and
// English, behind one middleware chain that sets the security headers.
package web

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"

	"steward/account/service"
	"steward/anonymise/partner"
	keyservice "steward/apikey/service"
	careerservice "steward/career/service"
	catservice "steward/catalogue/service"
	"steward/clock"
	"steward/consent"
	learnservice "steward/learning/service"
	"steward/message"
	"steward/oidc/provider"
	orderservice "steward/order/service"
	orgservice "steward/organisation/service"
	"steward/policy"
	"steward/policy/publication"
	"steward/retention/runner"
	"steward/rights/desk"
	"steward/store"
	usageservice "steward/usage/service"
	voucherservice "steward/voucher/service"
	xapiservice "steward/xapi/service"
)

// Config is what the web layer needs from main.
type Config struct {
	Policy *policy.Policy
	Store  *store.Store
	Clock  clock.Clock
	Log    *slog.Logger
	// BaseURL is the public address of the site, used in links sent by mail.
	BaseURL string
	// Secure marks cookies Secure; set when the site is served over TLS
	// (directly or behind a TLS-terminating proxy).
	Secure bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (proxy.go); empty ignores both.
	TrustedProxies []netip.Prefix
	// MailNotify, when set, wakes the mail dispatcher after a mail is
	// enqueued.
	MailNotify func()
	// The services the handlers call. cmd/steward builds each once
	// (internal/wiring.New) and every request uses the same; web builds
	// none of its own.
	Accounts  *service.Service
	Consent   *consent.Service
	Gate      *consent.Gate
	Desk      *desk.Desk
	Retention *runner.Runner
	// Organisations manages organisations and their members (issue 16).
	Organisations *orgservice.Service
	// Learning is the course catalogue and enrolment (issue 16).
	Learning *learnservice.Service
	// Vouchers creates, redeems and reports vouchers (issue 17); nil
	// leaves the voucher pages out.
	Vouchers *voucherservice.Service
	// APIKeys checks the keys of the machine API and Statements stores
	// the learning results the LMS posts to /xapi/statements (issue 16
	// item 4); either nil leaves /xapi/ out (404).
	APIKeys    *keyservice.Service
	Statements *xapiservice.Service
	// Notices tells people about a published policy change: the banner
	// and its dismissal (issue 20).
	Notices *publication.Teller
	// Catalogue searches the functies and opleidingen (issue 18); its
	// pages exist only where the policy's site has a catalogue.
	Catalogue *catservice.Service
	// Career saves functies and opleidingen with an account, and keeps the
	// basic questions' answers and the career profile (issue 18).
	Career *careerservice.Service
	// Usage counts page views per page and day where the policy declares
	// usage_counts (issue 18 item 8); nil counts nothing.
	Usage *usageservice.Service
	// Partners lists the anonymised exports to analysis partners (issue
	// 19); nil, or a policy naming no such partner, leaves the page out.
	Partners *partner.Service
	// OIDC is the OpenID Connect provider the learning environment signs
	// people in through (issue 16 item 3); nil, or a policy declaring no
	// claims, leaves its paths out (404).
	OIDC *provider.Service
	// Orders is the shop (issue 17): products, orders, payments, invoices
	// and downloads; nil leaves the shop's pages out.
	Orders *orderservice.Service
	// ConsentKey signs consent receipts and keys the cookie-choice cookie,
	// unsubscribe links (issue 6) and the anonymous forms' CSRF tokens
	// (issue 4); nil uses an ephemeral key.
	ConsentKey *consent.Key
	// AuditKey is the audit signing key's public half: "verify now" on
	// /staff/audit checks the head and checkpoint signatures with it. Nil
	// checks the chain only, and the page says so.
	AuditKey ed25519.PublicKey
	// Messages is the catalogue every text of the site comes from; nil
	// uses the embedded one (message.Default). Tests give a changed one.
	Messages *message.Catalogue
}

// Server holds the parsed templates and the router.
type Server struct {
	cfg     Config
	pages   *pages
	catalog *message.Catalogue
	handler http.Handler
	// formKey signs the CSRF tokens of anonymous forms (auth.go); it is
	// derived from the consent key, so it survives a restart.
	formKey []byte
	// visitKey signs a visitor's saved items and answers in the session
	// cookie (visit.go); derived from the consent key like formKey.
	visitKey []byte
	limits   *limits
	consent  *consentWeb
	// oidc is the OpenID Connect protocol handler, nil where the site has
	// no provider.
	oidc http.Handler
}

// New builds the server: it parses the templates and catalogues once and
// refuses to start if any is broken.
func New(cfg Config) (*Server, error) {
	if cfg.Policy == nil || cfg.Store == nil {
		return nil, fmt.Errorf("web: a policy and a store are required")
	}
	if cfg.Accounts == nil || cfg.Consent == nil || cfg.Gate == nil || cfg.Desk == nil || cfg.Retention == nil || cfg.Organisations == nil || cfg.Learning == nil || cfg.Notices == nil {
		return nil, fmt.Errorf("web: the account, consent, gate, desk, retention, organisation, learning and notice services are required (internal/wiring builds them)")
	}
	if cfg.Policy.Site.Catalogue && cfg.Catalogue == nil {
		return nil, fmt.Errorf("web: the site has a catalogue, so the catalogue service is required (internal/wiring builds it)")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cat := cfg.Messages
	if cat == nil {
		cat = message.Default()
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, pages: pg, catalog: cat, limits: newLimits(cfg.Clock, sharedLimits(cfg), cfg.Log)}
	mux := http.NewServeMux()
	s.consent = newConsentWeb(cfg)
	// The anonymous forms' CSRF key derives from the site's persistent
	// consent key under its own label: a restart or a second instance
	// behind the same balancer accepts the forms already shown (issue 4).
	s.formKey = s.consent.key.Derive("anonymous-form-csrf")
	s.visitKey = s.consent.key.Derive("anonymous-visit")
	s.oidc = s.oidcHandler()
	s.routes(mux)
	s.handler = s.middleware(mux)
	return s, nil
}

// notifyMail wakes the mail dispatcher, when one runs in this process.
func (s *Server) notifyMail() {
	if s.cfg.MailNotify != nil {
		s.cfg.MailNotify()
	}
}

// ServeHTTP serves a request through the middleware chain.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
