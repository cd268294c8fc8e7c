package service

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/consent"
	"steward/mail"
	"steward/policy"
	"steward/store"
)

// Signup is a sign-up form or API call: the policy's fields per record
// kind, and the password.
type Signup struct {
	Records  map[string]map[string]string
	Password string
	Lang     string
	// Consents are the purpose ids whose box was ticked (Z3); recorded
	// with the account, in its transaction.
	Consents []string
}

// SignupEmail is the address a sign-up's records carry: the value of the
// policy's e-mail field of the account record.
func (s *Service) SignupEmail(records map[string]map[string]string) string {
	if ef := account.EmailField(s.Policy.Record(account.RecordID)); ef != nil {
		return records[account.RecordID][ef.ID]
	}
	return ""
}

// validateSignup checks a sign-up against the policy: exactly the sign-up
// records' fields (R4), every problem at once.
func (s *Service) validateSignup(in Signup) (email string, vals map[string]account.Values, err error) {
	var errs account.FieldErrors
	signup := account.SignupRecords(s.Policy)
	for rid := range in.Records {
		if !slices.ContainsFunc(signup, func(r *policy.Record) bool { return r.ID == rid }) {
			errs = append(errs, steward.FieldError(rid, "error.not_asked_at_signup"))
		}
	}
	vals = map[string]account.Values{}
	for _, rec := range signup {
		v, err := account.Validate(rec, in.Records[rec.ID], false)
		errs = append(errs, prefixed(rec.ID, err)...)
		if err == nil {
			vals[rec.ID] = v
		}
	}
	if err := account.CheckPassword(in.Password); err != nil {
		errs = append(errs, account.AsFieldErrors(err)...)
	}
	if _, err := consent.SignupChanges(s.Policy, "", in.Consents, in.Lang); err != nil {
		errs = append(errs, account.AsFieldErrors(err)...)
	}
	if len(errs) > 0 {
		return "", nil, errs
	}
	ef := account.EmailField(s.Policy.Record(account.RecordID))
	if ef == nil {
		return "", nil, steward.Errorf(steward.EINTERNAL, "error.policy_declares_no_email", "record_id", account.RecordID)
	}
	email = vals[account.RecordID][ef.ID]
	// The login address lives in the account row; it is not kept twice.
	delete(vals[account.RecordID], ef.ID)
	return email, vals, nil
}

// prefixed renames the fields of err's field errors to record.field, the
// names the forms and the API use.
func prefixed(record string, err error) account.FieldErrors {
	var out account.FieldErrors
	for _, e := range account.AsFieldErrors(err) {
		c := *e
		c.Field = record + "." + e.Field
		out = append(out, &c)
	}
	return out
}

// SignUp creates an unconfirmed account with its profile and enqueues the
// verification mail in the same transaction. For an address that already
// has an account it sends that address a notice instead and answers the
// same (no enumeration); both paths hash the password, so they take the
// same time. Invalid input is account.FieldErrors, every problem at once.
func (s *Service) SignUp(ctx context.Context, in Signup) error {
	// A purpose named twice is one consent, recorded once.
	in.Consents = slices.Compact(slices.Sorted(slices.Values(in.Consents)))
	email, vals, err := s.validateSignup(in)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	hash, err := s.hasher().Hash(ctx, in.Password)
	if err != nil {
		return err
	}
	if existing, err := s.Store.AccountByEmail(ctx, email); err == nil {
		return s.Store.InTx(ctx, func(tx *store.Tx) error {
			return s.enqueue(ctx, tx, existing, mail.Kind("signup_exists"), in.Lang, "mail.exists", s.link("/login", in.Lang, nil))
		})
	} else if steward.ErrorCode(err) != steward.ENOTFOUND {
		return err
	}
	a := &account.Account{ID: account.NewID("a-"), Email: email, PasswordHash: hash,
		Pseudonym: string(audit.NewPseudonym()), CreatedAt: now}
	if err := s.SealProfile(a.ID, vals); err != nil {
		return err
	}
	consents, err := consent.SignupChanges(s.Policy, a.ID, in.Consents, in.Lang)
	if err != nil {
		return err
	}
	secret, tokenHash := account.NewSecret()
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAccount(ctx, a); err != nil {
			return err
		}
		var fields []string
		for rid, v := range vals {
			if err := tx.PutProfile(ctx, s.Policy, a.ID, rid, v, now); err != nil {
				return err
			}
			for f := range v {
				fields = append(fields, rid+"."+f)
			}
		}
		if err := tx.InsertToken(ctx, tokenHash, account.TokenVerify, a.ID, now, now.Add(account.TokenLifetime(account.TokenVerify))); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, a, mail.KindVerify, in.Lang, "mail.verify", s.link("/verify", in.Lang, url.Values{"token": {secret}})); err != nil {
			return err
		}
		// Z3: the boxes ticked at sign-up are recorded with the account,
		// each with the hash of the notice shown, and audited.
		if _, err := s.Consent.Record(ctx, tx, consents...); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), audit.AccountCreate, fields...)
	})
	if steward.ErrorCode(err) == steward.ECONFLICT {
		// Two sign-ups for one address raced; the answer stays the same.
		return nil
	}
	if err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	s.Log.Info("account created", "account", a.ID, "request_id", audit.RequestID(ctx))
	s.notifyMail()
	return nil
}

// Confirm spends a verification token and marks the address confirmed.
func (s *Service) Confirm(ctx context.Context, secret string) error {
	now := s.Clock.Now()
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		id, err := tx.UseToken(ctx, account.HashSecret(secret), account.TokenVerify, now)
		if err != nil {
			return err
		}
		changed, err := tx.ConfirmAccount(ctx, id, now)
		if err != nil || !changed {
			return err
		}
		a, err := tx.AccountByID(ctx, id)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), audit.AccountConfirm)
	})
}
