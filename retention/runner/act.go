package runner

import (
	"context"
	"time"

	"steward/account"
	"steward/audit"
	"steward/erasure"
	"steward/mail"
	"steward/message"
	"steward/policy"
	"steward/retention"
	"steward/store"
)

// actor is who the audit log names for every automated retention action (G2).
var actor = audit.System("retention")

// carryOut performs one outcome inside the batch's transaction, with its
// audit entry.
func (r *Runner) carryOut(ctx context.Context, tx *store.Tx, ru *policy.Rule, f retention.Facts, d retention.Decision,
	w *store.Warning, o Outcome, asOf time.Time) error {
	switch o {
	case Warn:
		return r.warn(ctx, tx, ru, f, d, asOf)
	case Wait:
		// Keep the proof of sending even if the outbox is pruned later.
		if w != nil && !w.SentAt.IsZero() {
			return tx.MarkWarningSent(ctx, f.Kind, f.Target, ru.ID, w.SentAt)
		}
		return nil
	case Delete, Anonymise:
		return r.erase(ctx, tx, ru, f, asOf)
	}
	return nil
}

// erasesSubject reports whether acting on a target of kind erases its
// whole subject: an account, and a newsletter sign-up without an account
// (R2), which is a subject of its own.
func erasesSubject(kind string) bool {
	return kind == account.RecordID || kind == store.NewsletterRecord
}

// eraseSubjects deletes or anonymises the subjects of a page's due targets
// by the erasure planner's plan for the rule (erasure.ForRule), carried out
// by the one erasure path the rights desk uses too (store.EraseSubjects; a
// person's own erasure calls it with one id), so a rule-driven deletion and
// a person's own cannot differ. It is set-based:
// a few statements per table for the whole page, and one audit append
// with an entry per subject (G2).
func (r *Runner) eraseSubjects(ctx context.Context, tx *store.Tx, ru *policy.Rule, fs []retention.Facts, asOf time.Time) error {
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.Subject
	}
	es, err := tx.EraseSubjects(ctx, erasure.ForRule(r.Engine.Policy(), ru, asOf), ids)
	if err != nil {
		return err
	}
	entries := make([]audit.Entry, len(fs))
	for i, f := range fs {
		entries[i] = erasureEntry(ru, f, es[i])
	}
	return r.Audit.Record(ctx, tx, entries...)
}

// erasureEntry is the audit entry of one erasure by rule ru: the kinds
// erased, by name, and the subject by pseudonym only (G2).
func erasureEntry(ru *policy.Rule, f retention.Facts, er store.Erased) audit.Entry {
	action := audit.RetentionDelete
	if ru.Action == policy.ActionAnonymise {
		action = audit.RetentionAnonymise
	}
	fields := append(append([]string{}, er.Deleted...), er.Anonymised...)
	return audit.Entry{Actor: actor, Action: action, ObjectKind: f.Kind, ObjectID: f.Target,
		Subject: er.Pseudonym, Fields: fields}
}

// erase deletes or anonymises one target that is not a whole subject: a
// rule on a system's own account kind (IVM's LMS account, R10) erases the
// subject's records in that system; a rule on any other kind erases just
// that kind of the subject's records (erasure.ForSystem).
func (r *Runner) erase(ctx context.Context, tx *store.Tx, ru *policy.Rule, f retention.Facts, asOf time.Time) error {
	if erasesSubject(f.Kind) {
		return r.eraseSubjects(ctx, tx, ru, []retention.Facts{f}, asOf)
	}
	plan := erasure.ForSystem(r.Engine.Policy(), f.Kind, ru.Action, asOf)
	er, err := tx.EraseRecords(ctx, plan, f.Subject, f.Kind)
	if err != nil {
		return err
	}
	return r.Audit.Record(ctx, tx, erasureEntry(ru, f, er))
}

// warn enqueues the warning mail (Z9) through the outbox, records it, and
// writes retention.warn — all in the batch's transaction, so a warning is
// recorded if and only if its mail will go out.
func (r *Runner) warn(ctx context.Context, tx *store.Tx, ru *policy.Rule, f retention.Facts, d retention.Decision, asOf time.Time) error {
	to, err := tx.SubjectEmail(ctx, f.Subject)
	if err != nil {
		return err
	}
	if to == "" {
		// Nobody to warn (a visitor record, or an account without an
		// address): the action must still wait for a warning (Z9), so
		// record nothing; the target stays in every plan until resolved.
		r.log().Warn("retention: no address to warn", "rule", ru.ID, "kind", f.Kind, "target", f.Target)
		return nil
	}
	id, err := mail.Enqueue(ctx, tx, asOf, warningMail(r.Engine.Policy(), ru, f.Subject, to, d))
	if err != nil {
		return err
	}
	if err := tx.PutWarning(ctx, store.Warning{TargetKind: f.Kind, TargetID: f.Target, Rule: ru.ID, Subject: f.Subject,
		AnchorAt: d.Anchor, DueAt: d.DueDate, MailID: id, WarnedAt: asOf}); err != nil {
		return err
	}
	var ps string
	if a, err := tx.AccountByID(ctx, f.Subject); err == nil {
		ps = a.Pseudonym
	}
	return r.Audit.Record(ctx, tx, audit.Entry{
		Actor: actor, Action: audit.RetentionWarn, ObjectKind: f.Kind, ObjectID: f.Target,
		Subject: audit.Pseudonym(ps), Fields: []string{ru.ID},
	})
}

// warningMail is the warning's text from the catalogue, in Dutch and then
// English, since a run does not know which the person reads: what will
// happen when, and how to keep the account (log in: that resets
// inactivity, Z9).
func warningMail(p *policy.Policy, ru *policy.Rule, subject, to string, d retention.Decision) mail.Message {
	url := ""
	if len(p.Site.URLs) > 0 {
		url = p.Site.URLs[0]
	}
	action := message.Key("mail.retention_warning.deleted")
	if ru.Action == policy.ActionAnonymise {
		action = message.Key("mail.retention_warning.anonymised")
	}
	args := []any{"site", p.Site.Name, "date", d.DueDate.Format("2006-01-02"), "action", action, "url", url}
	return mail.Message{
		Kind:      mail.KindRetentionWarning,
		SubjectID: subject,
		To:        to,
		Subject: message.Format("nl", "mail.retention_warning.subject", args...) + " / " +
			message.Format("en", "mail.retention_warning.subject_short", args...),
		Text: message.Format("nl", "mail.retention_warning.body", args...) + "\n(English) " +
			message.Format("en", "mail.retention_warning.body", args...),
		// A run warns thousands at once; the action waits for the warning
		// anyway, a sign-up's link should not.
		Bulk: true,
	}
}
