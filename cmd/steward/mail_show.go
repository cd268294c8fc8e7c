package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"steward/audit"
	"steward/store"
)

func runMailShow(ctx context.Context, a *app, args []string) error {
	fs := a.flags("mail show", "ID",
		"Prints one mail from the outbox: its delivery state, recipient, headers and\n"+
			"body. With no SMTP server configured this is how the operator reads a mail\n"+
			"(e.g. a verification link) and passes it on.")
	db := a.dbFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id < 1 {
		return a.wrongUsage("mail show", "cli.not_a_mail_id", "arg", fs.Arg(0))
	}
	s, err := a.openStoreToChange(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := s.OutboxMailByID(ctx, id)
	if err != nil {
		return err
	}
	// A mail holds a person's address and what was written to them: the
	// operator reading it is a view of personal data (R12), recorded
	// before it is shown.
	if err := auditOperatorView(ctx, a, s, "mail", strconv.FormatInt(m.ID, 10), m.SubjectID,
		"recipient", "subject", "text", "html"); err != nil {
		return err
	}
	printOutboxMail(a.stdout, m)
	return nil
}

// auditOperatorView records that the operator, at the command line, saw
// personal data: the fields named of the object, about subjectID (an
// account, whose pseudonym the entry names; or a person without one, whom
// it cannot name) or about several people (subjectID ""). The entry
// commits before the data is printed, so no view is missing from the log.
func auditOperatorView(ctx context.Context, a *app, s *store.Store, kind, id, subjectID string, fields ...string) error {
	return s.InTx(ctx, func(tx *store.Tx) error {
		var ps string
		if subjectID != "" {
			var err error
			if ps, err = tx.AccountPseudonym(ctx, subjectID); err != nil {
				return err
			}
		}
		return tx.AppendAudit(audit.Entry{Time: a.clock.Now(), Actor: audit.System("cli"), Action: audit.StaffView,
			ObjectKind: kind, ObjectID: id, Subject: audit.Pseudonym(ps), Fields: fields})
	})
}

// printOutboxMail writes a mail's state, then its header and body as the
// recipient would get them.
func printOutboxMail(w io.Writer, m store.OutboxMail) {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(mailTimeFormat)
	}
	fmt.Fprintf(w, "Mail:          %d\n", m.ID)
	fmt.Fprintf(w, "Kind:          %s\n", m.Kind)
	fmt.Fprintf(w, "Concerns:      %s\n", m.SubjectID)
	fmt.Fprintf(w, "Status:        %s after %d attempts\n", m.Status, m.Attempts)
	fmt.Fprintf(w, "Created:       %s\n", when(m.CreatedAt))
	if m.Status == store.MailPending {
		fmt.Fprintf(w, "Next attempt:  %s\n", when(m.NextAttemptAt))
	}
	fmt.Fprintf(w, "Last attempt:  %s\n", when(m.LastAttemptAt))
	fmt.Fprintf(w, "Sent:          %s\n", when(m.SentAt))
	if m.LastError != "" {
		fmt.Fprintf(w, "Last error:    %s\n", m.LastError)
	}
	fmt.Fprintf(w, "\nTo: %s\nSubject: %s\n", m.Recipient, m.Subject)
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "%s: %s\n", name, m.Headers[name])
	}
	fmt.Fprintf(w, "\n%s", m.Text)
	if len(m.Text) > 0 && m.Text[len(m.Text)-1] != '\n' {
		fmt.Fprintln(w)
	}
	if m.HTML != "" {
		fmt.Fprintf(w, "\n--- HTML alternative ---\n%s\n", m.HTML)
	}
}
