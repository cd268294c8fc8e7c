package main

import (
	"context"
	"fmt"
)

func runMigrate(ctx context.Context, a *app, args []string) error {
	fs := a.flags("migrate", "[--db DSN]", "Applies every embedded schema migration the database lacks, each in its own\ntransaction, and reports what it applied. Running it again changes nothing.")
	db := a.dbFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := storeOpenOnly(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	for _, m := range applied {
		fmt.Fprintf(a.stdout, "applied %04d_%s\n", m.Version, m.Name)
	}
	if err != nil {
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
