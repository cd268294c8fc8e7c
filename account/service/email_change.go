package service

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/lms"
	"steward/mail"
	"steward/store"
)

// Changing the login e-mail address (issue 4, R1 rectification, R12). The
// new address must prove it reads its mail: a link goes to it, stored
// hashed, single use, expiring after account.EmailChangeLifetime; until it
// is followed the account keeps its old address. On confirmation every
// other session ends and the old address is told. An address that already
// has an account gets the same answer (no enumeration); its owner is told
// by mail instead.

// Mail kinds of an address change.
const (
	KindEmailChange      mail.Kind = "email_change"       // the link, to the new address
	KindEmailChangeTaken mail.Kind = "email_change_taken" // to the owner of an address already in use
	KindEmailChanged     mail.Kind = "email_changed"      // the notice, to the old address
)

// EmailChange is a request to change the login address: the new address
// and the current password, so a session left open on a shared computer
// cannot take over the account.
type EmailChange struct {
	Email, Password, Lang string
	// Limit, when set, is asked once the input is valid and before any
	// mail goes out; its error (a rate limit) stops the change.
	Limit func() error
}

// sameAddress compares login addresses as the login does: case and
// surrounding space do not count.
func sameAddress(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// RequestEmailChange checks the password and the new address and sends
// the confirmation link to it — or, when the address has an account
// already, a notice to that account instead. Either way the answer is the
// same and nothing about the account changes yet.
func (s *Service) RequestEmailChange(ctx context.Context, a *account.Account, in EmailChange) error {
	var errs account.FieldErrors
	norm, err := account.NormalizeEmail(in.Email)
	if err != nil {
		errs = append(errs, steward.FieldError("email", "error.is_not_valid_email"))
	} else if sameAddress(norm, a.Email) {
		errs = append(errs, steward.FieldError("email", "error.is_already_your_login"))
	}
	ok, _, err := s.hasher().Verify(ctx, in.Password, a.PasswordHash)
	if err != nil {
		return fmt.Errorf("e-mail change of %s: %w", a.ID, err)
	}
	if !ok {
		errs = append(errs, steward.FieldError("password", "error.is_wrong"))
	}
	if len(errs) > 0 {
		return errs
	}
	if in.Limit != nil {
		if err := in.Limit(); err != nil {
			return err
		}
	}
	now := s.Clock.Now()
	existing, err := s.Store.AccountByEmail(ctx, norm)
	if err != nil && steward.ErrorCode(err) != steward.ENOTFOUND {
		return err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if existing != nil {
			return s.enqueue(ctx, tx, existing, KindEmailChangeTaken, in.Lang, "mail.email_taken", s.link("/login", in.Lang, nil))
		}
		secret, hash := account.NewSecret()
		if err := tx.InsertEmailChange(ctx, hash, a.ID, norm, now, now.Add(account.EmailChangeLifetime)); err != nil {
			return err
		}
		to := *a
		to.Email = norm
		return s.enqueue(ctx, tx, &to, KindEmailChange, in.Lang, "mail.email_change",
			s.link("/account/email/confirm", in.Lang, url.Values{"token": {secret}}))
	})
	if err != nil {
		return fmt.Errorf("e-mail change of %s: %w", a.ID, err)
	}
	s.Log.Info("e-mail change requested", "account", a.ID, "request_id", audit.RequestID(ctx))
	s.notifyMail()
	return nil
}

// ConfirmEmailChange spends a change link: the account gets the new
// address, every session but current (the one the link was followed in,
// if it is the same person's; nil for none) ends, the old address is told, and the change is audited with the field name only
// (G2) — all in one transaction.
func (s *Service) ConfirmEmailChange(ctx context.Context, secret, lang string, current *account.Session) error {
	now := s.Clock.Now()
	var id string
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		var newEmail string
		var err error
		id, newEmail, err = tx.UseEmailChange(ctx, account.HashSecret(secret), now)
		if err != nil {
			return err
		}
		a, err := tx.AccountByID(ctx, id)
		if err != nil {
			return err
		}
		old := *a
		if err := tx.SetEmail(ctx, id, newEmail); err != nil {
			return err
		}
		// A reset link mailed to the old address no longer works.
		if _, err := tx.VoidTokens(ctx, id); err != nil {
			return err
		}
		keep := ""
		if current != nil && current.AccountID == id {
			keep = current.ID
		}
		if _, err := tx.RevokeOtherSessions(ctx, id, keep); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, &old, KindEmailChanged, lang, "mail.email_changed", s.link("/privacy", lang, nil)); err != nil {
			return err
		}
		// The learning environment got this address unless its account
		// has one of its own: then it is corrected there too (Art. 19).
		if _, err := lms.TellCorrection(ctx, tx, s.Policy, id, "", []string{"account.email"}, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, Actor(a), audit.ProfileUpdate, "email")
	})
	if err != nil {
		if steward.ErrorCode(err) != steward.EINTERNAL {
			return err // a bad link or an address taken since: said as is
		}
		return fmt.Errorf("confirm e-mail change: %w", err)
	}
	s.Log.Info("e-mail changed", "account", id, "fields", []string{"email"}, "request_id", audit.RequestID(ctx))
	s.notifyMail()
	return nil
}
