package consent

import (
	"context"
	"fmt"

	mailer "steward/mail"
	"steward/policy"
	"steward/store"
)

// A mailing is one run of mail to the people whose consent for a purpose
// stands at the moment of sending: a newsletter issue (Send) or the
// research panel's invitation to a survey (InvitePanel). Both walk the
// same way and keep the same promises: one write transaction per batch
// that reads each candidate's consent and limits again, asks the gate's
// rule, and enqueues the mail with its delivery row (newsletter_sends and
// newsletter_deliveries hold the runs and deliveries of every purpose),
// so an interrupted run resumes where it stopped and nobody gets the
// same mailing twice.
type mailing struct {
	run     store.NewsletterSend
	purpose *policy.Purpose
	// resend mails also those an earlier, finished run of the same
	// mailing reached.
	resend bool
	// tailor, when set, writes the parts of those whose consent was given
	// with a tailored notice.
	tailor Tailor
	// message is one recipient's mail, with their part (or "").
	message func(subject, addr, part string) mailer.Message
	// audit, when set, is called in the batch's transaction for each
	// recipient the mailing reached.
	audit func(ctx context.Context, tx *store.Tx, subject string) error
}

// oneClick are the headers of a mail's one-click stop link (RFC 2369,
// RFC 8058): the mail client offers it, and its POST takes effect.
func oneClick(link string) map[string]string {
	return map[string]string{"List-Unsubscribe": "<" + link + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
}

// run walks the candidates in keyset order, a batch at a time, and marks
// the run finished at the end.
func (n *Newsletter) run(ctx context.Context, m mailing, batch int, progress func(SendReport)) (SendReport, error) {
	rep := SendReport{Send: m.run.ID, Resumed: m.run.Resumed}
	after := ""
	for {
		cands, err := n.Consent.Store.ConsentSubjectsGiven(ctx, m.purpose.ID, after, batch)
		if err != nil {
			return rep, fmt.Errorf("consent: send %s: %w", m.purpose.ID, err)
		}
		if len(cands) == 0 {
			break
		}
		after = cands[len(cands)-1]
		b, err := n.sendBatch(ctx, m, cands)
		if err != nil {
			return rep, fmt.Errorf("consent: send %s %d: %w", m.purpose.ID, m.run.ID, err)
		}
		rep.add(b)
		if progress != nil {
			progress(rep)
		}
	}
	err := n.Consent.Store.InTx(ctx, func(tx *store.Tx) error { return tx.FinishNewsletterSend(ctx, m.run.ID, n.Clock.Now()) })
	if err != nil {
		return rep, fmt.Errorf("consent: send %s: %w", m.purpose.ID, err)
	}
	return rep, nil
}

// sendBatch handles one batch of candidates in one write transaction:
// their consent state locked and read again, the gate asked per
// recipient, and each one allowed and not yet reached gets the mail
// enqueued with its delivery row — with their own part when the mailing
// is tailored and their consent was given with the tailored notice.
func (n *Newsletter) sendBatch(ctx context.Context, m mailing, cands []string) (SendReport, error) {
	p := m.purpose
	var b SendReport
	err := n.Consent.Store.InTx(ctx, func(tx *store.Tx) error {
		b = SendReport{}
		if err := tx.LockConsentStates(ctx, p.ID, cands); err != nil {
			return err
		}
		// Reached already: by this run (a resumed run), or by any run of
		// the same mailing unless it is sent again on purpose.
		var done map[string]bool
		var err error
		if m.resend {
			done, err = tx.NewsletterDelivered(ctx, m.run.ID, cands)
		} else {
			done, err = tx.NewsletterIssueDelivered(ctx, p.ID, m.run.ContentHash, cands)
		}
		if err != nil {
			return err
		}
		allowed, tailored, err := n.allowedNow(ctx, tx.Reader, p, cands)
		if err != nil {
			return err
		}
		addrs, err := tx.NewsletterAddresses(ctx, cands)
		if err != nil {
			return err
		}
		parts, err := n.parts(ctx, tx.Reader, m.tailor, cands, func(s string) bool { return !done[s] && allowed[s] && tailored[s] })
		if err != nil {
			return err
		}
		at := n.Clock.Now()
		for _, subj := range cands {
			b.Candidates++
			switch {
			case done[subj]:
				b.Already++
				continue
			case !allowed[subj] || addrs[subj] == "":
				b.Skipped++
				continue
			}
			id, err := mailer.Enqueue(ctx, tx, at, m.message(subj, addrs[subj], parts[subj]))
			if err != nil {
				return err
			}
			if err := tx.RecordNewsletterDelivery(ctx, m.run.ID, subj, id, at); err != nil {
				return err
			}
			if m.audit != nil {
				if err := m.audit(ctx, tx, subj); err != nil {
					return err
				}
			}
			b.Enqueued++
			if parts[subj] != "" {
				b.Tailored++
			}
		}
		return nil
	})
	return b, err
}
