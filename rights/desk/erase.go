package desk

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"steward"
	"steward/audit"
	"steward/consent"
	"steward/erasure"
	"steward/mail"
	"steward/policy"
	"steward/store"
)

// Erase is the person's own erasure (Art. 17, Z9) in one transaction: see
// EraseInTx. It returns what was deleted, anonymised and kept.
func (d *Desk) Erase(ctx context.Context, subjectID string, actor audit.Actor) (store.Erased, error) {
	var e store.Erased
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		e, err = d.EraseInTx(ctx, tx, subjectID, actor)
		return err
	})
	if err != nil {
		return store.Erased{}, fmt.Errorf("desk: erase: %w", err)
	}
	d.log().Info("subject erased", "deleted", strings.Join(e.Deleted, ","), "anonymised", strings.Join(e.Anonymised, ","), "kept", strings.Join(e.Kept, ","))
	return e, nil
}

// EraseInTx erases a subject in the caller's transaction: the erasure
// planner (erasure.ForSubject), which the retention runner's plans come
// from too, decides per record kind to delete, anonymise or keep for its
// legal obligation as the policy says, and store.EraseSubject carries the
// plan out: sessions end, outbox mails are dropped, and requests and
// disclosures keep only the pseudonym. The audit entry names the person by
// pseudonym only (G2). Erasing an erased or unknown person is an error and
// changes nothing.
func (d *Desk) EraseInTx(ctx context.Context, tx *store.Tx, subjectID string, actor audit.Actor) (store.Erased, error) {
	st, err := tx.SubjectState(ctx, subjectID)
	if err != nil {
		return store.Erased{}, err
	}
	plan, err := erasure.ForSubject(d.Policy, erasure.Subject{Erased: st.Erased}, d.Clock.Now())
	if err != nil {
		return store.Erased{}, err
	}
	e, err := tx.EraseSubject(ctx, plan, subjectID)
	if err != nil {
		return e, err
	}
	action := audit.AccountErase
	if plan.Account == erasure.Anonymise {
		action = audit.AccountAnonymise
	}
	fields := append(append(append([]string(nil), e.Deleted...), e.Anonymised...), e.Kept...)
	entry := audit.Entry{Actor: actor, Action: action, ObjectKind: "account", ObjectID: subjectID,
		Subject: audit.Pseudonym(st.Pseudonym), Fields: fields}
	if err := d.record(ctx, tx, entry); err != nil {
		return e, err
	}
	return e, nil
}

// RestrictInTx restricts processing of the subject's data while a dispute
// runs (Art. 18, Z8): a limit on every purpose in the consent domain's
// processing_limits, so every purpose gate answers no except storage and
// automated jobs pass the person by. reason is shown to staff.
func (d *Desk) RestrictInTx(ctx context.Context, tx *store.Tx, subjectID, reason string, actor audit.Actor) error {
	st, err := d.live(ctx, tx, subjectID)
	if err != nil {
		return err
	}
	if err := tx.SetProcessingLimit(ctx, store.ProcessingLimit{Subject: subjectID, Kind: consent.LimitRestriction,
		Purpose: consent.AllPurposes, Since: d.Clock.Now(), Reason: reason}); err != nil {
		return err
	}
	// Processing stops at once: a newsletter issue or panel invitation
	// already queued for the person goes with the restriction, not at the
	// next claim.
	for _, purpose := range []string{consent.NewsletterPurpose, consent.PanelPurpose} {
		if err := consent.StopMailing(ctx, tx, subjectID, purpose, d.Clock.Now()); err != nil {
			return err
		}
	}
	return d.record(ctx, tx, audit.Entry{Actor: actor, Action: audit.AccountRestrict, ObjectKind: "account",
		ObjectID: subjectID, Subject: audit.Pseudonym(st.Pseudonym), Fields: []string{consent.LimitRestriction}})
}

// KindRestrictionLifted is the mail telling a person that the restriction
// of processing they obtained is lifted (Art. 18(3)).
const KindRestrictionLifted mail.Kind = "restriction_lifted"

