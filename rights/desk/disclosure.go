package desk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward/account"
	"steward/audit"
	"steward/rights"
	"steward/store"
)

// RecordDisclosure records that a person's data went to a third party on
// one of the policy's disclosure grounds (R7), with its audit entry
// disclosure.record in the same transaction. A withheld disclosure stays
// off the person's "My data" page and export, but never off the audit log.
func (d *Desk) RecordDisclosure(ctx context.Context, actor audit.Actor, n rights.NewDisclosure) (*rights.Disclosure, error) {
	if !n.DisclosedOn.IsZero() {
		n.DisclosedOn = rights.Day(n.DisclosedOn, time.UTC) // a day, as entered
	}
	g, err := n.Check(d.Policy, d.Today())
	if err != nil {
		return nil, err
	}
	var out *rights.Disclosure
	err = d.Store.InTx(ctx, func(tx *store.Tx) error {
		a, err := subject(ctx, tx, n.SubjectID)
		if err != nil {
			return err
		}
		if n.RequestID != "" {
			if _, err := requestForUpdate(ctx, tx, n.RequestID, a.ID); err != nil {
				return err
			}
		}
		out = &rights.Disclosure{
			ID: account.NewID("dis_"), SubjectID: a.ID, SubjectPseudonym: a.Pseudonym,
			Ground: g.ID, Recipient: n.Recipient, LegalBasis: g.LegalBasis, Categories: n.Categories,
			Reference: strings.TrimSpace(n.Reference), RequestID: n.RequestID, DisclosedOn: n.DisclosedOn,
			Withheld: n.Withheld, WithholdReason: n.WithholdReason,
			RecordedAt: d.Clock.Now(), RecordedBy: string(actor),
		}
		if err := insertDisclosure(ctx, tx, out); err != nil {
			return err
		}
		fields := append([]string(nil), n.Categories...)
		if n.Withheld {
			fields = append(fields, "withheld")
		}
		return d.record(ctx, tx, audit.Entry{Actor: actor, Action: audit.DisclosureRecord,
			ObjectKind: "disclosure", ObjectID: out.ID, Subject: audit.Pseudonym(a.Pseudonym), Fields: fields})
	})
	if err != nil {
		return nil, fmt.Errorf("desk: record disclosure: %w", err)
	}
	d.log().Info("disclosure recorded", "disclosure", out.ID, "ground", out.Ground, "withheld", out.Withheld)
	return out, nil
}
