package main

import (
	"context"
	"fmt"
	"time"

	"steward"
)

func runMailPrune(ctx context.Context, a *app, args []string) error {
	fs := a.flags("mail prune", "[--keep-days N]",
		"Deletes outbox mail that was sent, or given up on, more than N days ago. A\n"+
			"finished mail still holds the recipient's address and the text; the outbox\n"+
			"must not become a second copy of personal data (R4). 'steward serve' prunes\n"+
			"by itself; this is for sites that send with 'mail send-due' from cron.")
	db := a.dbFlag(fs)
	days := fs.Int("keep-days", 30, "keep finished mail this many days")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *days < 0 {
		return steward.FieldError("keep-days", "error.must_not_be_negative")
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.PruneSent(ctx, a.clock.Now().Add(-time.Duration(*days)*24*time.Hour))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "pruned %d finished mails older than %d days\n", n, *days)
	return nil
}
