package web

import (
	"net/http"
	"testing"

	"steward/internal/wiring"
)

// NewForTest builds the site's services from cfg the way cmd/steward does
// (wiring.New, with extra's sealer and hash parameters) and the server on
// them, for the policy in force at the clock's now (issue 20). Web's own
// and its black-box tests start every server through it.
func NewForTest(t testing.TB, cfg Config, extra wiring.Config) *Server {
	t.Helper()
	s, _ := newForTest(t, cfg, extra)
	return s
}

func newForTest(t testing.TB, cfg Config, extra wiring.Config) (*Server, *wiring.Services) {
	t.Helper()
	extra.Policy, extra.Store, extra.Clock, extra.Log = cfg.Policy, cfg.Store, cfg.Clock, cfg.Log
	extra.BaseURL, extra.MailNotify = cfg.BaseURL, cfg.MailNotify
	svc, err := wiring.New(extra)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Policy = svc.Policy
	cfg.Accounts, cfg.Consent, cfg.Gate, cfg.Desk, cfg.Retention = svc.Accounts, svc.Consent, svc.Gate, svc.Desk, svc.Retention
	cfg.Organisations, cfg.Learning, cfg.Vouchers = svc.Organisations, svc.Learning, svc.Vouchers
	cfg.Notices = svc.Notices
	cfg.Catalogue = svc.Catalogue
	cfg.Career = svc.Career
	cfg.APIKeys, cfg.Statements = svc.APIKeys, svc.Statements
	if cfg.Usage == nil {
		cfg.Usage = svc.Usage
	}
	cfg.OIDC = svc.OIDC
	cfg.Orders = svc.Orders
	cfg.Partners = svc.Partners
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, svc
}

// ServingForTest is what serve serves (cmd/steward/serve.go): the server
// of the policy in force at the clock's now and, when cfg.Policy is a
// version announced to take effect later, a Switch to its own server at
// its effective date, sharing the password hasher (issue 20).
func ServingForTest(t testing.TB, cfg Config, extra wiring.Config) http.Handler {
	t.Helper()
	now, svc := newForTest(t, cfg, extra)
	if svc.From.IsZero() {
		return now
	}
	extra.At, extra.Hasher = svc.From, svc.Accounts.Hasher
	next, _ := newForTest(t, cfg, extra)
	return &Switch{Clock: now.cfg.Clock, At: svc.From, Before: now, After: next}
}
