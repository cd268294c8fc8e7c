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

// opener opens a command's database: openStore, openStoreToChange.
type opener func(ctx context.Context, dsn string) (*store.Store, error)

// openStore opens and migrates a database that 'steward migrate' or
// 'steward serve' made: with no database at dsn it says so and creates
// nothing (issue 13). It makes the store sign the audit log's head at every
// commit that appends entries, and a checkpoint every
// audit.DefaultCheckpointEvery entries, with the audit key — loaded at the
// first append and checked against the one the database expects, never
// created — so no command can append entries that 'audit verify' then
// finds unsigned or signed by a stranger (G2); a command that only reads
// never loads the key.
func (a *app) openStore(ctx context.Context, dsn string) (*store.Store, error) {
	s, err := migrated(ctx, store.OpenExisting, dsn)
	if err != nil {
		return nil, err
	}
	k := a.auditKey()
	s.SetAuditKey(func() (*audit.Signer, error) {
		return a.auditSigner(context.Background(), s, k, checkOnly)
	}, audit.DefaultCheckpointEvery)
	return s, nil
}

// openStoreToChange is openStore for a command that appends audit
// entries: the audit key is loaded and checked before anything is done,
// so a command run away from its key refuses at once, naming the file and
// the key id the database expects.
func (a *app) openStoreToChange(ctx context.Context, dsn string) (*store.Store, error) {
	s, err := a.openStore(ctx, dsn)
	if err != nil {
		return nil, err
	}
	signer, err := a.auditSigner(ctx, s, a.auditKey(), claim)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.SetAuditSigner(signer, audit.DefaultCheckpointEvery)
	return s, nil
}

// openStoreAsStaff is openStoreToChange for a command a staff member
// runs: it also checks that staff is the id of a staff account and
// returns it as the audit actor, closing the store again when not.
func (a *app) openStoreAsStaff(ctx context.Context, dsn, staff string) (*store.Store, audit.Actor, error) {
	s, err := a.openStoreToChange(ctx, dsn)
	if err != nil {
		return nil, "", err
	}
	actor, err := staffActor(ctx, s, staff)
	if err != nil {
		s.Close()
		return nil, "", err
	}
	return s, actor, nil
}

// makeStore opens the database for 'serve' and 'migrate', the two
// commands that may create it: created (SQLite) and migrated, its audit
// key created when the database has none yet (issue 13).
func (a *app) makeStore(ctx context.Context, dsn string) (*store.Store, []store.Applied, *audit.Signer, error) {
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, nil, nil, err
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, applied, nil, err
	}
	signer, err := a.auditSigner(ctx, s, a.auditKey(), create)
	if err != nil {
		s.Close()
		return nil, applied, nil, err
	}
	s.SetAuditSigner(signer, audit.DefaultCheckpointEvery)
	return s, applied, signer, nil
}

// openScratch opens (creating it) and migrates a bench's scratch
// database; the bench sets its own throwaway audit key.
func (a *app) openScratch(ctx context.Context, dsn string) (*store.Store, error) {
	return migrated(ctx, store.Open, dsn)
}

// migrated opens dsn with open and migrates it.
func migrated(ctx context.Context, open opener, dsn string) (*store.Store, error) {
	s, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
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
