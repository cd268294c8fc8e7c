package desk

import (
	"context"
	"strings"
	"time"

	"steward/retention"
	"steward/rights"
)

// ownKinds are the record kinds the policies declare for what Steward
// itself records about a person (R4): they live in their own tables, not
// in records, and reach "My data" and the export through ownItems.
var ownKinds = map[string]bool{"login_session": true, "privacy_request": true, "staff_view": true,
	"disclosure": true, "mail": true, "retention_warning": true}

// OwnKind reports whether record kind id lives in Steward's own tables
// (sessions, requests, staff views, disclosures, outbox, retention
// warnings) rather than in records.
func OwnKind(id string) bool { return ownKinds[id] }

// ownItems calls fn with the person's items of one of ownKinds, and
// reports whether kind is one of them. Requests, staff views, disclosures
// and limits are the overview's own lists, already read; sessions, outbox
// mails and retention warnings are read here.
func (h *holdings) ownItems(ctx context.Context, c *rights.Category, fn func(*rights.Item) error) (bool, error) {
	rec := c.Record()
	if !ownKinds[rec.ID] {
		return false, nil
	}
	emit := func(id string, at time.Time, vals map[string]string) error {
		it := rights.Item{ID: id, CreatedAt: at, Values: h.d.values(h.a.ID, rec, vals, h.o),
			Deletion: h.sch.forKind(rec, retention.Facts{CreatedAt: at})}
		return fn(&it)
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	ov := h.ov
	switch rec.ID {
	case "privacy_request":
		for _, r := range ov.Requests {
			err := emit(r.ID, r.ReceivedOn, map[string]string{"type": r.Type, "channel": r.Channel, "status": r.Status,
				"received_on": day(r.ReceivedOn), "deadline": day(r.Deadline), "closed_on": day(r.ClosedOn)})
			if err != nil {
				return true, err
			}
		}
		// A restriction (Art. 18) or objection (Art. 21) in force.
		for _, l := range ov.Limits {
			v := l.Kind
			if l.Purpose != "" {
				v += ": " + l.Purpose
			}
			if err := emit(l.Kind+":"+l.Purpose, l.Since, map[string]string{"processing_limit": v}); err != nil {
				return true, err
			}
		}
	case "staff_view":
		for _, v := range ov.StaffViews {
			err := emit(v.At.Format(time.RFC3339), v.At, map[string]string{"viewed_at": v.At.Format(time.RFC3339),
				"staff": v.Staff, "fields": strings.Join(v.Fields, ", ")})
			if err != nil {
				return true, err
			}
		}
	case "disclosure":
		for _, x := range ov.Disclosures {
			err := emit(x.ID, x.On, map[string]string{"disclosed_on": day(x.On), "recipient": x.Recipient,
				"legal_basis": x.LegalBasis, "categories": strings.Join(x.Categories, ", "), "reference": x.Reference})
			if err != nil {
				return true, err
			}
		}
	default:
		items, err := h.d.Store.OwnItems(ctx, h.a.ID, rec.ID)
		if err != nil {
			return true, err
		}
		for _, it := range items {
			if err := emit(it.ID, it.CreatedAt, it.Values); err != nil {
				return true, err
			}
		}
	}
	return true, nil
}
