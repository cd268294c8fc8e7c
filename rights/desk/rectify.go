package desk

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/consent"
	"steward/lms"
	"steward/policy"
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
// person's account whose record is corrected — or, for a newsletter
// sign-up without an account, the values its form holds (SignUp, nil for
// an account).
type RectifyForm struct {
	Request *rights.Request
	Account *account.Account
	SignUp  map[string]string
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
	if r.SubjectKind == rights.SubjectSignUp {
		n, err := d.Store.NewsletterByID(ctx, r.SubjectID)
		if err != nil {
			return RectifyForm{}, err
		}
		return RectifyForm{Request: r, SignUp: signUpFields(&n)}, nil
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
	if r, err := oneRequest(d.Store.RequestByID(ctx, id, "")); err == nil && r.SubjectKind == rights.SubjectSignUp {
		return d.rectifySignUp(ctx, actor, id, in)
	}
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
		// Art. 19: the correction reaches the learning environment too,
		// linked to the request so its page shows the LMS's answer.
		if _, err := lms.TellCorrection(ctx, tx, d.Policy, a.ID, r.ID, fields, now); err != nil {
			return err
		}
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

// rectifySignUp corrects a newsletter sign-up for the rectification
// request id (Art. 16; issue 13 item 5): the fields its form asks (the
// name, and what else the policy declares from the person), never its
// address — a new address is a new sign-up, confirmed by its own link.
// Values are checked as the sign-up form checks them; only fields whose
// value differs change, and an edit that changes nothing is refused. In
// one transaction: the values, a profile.update audit entry on the
// sign-up naming the fields, and a rectified step whose note names them.
func (d *Desk) rectifySignUp(ctx context.Context, actor audit.Actor, id string, in map[string]map[string]string) ([]string, error) {
	rec := d.Policy.Record(consent.NewsletterRecord)
	if rec == nil {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.site_has_no_newsletter")
	}
	vals := map[string]string{}
	for rid, fields := range in {
		for f, v := range fields {
			ref := rid + "." + f
			fd := rec.Field(f)
			if rid != rec.ID || fd == nil || fd.Source != policy.SourceSubject || fd.Type == policy.TypeEmail {
				return nil, steward.FieldError(ref, "error.is_not_field_newsletter")
			}
			v = strings.TrimSpace(v)
			maxLen := fd.MaxLength
			if maxLen == 0 {
				maxLen = 200
			}
			switch {
			case v == "" && fd.Required:
				return nil, steward.FieldError(ref, "error.is_required")
			case len([]rune(v)) > maxLen:
				return nil, steward.FieldError(ref, "error.must_be_at_most_characters", "max_length", maxLen)
			case strings.ContainsAny(v, "\r\n\x00"):
				return nil, steward.FieldError(ref, "error.characters_not_allowed")
			}
			vals[f] = v
		}
	}
	var fields []string
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		fields = nil
		r, err := requestForUpdate(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if err := r.CanRectify(); err != nil {
			return err
		}
		h, err := holderOf(ctx, tx, rights.SubjectSignUp, r.SubjectID)
		if err != nil {
			return err
		}
		cur := signUpFields(h.signUp)
		for _, f := range sortedKeys(vals) {
			if cur[f] == vals[f] {
				continue
			}
			if vals[f] == "" {
				delete(cur, f)
			} else {
				cur[f] = vals[f]
			}
			fields = append(fields, rec.ID+"."+f)
		}
		if len(fields) == 0 {
			return steward.FieldError("fields", "error.rectify_nothing_changed")
		}
		b, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		if err := tx.SetNewsletterFields(ctx, h.id, string(b)); err != nil {
			return err
		}
		if err := d.record(ctx, tx, audit.Entry{Actor: actor, Action: audit.ProfileUpdate, ObjectKind: rec.ID, ObjectID: h.id,
			Fields: fields}); err != nil {
			return err
		}
		return d.step(ctx, tx, actor, audit.RequestStep, r, rights.StepRectified, strings.Join(fields, ", "))
	})
	if err != nil {
		return nil, fmt.Errorf("desk: rectify sign-up for request %s: %w", id, err)
	}
	d.log().Info("sign-up rectified", "request", id, "fields", fields)
	return fields, nil
}
