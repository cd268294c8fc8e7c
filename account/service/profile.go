package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/lms"
	"steward/policy"
	"steward/store"
)

// UpdateProfile validates and stores edits of the person's own profile
// (R1, Z2, rectification). Input is per record, partial: fields not sent
// keep their value. Every problem is reported; nothing is stored unless all
// is well (G3). It returns the "record.field" names changed, sorted.
func (s *Service) UpdateProfile(ctx context.Context, a *account.Account, in map[string]map[string]string) ([]string, error) {
	vals, err := s.ValidateProfile(in)
	if err != nil {
		return nil, err
	}
	if err := s.SealProfile(a.ID, vals); err != nil {
		return nil, err
	}
	fields := ProfileFields(vals)
	if len(fields) == 0 {
		return nil, nil
	}
	now := s.Clock.Now()
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		for rid, v := range vals {
			if err := tx.PutProfile(ctx, s.Policy, a.ID, rid, v, now); err != nil {
				return err
			}
		}
		// A corrected field the learning environment holds is corrected
		// there too (Art. 19), through its outbox in this transaction.
		if _, err := lms.TellCorrection(ctx, tx, s.Policy, a.ID, "", fields, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), audit.ProfileUpdate, fields...)
	})
	if err != nil {
		return nil, fmt.Errorf("update profile of %s: %w", a.ID, err)
	}
	s.Log.Info("profile updated", "account", a.ID, "fields", fields, "request_id", audit.RequestID(ctx))
	return fields, nil
}

// ProfileFields returns the "record.field" names of vals, sorted: what an
// audit entry of the edit names (never the values, G2).
func ProfileFields(vals map[string]account.Values) []string {
	var fields []string
	for rid, v := range vals {
		for f := range v {
			fields = append(fields, rid+"."+f)
		}
	}
	slices.Sort(fields)
	return fields
}

// ValidateProfile checks an edit of profile records by the rules of the
// person's own edit (R1, R4, Z2): per record, partial, only the records
// and fields the policy declares, each value by its field's rules, the
// login address never (it changes only through a link to the new one).
// It returns the validated values, sensitive ones still in plaintext, or
// every problem found. The staff rectification tool (rights/desk) uses it
// too, so a privacy officer's edit obeys the same rules.
func (s *Service) ValidateProfile(in map[string]map[string]string) (map[string]account.Values, error) {
	var errs account.FieldErrors
	records := account.ProfileRecords(s.Policy)
	vals := map[string]account.Values{}
	for rid, fields := range in {
		i := slices.IndexFunc(records, func(r *policy.Record) bool { return r.ID == rid })
		if i < 0 {
			errs = append(errs, steward.FieldError(rid, "error.is_not_part_profile"))
			continue
		}
		rec := records[i]
		if rid == account.RecordID {
			if ef := account.EmailField(rec); ef != nil {
				if _, ok := fields[ef.ID]; ok {
					errs = append(errs, steward.FieldError(rid+"."+ef.ID, "error.cannot_be_changed_here"))
					continue
				}
			}
		}
		v, err := account.Validate(rec, fields, true)
		errs = append(errs, prefixed(rid, err)...)
		if err == nil {
			vals[rid] = v
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return vals, nil
}

// UpdateProfileForm is UpdateProfile for the profile page's form, which
// shows every profile record and sensitive values masked: a masked value
// sent back unchanged keeps the stored value (R3), and a record the person
// has no values for and left empty is left out, so an IVM member without
// a learning-environment account can save their website account without
// filling in the other's required fields.
func (s *Service) UpdateProfileForm(ctx context.Context, a *account.Account, in map[string]map[string]string) ([]string, error) {
	in, err := s.FromForm(ctx, a.ID, in)
	if err != nil {
		return nil, err
	}
	return s.UpdateProfile(ctx, a, in)
}

// FromForm is the edit a profile form (the person's own, or staff's
// rectification form) asks for: masked sensitive values sent back
// unchanged are left out, as is a record left empty that the person has
// no values for. It changes in and returns it.
func (s *Service) FromForm(ctx context.Context, accountID string, in map[string]map[string]string) (map[string]map[string]string, error) {
	for rid, fields := range in {
		empty := true
		for _, v := range fields {
			if strings.TrimSpace(v) != "" {
				empty = false
				break
			}
		}
		if !empty {
			continue
		}
		stored, err := s.Store.Profile(ctx, accountID, rid)
		if err != nil {
			return nil, err
		}
		if len(stored) == 0 {
			delete(in, rid)
		}
	}
	for rid, fields := range in {
		rec := s.Policy.Record(rid)
		if rec == nil {
			continue
		}
		for fid, v := range fields {
			if f := rec.Field(fid); f != nil && f.Sensitive && IsMasked(v) {
				delete(fields, fid)
			}
		}
	}
	return in, nil
}

// IsMasked reports whether v is a masked value as account.Mask shows it.
func IsMasked(v string) bool { return len(v) > 0 && v[0] == '*' }

// LoadProfile reads every profile record of a person. reveal names the
// "record.field" whose sensitive value is shown in full, to its owner
// only; every other sensitive value is masked (R3).
func (s *Service) LoadProfile(ctx context.Context, a *account.Account, reveal string) (map[string]account.Values, error) {
	out := map[string]account.Values{}
	for _, rec := range account.ProfileRecords(s.Policy) {
		v, err := s.Store.Profile(ctx, a.ID, rec.ID)
		if err != nil {
			return nil, err
		}
		for _, f := range account.InputFields(rec) {
			raw, ok := v[f.ID]
			if !ok || !f.Sensitive {
				continue
			}
			plain, err := s.Open(a.ID, rec.ID, f.ID, raw)
			if err != nil {
				return nil, err
			}
			if reveal == rec.ID+"."+f.ID {
				v[f.ID] = plain
			} else {
				v[f.ID] = account.Mask(plain)
			}
		}
		if rec.ID == account.RecordID {
			if ef := account.EmailField(rec); ef != nil {
				v[ef.ID] = a.Email
			}
		}
		out[rec.ID] = v
	}
	return out, nil
}

// SealProfile encrypts the values of sensitive fields (R3). Without a key
// it refuses: never a plaintext fallback.
func (s *Service) SealProfile(accountID string, vals map[string]account.Values) error {
	for rid, v := range vals {
		rec := s.Policy.Record(rid)
		for f, val := range v {
			if fd := rec.Field(f); fd != nil && fd.Sensitive && val != "" {
				if s.Sealer == nil {
					return steward.Errorf(steward.EUNAVAILABLE, "error.sensitive_fields_cannot_be_stored")
				}
				v[f] = s.Sealer.SealField(accountID, rid, f, val)
			}
		}
	}
	return nil
}

// Open opens the sealed value of a sensitive field (R3).
func (s *Service) Open(accountID, record, field, sealed string) (string, error) {
	if s.Sealer == nil {
		return "", steward.Errorf(steward.EUNAVAILABLE, "error.sensitive_fields_cannot_be_read")
	}
	v, err := s.Sealer.OpenField(accountID, record, field, sealed)
	if err != nil {
		return "", fmt.Errorf("open %s.%s of %s: %w", record, field, accountID, err)
	}
	return v, nil
}

// Opener is Open for rights/desk (My data, the export), or nil when no
// data key is configured, so the desk shows sensitive values as sealed.
func (s *Service) Opener() func(accountID, record, field, sealed string) (string, error) {
	if s.Sealer == nil {
		return nil
	}
	return s.Open
}
