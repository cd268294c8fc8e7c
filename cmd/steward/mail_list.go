package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"steward"
	"steward/mail"
	"steward/store"
)

// mailTimeFormat is how mail commands print times: UTC, to the minute.
const mailTimeFormat = "2006-01-02 15:04 UTC"

func runMailList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("mail list", "[--status pending|sent|failed] [-n N] [--show-recipient]",
		"Lists mail in the outbox, newest first: id, kind, status, attempts, when it was\n"+
			"created, recipient and subject line. Recipients are masked (j***@example.org)\n"+
			"unless --show-recipient is given. 'steward mail show ID' prints one mail whole.")
	db := a.dbFlag(fs)
	status := fs.String("status", "", "only mail in this state: pending, sent or failed")
	n := fs.Int("n", 50, "at most this many mails")
	show := fs.Bool("show-recipient", false, "show recipients unmasked (operator use)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *n < 1 || *n > 10000 {
		return steward.FieldError("n", "error.must_be_between_1_and_10000")
	}
	f := store.OutboxFilter{Limit: *n}
	if *status != "" {
		st, err := store.ParseMailStatus(*status)
		if err != nil {
			return err
		}
		f.Status = st
	}
	open := a.openStore
	if *show {
		// The view is audited: the audit key is checked before anything.
		open = a.openStoreToChange
	}
	s, err := open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	mails, err := s.OutboxList(ctx, f)
	if err != nil {
		return err
	}
	if len(mails) == 0 {
		fmt.Fprintln(a.stdout, "no mail in the outbox")
		return nil
	}
	if *show {
		// Unmasked addresses of many people at once: a view, recorded.
		if err := auditOperatorView(ctx, a, s, "outbox", fmt.Sprintf("n%d", len(mails)), "", "recipient"); err != nil {
			return err
		}
	}
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tKIND\tSTATUS\tATTEMPTS\tCREATED\tTO\tSUBJECT")
	for _, m := range mails {
		to := mail.MaskAddress(m.Recipient)
		if *show {
			to = m.Recipient
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", m.ID, m.Kind, m.Status, m.Attempts,
			m.CreatedAt.Format(mailTimeFormat), to, m.Subject)
	}
	return w.Flush()
}
