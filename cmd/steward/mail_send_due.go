package main

import (
	"context"
	"fmt"
	"log/slog"

	"steward"
)

func runMailSendDue(ctx context.Context, a *app, args []string) error {
	fs := a.flags("mail send-due", "[SMTP flags]",
		"Delivers every outbox mail that is due now over SMTP, once, and reports how\n"+
			"many were sent, will be retried, or failed for good. For sites that run it\n"+
			"from cron instead of the dispatcher inside 'steward serve'. Safe to run while\n"+
			"serve runs: each mail is claimed by one sender.")
	db := a.dbFlag(fs)
	smtp := smtpFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := smtp.dispatcher(a, s, slog.New(slog.NewTextHandler(a.stderr, nil)))
	if err != nil {
		return err
	}
	if !d.Enabled() {
		return steward.Errorf(steward.EINVALID, "error.no_smtp_server_configured")
	}
	r, err := d.DeliverDue(ctx)
	fmt.Fprintf(a.stdout, "sent %d, retrying %d, failed %d\n", r.Sent, r.Retrying, r.Failed)
	return err
}
