package desk

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/rights"
	"steward/store"
)

// Rectification (Art. 16, R13): a privacy officer corrects the person's
// record from their rectification request. The edit obeys the rules of
// the person's own profile edit (the account service validates and seals
// it), is audited with field names only (G2), and goes on the request's
// timeline; only then can the request be completed as done.

// ProfileEditor validates and seals a profile edit as the person's own
// edit is (account/service.Service): only declared fields, each by its
// rules, sensitive values sealed (R1, R3, R4).
type ProfileEditor interface {
	ValidateProfile(in map[string]map[string]string) (map[string]account.Values, error)
	SealProfile(accountID string, vals map[string]account.Values) error
}

// RectifyForm is what the rectification form shows: the request, and the
// person's account whose record is corrected.
type RectifyForm struct {
	Request *rights.Request
	Account *account.Account
}

// RectifyTarget returns the request and the account a rectification
// corrects, or why it cannot be corrected now (not a rectification, not
// verified, closed, the account erased).
func (d *Desk) RectifyTarget(ctx context.Context, id string) (RectifyForm, error) {
	r, err := oneRequest(d.Store.RequestByID(ctx, id, ""))
	if err != nil {
		return RectifyForm{}, err
	}
	if err := r.CanRectify(); err != nil {
		return RectifyForm{}, err
	}
	a, err := d.Store.AccountByID(ctx, r.SubjectID)
	if err != nil {
		return RectifyForm{}, err
	}
	return RectifyForm{Request: r, Account: a}, nil
}

// Rectify corrects the person's record for the rectification request id:
// in holds "record" → "field" → new value, validated like the person's
// own edit. Only fields whose value differs from the stored one change; an
// edit that changes nothing is refused, so a request cannot be marked done
// without a correction. In one transaction: the values, a profile.update
// audit entry by the staff member naming the fields, and a rectified step
// whose note names them (never a value). It returns the fields changed.
func (d *Desk) Rectify(ctx context.Context, actor audit.Actor, id string, in map[string]map[string]string) ([]string, error) {
	if d.Profiles == nil {
		return nil, steward.Errorf(steward.EUNAVAILABLE, "error.internal")
	}
	vals, err := d.Profiles.ValidateProfile(in)
	if err != nil {
		return nil, err
	}
	var fields []string
	err = d.Store.InTx(ctx, func(tx *store.Tx) error {
		r, err := requestForUpdate(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if err := r.CanRectify(); err != nil {
			return err
		}
		a, err := subject(ctx, tx, r.SubjectID)
		if err != nil {
			return err
		}
		changed, err := d.changedFields(ctx, tx, a.ID, vals)
		if err != nil {
			return err
		}
		if len(changed) == 0 {
			return steward.FieldError("fields", "error.rectify_nothing_changed")
		}
		if err := d.Profiles.SealProfile(a.ID, changed); err != nil {
			return err
		}
		now := d.Clock.Now()
		for _, rid := range sortedKeys(changed) {
			if err := tx.PutProfile(ctx, d.Policy, a.ID, rid, changed[rid], now); err != nil {
				return err
			}
			for f := range changed[rid] {
				fields = append(fields, rid+"."+f)
			}
		}
		slices.Sort(fields)
		if err := d.record(ctx, tx, audit.Entry{Actor: actor, Action: audit.ProfileUpdate, ObjectKind: "account", ObjectID: a.ID,
			Subject: audit.Pseudonym(a.Pseudonym), Fields: fields}); err != nil {
			return err
		}
		return d.step(ctx, tx, actor, audit.RequestStep, r, rights.StepRectified, strings.Join(fields, ", "))
	})
	if err != nil {
		return nil, fmt.Errorf("desk: rectify for request %s: %w", id, err)
	}
	d.log().Info("record rectified", "request", id, "fields", fields)
	return fields, nil
}

// changedFields keeps of vals the fields whose value differs from the one
// stored. A sensitive field's stored value is sealed, so a value given for
// it counts as a change (the form leaves it out unless staff typed one).
func (d *Desk) changedFields(ctx context.Context, tx *store.Tx, accountID string, vals map[string]account.Values) (map[string]account.Values, error) {
	out := map[string]account.Values{}
	for rid, v := range vals {
		stored, err := tx.Profile(ctx, accountID, rid)
		if err != nil {
			return nil, err
		}
		rec := d.Policy.Record(rid)
		for f, val := range v {
			fd := rec.Field(f)
			if fd == nil || (!fd.Sensitive && stored[f] == val) || (fd.Sensitive && val == "" && stored[f] == "") {
				continue
			}
			if out[rid] == nil {
				out[rid] = account.Values{}
			}
			out[rid][f] = val
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
