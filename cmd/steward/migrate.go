package main

import (
	"context"
	"fmt"
)

func runMigrate(ctx context.Context, a *app, args []string) error {
	fs := a.flags("migrate", "[--db DSN] [--consent-key FILE]", "Applies every embedded schema migration the database lacks, each in its own\ntransaction, and reports what it applied. Running it again changes nothing.\nIt creates the database (SQLite) when there is none and, for a database that\nhas none yet, its audit signing key (STEWARD_AUDIT_KEY) and consent key, and\nrecords their ids: every other command then refuses to run without those\nkeys instead of making keys of its own.")
	db := a.dbFlag(fs)
	consentFile := a.consentKeyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	s, applied, _, err := a.makeStore(ctx, *db)
	for _, m := range applied {
		fmt.Fprintf(a.stdout, "applied %04d_%s\n", m.Version, m.Name)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := a.consentKey(ctx, s, *consentFile, create); err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(a.stdout, "database is up to date at version %d\n", v)
	} else {
		fmt.Fprintf(a.stdout, "database is now at version %d\n", v)
	}
	return nil
}
