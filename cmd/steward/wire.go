package main

import (
	"context"

	"steward/audit"
	"steward/clock"
	"steward/internal/wiring"
	"steward/policy"
	"steward/retention/runner"
	"steward/rights/desk"
	"steward/store"
)

// wire builds a site's services with internal/wiring: serve and every
// command share this one constructor, so the desk, retention runner and
// account service a command uses are the ones the server runs.
func wire(cfg wiring.Config) (*wiring.Services, error) {
	return wiring.New(cfg)
}

// newDesk is the rights desk of a command.
func newDesk(s *store.Store, p *policy.Policy, clk clock.Clock, baseURL string) (*desk.Desk, error) {
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: clk, BaseURL: baseURL})
	if err != nil {
		return nil, err
	}
	return svc.Desk, nil
}

// newRetentionRunner is the retention runner of a command, limited to
// rules (all when none).
func newRetentionRunner(s *store.Store, p *policy.Policy, clk clock.Clock, rules []string) (*runner.Runner, error) {
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: clk})
	if err != nil {
		return nil, err
	}
	return svc.Retention.ForRules(rules...), nil
}

// staffServices opens the database for a change made by staff member
// staff (openStoreAsStaff) and builds the site's services on it; the
// caller closes the store.
func (a *app) staffServices(ctx context.Context, dsn, staff string, p *policy.Policy) (*wiring.Services, *store.Store, audit.Actor, error) {
	s, actor, err := a.openStoreAsStaff(ctx, dsn, staff)
	if err != nil {
		return nil, nil, "", err
	}
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock})
	if err != nil {
		s.Close()
		return nil, nil, "", err
	}
	return svc, s, actor, nil
}
