package web

import (
	"testing"

	"steward/internal/wiring"
)

// NewForTest builds the site's services from cfg the way cmd/steward does
// (wiring.New, with extra's sealer and hash parameters) and the server on
// them. Web's own
// and its black-box tests start every server through it.
func NewForTest(t testing.TB, cfg Config, extra wiring.Config) *Server {
	t.Helper()
	extra.Policy, extra.Store, extra.Clock, extra.Log = cfg.Policy, cfg.Store, cfg.Clock, cfg.Log
	extra.BaseURL, extra.MailNotify = cfg.BaseURL, cfg.MailNotify
	svc, err := wiring.New(extra)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Accounts, cfg.Consent, cfg.Gate, cfg.Desk, cfg.Retention = svc.Accounts, svc.Consent, svc.Gate, svc.Desk, svc.Retention
	cfg.Organisations, cfg.Learning = svc.Organisations, svc.Learning
	cfg.Notices = svc.Notices
	cfg.Catalogue = svc.Catalogue
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
