package consent

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"steward"
	"steward/audit"
	"steward/store"
)

// Preview is one recipient's issue as a send would compose it now.
type Preview struct {
	// Subject is the recipient's id (an account or a sign-up).
	Subject string
	// Allowed says whether the issue would reach them now: their consent
	// stands and nothing limits it.
	Allowed bool
	// Tailored says whether it has a part of their own.
	Tailored bool
	// Text is the mail's text, footer included.
	Text string
}

// Preview composes, without sending, the issue one recipient would get
// now (issue 18 item 6: steward newsletter send --preview EMAIL). It is a
// view of what is composed from their data, so it is audited as
// newsletter.preview with the subject's pseudonym and the issue's
// fingerprint — never the address or the text. An address nobody has is
// ENOTFOUND and nothing is written.
func (n *Newsletter) Preview(ctx context.Context, is Issue, email string) (Preview, error) {
	var out Preview
	p, err := n.checkIssue(is)
	if err != nil {
		return out, err
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return out, steward.FieldError("preview", "error.is_not_valid_email")
	}
	st := n.Consent.Store
	subj, err := n.subjectByEmail(ctx, email)
	if err != nil {
		return out, err
	}
	out.Subject = subj
	if is.Body, err = n.withPolicyChanges(ctx, p, is); err != nil {
		return out, fmt.Errorf("consent: newsletter preview: %w", err)
	}
	allowed, tailored, err := n.allowedNow(ctx, st.Reader, p, []string{subj})
	if err != nil {
		return out, fmt.Errorf("consent: newsletter preview: %w", err)
	}
	out.Allowed = allowed[subj]
	run := store.NewsletterSend{ContentHash: contentHash(is), CreatedAt: n.Clock.Now()}
	var part string
	if out.Allowed && tailored[subj] {
		t, err := n.tailor(ctx, p, is, run)
		if err != nil {
			return out, fmt.Errorf("consent: newsletter preview: %w", err)
		}
		parts, err := n.parts(ctx, st.Reader, t, []string{subj}, func(string) bool { return true })
		if err != nil {
			return out, fmt.Errorf("consent: newsletter preview: %w", err)
		}
		part = parts[subj]
	}
	out.Tailored = part != ""
	out.Text = n.issueText(is, part, n.UnsubscribeURL(subj))
	err = st.InTx(ctx, func(tx *store.Tx) error {
		ps, err := tx.AccountPseudonym(ctx, subj)
		if err != nil {
			return err
		}
		e := audit.Entry{Actor: audit.System("newsletter_preview"), Action: audit.NewsletterPreview, ObjectKind: "newsletter_issue",
			ObjectID: run.ContentHash[:16], Fields: []string{"purpose." + p.ID}}
		if ps != "" {
			e.Subject = audit.Pseudonym(ps)
		}
		return n.Consent.auditLog().Record(ctx, tx, e)
	})
	if err != nil {
		return out, fmt.Errorf("consent: newsletter preview: %w", err)
	}
	return out, nil
}

// subjectByEmail finds who has an address: an account, else a confirmed
// newsletter sign-up.
func (n *Newsletter) subjectByEmail(ctx context.Context, email string) (string, error) {
	st := n.Consent.Store
	acct, err := st.AccountByEmail(ctx, email)
	switch {
	case err == nil:
		return acct.ID, nil
	case steward.ErrorCode(err) != steward.ENOTFOUND:
		return "", err
	}
	sub, err := st.NewsletterByEmail(ctx, strings.TrimSpace(email))
	switch {
	case err == nil && sub.ConfirmedAt != nil:
		return sub.ID, nil
	case err == nil || steward.ErrorCode(err) == steward.ENOTFOUND:
		return "", steward.Errorf(steward.ENOTFOUND, "error.newsletter_preview_nobody")
	default:
		return "", err
	}
}
