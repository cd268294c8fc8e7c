package desk

import (
	"context"
	"fmt"
	"io"
	"time"

	"steward"
	"steward/audit"
	"steward/consent"
	"steward/erasure"
	"steward/policy"
	"steward/rights"
	"steward/store"
)

// Export writes the person's export ZIP to w (Art. 15(3), 20 GDPR; R13,
// Z8) and records export.download (R12: every export of personal data is
// logged). The entry is committed before the first byte goes out, so no
// export ever leaves unrecorded. The ZIP is streamed to w from the
// database a record kind at a time; it is never held, nor is the overview.
func (d *Desk) Export(ctx context.Context, w io.Writer, subjectID string, actor audit.Actor, o CollectOptions) error {
	err := d.export(ctx, w, subjectID, o, func(tx *store.Tx, st store.SubjectState) error {
		return d.record(ctx, tx, audit.Entry{Actor: actor, Action: audit.ExportDownload, ObjectKind: "account",
			ObjectID: subjectID, Subject: audit.Pseudonym(st.Pseudonym), Fields: []string{"export_v1"}})
	})
	if err != nil {
		return fmt.Errorf("desk: export: %w", err)
	}
	return nil
}

// ExportForRequest writes the export of the person a verified access or
// portability request concerns to w — the very ZIP the person downloads
// from My data, made by the same code (Export) — for staff answering a
// request that arrived by e-mail, letter or phone (Art. 15(3), 20; R13,
// Z8). Before the first byte goes out it commits export.download by actor
// with the request as its object and an export_produced step on the
// request's timeline (R12). An unknown request is ENOTFOUND; one of
// another type, unverified or closed is ECONFLICT, and then nothing is
// written or recorded.
func (d *Desk) ExportForRequest(ctx context.Context, w io.Writer, requestID string, actor audit.Actor, o CollectOptions) error {
	r, err := oneRequest(d.Store.RequestByID(ctx, requestID, ""))
	if err != nil {
		return fmt.Errorf("desk: export for request %s: %w", requestID, err)
	}
	if err := r.CanExport(); err != nil {
		return fmt.Errorf("desk: export for request %s: %w", requestID, err)
	}
	err = d.export(ctx, w, r.SubjectID, o, func(tx *store.Tx, _ store.SubjectState) error {
		// Again under the request's lock: it may have been closed since.
		locked, err := requestForUpdate(ctx, tx, requestID, "")
		if err != nil {
			return err
		}
		if err := locked.CanExport(); err != nil {
			return err
		}
		if locked.SubjectID != r.SubjectID {
			return steward.Errorf(steward.ECONFLICT, "error.person_account_is_erased")
		}
		if err := addRequestStep(ctx, tx, locked.ID, rights.Step{At: d.Clock.Now(), Kind: rights.StepExportProduced, Actor: string(actor)}); err != nil {
			return err
		}
		return d.record(ctx, tx, requestEntry(actor, audit.ExportDownload, locked, "export_v1"))
	})
	if err != nil {
		return fmt.Errorf("desk: export for request %s: %w", requestID, err)
	}
	d.log().Info("export produced for request", "request", requestID, "actor", string(actor))
	return nil
}

// export is the one way a person's export is made: what is held is read,
// record commits the download's audit entry (and whatever else the caller
// records with it) in a transaction that checks the person still exists,
// and only then is the ZIP streamed to w. An error before the stream
// starts leaves w untouched.
func (d *Desk) export(ctx context.Context, w io.Writer, subjectID string, o CollectOptions, record func(*store.Tx, store.SubjectState) error) error {
	h, err := d.holdings(ctx, subjectID, o)
	if err != nil {
		return err
	}
	err = d.Store.InTx(ctx, func(tx *store.Tx) error {
		st, err := d.live(ctx, tx, subjectID)
		if err != nil {
			return err
		}
		return record(tx, st)
	})
	if err != nil {
		return err
	}
	return rights.WriteExport(w, h.ov, func(c *rights.Category, fn func(*rights.Item) error) error {
		return h.eachItem(ctx, c, fn)
	})
}

// PlanStep says what erasure does to one record kind of the person.
type PlanStep struct {
	Kind  string
	Name  policy.Text
	Items int
	// Action is delete, anonymise or keep.
	Action policy.Erasure
	// KeepReason and KeepUntil explain a kept kind (a legal obligation,
	// e.g. bookkeeping): the person is told before confirming (Art. 17(3)(b)).
	KeepReason policy.Text
	KeepUntil  time.Time
}

// ErasurePlan says, per record kind the person has items of, what erasure
// will do: delete, anonymise (Z9) or keep for a legal obligation with the
// reason and until when, so the person sees it before they confirm. It
// reads the erasure planner's plan (erasure.Own), the one EraseInTx
// carries out.
func (d *Desk) ErasurePlan(ov *rights.Overview) []PlanStep {
	now := d.Clock.Now()
	plan := erasure.Own(d.Policy, now)
	var out []PlanStep
	for i := range ov.Categories {
		c := &ov.Categories[i]
		if len(c.Items) == 0 {
			continue
		}
		e := plan.Entry(c.Kind)
		st := PlanStep{Kind: c.Kind, Name: c.Name, Items: len(c.Items), Action: policy.Erasure(e.Action)}
		if c.Kind == "account" {
			st.Action = policy.Erasure(plan.Account)
		}
		if e.Until != nil {
			st.KeepReason = e.Until.Words
			for _, it := range c.Items {
				anchor := now
				if e.Until.Since == policy.SinceCreated && !it.CreatedAt.IsZero() {
					anchor = it.CreatedAt
				}
				if u := e.Until.From(anchor); u.After(st.KeepUntil) {
					st.KeepUntil = u
				}
			}
		}
		out = append(out, st)
	}
	return out
}

// ConsentReceipt builds the signed consent receipt of a subject — an
// account, a visitor or a newsletter sign-up: their whole consent history
// with the words of every notice (Art. 7(1)) — and records
// export.download by actor (R12: every export of personal data is
// logged). The entry is committed before the receipt is returned, so none
// leaves unrecorded; the person's own download on the web and
// 'steward consent receipt' both come here.
func (d *Desk) ConsentReceipt(ctx context.Context, key *consent.Key, subjectID string, actor audit.Actor) ([]byte, error) {
	if !receiptSubject(subjectID) {
		return nil, steward.FieldError("subject", "error.subject_must_be_account")
	}
	svc := d.Consent
	if svc == nil {
		svc = &consent.Service{Policy: d.Policy, Store: d.Store, Clock: d.Clock, Audit: d.Audit}
	}
	rc, err := svc.Receipt(ctx, key, subjectID)
	if err != nil {
		return nil, err
	}
	err = d.Store.InTx(ctx, func(tx *store.Tx) error {
		ps, err := tx.AccountPseudonym(ctx, subjectID)
		if err != nil {
			return err
		}
		return d.record(ctx, tx, audit.Entry{Actor: actor, Action: audit.ExportDownload, ObjectKind: "consent_receipt",
			ObjectID: subjectID, Subject: audit.Pseudonym(ps), Fields: []string{"consent_history", "notice_texts"}})
	})
	if err != nil {
		return nil, fmt.Errorf("desk: consent receipt: %w", err)
	}
	return rc, nil
}

// receiptSubject: a consent subject is an opaque id, as consent records
// it, so the audit entry can name it and never an address.
func receiptSubject(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
