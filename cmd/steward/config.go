package main

import (
	"context"
	"flag"

	"steward/audit"
	"steward/policy"
	"steward/store"
)

// Defaults that make 'steward serve' work on a fresh checkout.
const (
	defaultDB     = "sqlite:./steward.db"
	defaultPolicy = "policies/ivm.yaml"
	defaultAddr   = "127.0.0.1:8080"
)

func policyFormat() int { return policy.FormatVersion }

// dbFlag adds --db (env STEWARD_DB) to a command.
func (a *app) dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", a.env("STEWARD_DB", defaultDB), "database: sqlite:PATH or a postgres:// URL (env STEWARD_DB)")
}

// policyFlag adds --policy (env STEWARD_POLICY) to a command.
func (a *app) policyFlag(fs *flag.FlagSet) *string {
	return fs.String("policy", a.env("STEWARD_POLICY", defaultPolicy), "the site's policy file (env STEWARD_POLICY)")
}

// openStore opens and migrates the database, and makes it sign the audit
// log's head at every commit that appends entries, and a checkpoint every
// audit.DefaultCheckpointEvery entries, with the key auditSigner names.
// Every command opens its store here, so none can append entries that
// 'audit verify' then finds unsigned (G2); a command that only reads never
// loads the key, nor creates it.
func (a *app) openStore(ctx context.Context, dsn string) (*store.Store, error) {
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.SetAuditKey(a.auditSigner, audit.DefaultCheckpointEvery)
	return s, nil
}

// loadPolicy reads and validates a policy file.
func loadPolicy(path string) (*policy.Policy, error) {
	data, err := readInputFile("policy "+path, path, maxPolicyFile)
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse(path, data)
	if err != nil {
		return nil, err
	}
	return p, nil
}