// LiftRestriction ends a restriction of processing (Art. 18, Z8): the
// dispute is resolved, so the purposes run again and the restriction no
// longer holds the person's data back from retention. The person must be
// told before it is lifted (Art. 18(3)): the mail saying so, with reason,
// is written to the outbox in the same transaction that lifts it, so it
// cannot be lifted without the mail, nor the mail sent while it stands.
// reason is required and goes to the person; the audit entry holds only
// field names (G2). Lifting a restriction that is not in force, or of an
// erased or unknown person, changes nothing.
func (d *Desk) LiftRestriction(ctx context.Context, subjectID, reason string, actor audit.Actor) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return steward.FieldError("reason", "error.required_lift_reason")
	}
	if len(reason) > 2000 {
		return steward.FieldError("reason", "error.is_longer_than_2000")
	}
	var mailID int64
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		a, err := subject(ctx, tx, subjectID)
		if err != nil {
			return err
		}
		limits, err := tx.ProcessingLimits(ctx, subjectID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(limits, func(l store.ProcessingLimit) bool {
			return l.Kind == consent.LimitRestriction && l.Purpose == consent.AllPurposes
		})
		if i < 0 {
			return steward.Errorf(steward.ECONFLICT, "error.processing_not_restricted")
		}
		// The notice first: the person is told before the restriction ends.
		if mailID, err = mail.Enqueue(ctx, tx, d.Clock.Now(), d.liftMail(d.to(ctx, tx, a.ID), accountHolder(a), limits[i].Since, reason)); err != nil {
			return err
		}
		if _, err := tx.LiftProcessingLimit(ctx, subjectID, consent.LimitRestriction, consent.AllPurposes); err != nil {
			return err
		}
		return d.record(ctx, tx, audit.Entry{Actor: actor, Action: audit.AccountRestrict, ObjectKind: "account",
			ObjectID: subjectID, Subject: audit.Pseudonym(a.Pseudonym), Fields: []string{"restriction_lifted", "lift_notice_mailed"}})
	})
	if err != nil {
		return fmt.Errorf("desk: lift restriction: %w", err)
	}
	d.log().Info("restriction lifted", "subject", subjectID, "mail", mailID)
	return nil
}

// ObjectInTx records the subject's objection to a purpose that rests on
// legitimate interests or a public task (Art. 21, Z8): that purpose stops
// for them.
func (d *Desk) ObjectInTx(ctx context.Context, tx *store.Tx, subjectID, purpose string, actor audit.Actor) error {
	pu := d.Policy.Purpose(purpose)
	if pu == nil || !pu.Objectable() {
		return steward.FieldError("purpose", "error.must_name_purpose_resting")
	}
	st, err := d.live(ctx, tx, subjectID)
	if err != nil {
		return err
	}
	if err := tx.SetProcessingLimit(ctx, store.ProcessingLimit{Subject: subjectID, Kind: consent.LimitObjection,
		Purpose: purpose, Since: d.Clock.Now(), Reason: "objection"}); err != nil {
		return err
	}
	if err := consent.StopMailing(ctx, tx, subjectID, purpose, d.Clock.Now()); err != nil {
		return err
	}
	return d.record(ctx, tx, audit.Entry{Actor: actor, Action: audit.AccountRestrict, ObjectKind: "account",
		ObjectID: subjectID, Subject: audit.Pseudonym(st.Pseudonym), Fields: []string{consent.LimitObjection, purpose}})
}

// WithdrawInTx withdraws the subject's consent for a purpose through the
// consent domain (Art. 7(3)), which audits it.
func (d *Desk) WithdrawInTx(ctx context.Context, tx *store.Tx, subjectID, purpose string, actor audit.Actor) error {
	if d.Consent == nil {
		return steward.Errorf(steward.EUNAVAILABLE, "error.consent_withdrawal_not_configured")
	}
	if _, err := d.live(ctx, tx, subjectID); err != nil {
		return err
	}
	_, err := d.Consent.Record(ctx, tx, consent.Change{Subject: subjectID, Purpose: purpose, Given: false, Channel: policy.ChannelSettings, Lang: "nl"})
	return err
}

// Restrict, Object: the person's own actions, each in one transaction.

// Restrict is RestrictInTx in a transaction of its own. A site whose
// policy does not honour restriction (Art. 18) refuses it before anything
// is read or stored (G3): the statement and My data offer only the rights
// the policy honours.
func (d *Desk) Restrict(ctx context.Context, subjectID, reason string, actor audit.Actor) error {
	if !d.Policy.Rights.Honours(policy.RightRestriction) {
		return steward.Errorf(steward.EINVALID, "error.policy_does_not_honour_right_restriction")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return steward.FieldError("reason", "error.is_required_say_what")
	}
	if len(reason) > 2000 {
		return steward.FieldError("reason", "error.is_longer_than_2000")
	}
	return d.inTx(ctx, "restrict", func(tx *store.Tx) error { return d.RestrictInTx(ctx, tx, subjectID, reason, actor) })
}

// Object is ObjectInTx in a transaction of its own.
func (d *Desk) Object(ctx context.Context, subjectID, purpose string, actor audit.Actor) error {
	return d.inTx(ctx, "object", func(tx *store.Tx) error { return d.ObjectInTx(ctx, tx, subjectID, purpose, actor) })
}

func (d *Desk) inTx(ctx context.Context, what string, fn func(tx *store.Tx) error) error {
	if err := d.Store.InTx(ctx, fn); err != nil {
		return fmt.Errorf("desk: %s: %w", what, err)
	}
	return nil
}

// live returns the state of a subject that exists and is not erased.
func (d *Desk) live(ctx context.Context, tx *store.Tx, subjectID string) (store.SubjectState, error) {
	st, err := tx.SubjectState(ctx, subjectID)
	if err != nil {
		return st, err
	}
	if st.Erased {
		return st, steward.Errorf(steward.ENOTFOUND, "error.no_person")
	}
	return st, nil
}
