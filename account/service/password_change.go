package service

import (
	"context"
	"errors"
	"fmt"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/store"
)

// ChangePassword sets a new password for a logged-in person who gives
// the current one (ASVS 2.1.5, 2.1.6): the new one follows the password
// rules; every other session ends and every link mailed before is void,
// so whoever had the old password is out; the account is mailed that its
// password changed (ASVS 2.2.3). Both wrong fields are said at once.
func (s *Service) ChangePassword(ctx context.Context, se *account.Session, a *account.Account, current, next, lang string) error {
	var errs account.FieldErrors
	var weak *steward.Error
	if errors.As(account.CheckPassword(next), &weak) {
		e := *weak
		e.Field = "password_new"
		errs = append(errs, &e)
	}
	ok, _, err := s.hasher().Verify(ctx, current, a.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		errs = append(errs, steward.FieldError("password_current", "error.wrong_password"))
	}
	if len(errs) > 0 {
		return errs
	}
	hash, err := s.hasher().Hash(ctx, next)
	if err != nil {
		return err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetPasswordHash(ctx, a.ID, hash); err != nil {
			return err
		}
		if _, err := tx.VoidTokens(ctx, a.ID); err != nil {
			return err
		}
		if _, err := tx.RevokeOtherSessions(ctx, a.ID, se.ID); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, a, KindPasswordChanged, lang, "mail.password_changed", s.link("/reset", lang, nil)); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, Actor(a), audit.SessionRevoke, "password")
	})
	if err != nil {
		return fmt.Errorf("change password %s: %w", a.ID, err)
	}
	s.notifyMail()
	return nil
}
