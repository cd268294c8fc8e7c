package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/mail"
	"steward/store"
)

// KindPasswordChanged is the notice that an account's password was set,
// sent to its login address (issue 14, finding 7).
const KindPasswordChanged mail.Kind = "password_changed"

// RequestReset sends a single-use reset link if the address has an
// account. The answer is the same either way and costs the same: one hash.
// The link opens the new-password form, /reset/confirm (issue 13: it once
// led to /reset, which asks for the address again).
func (s *Service) RequestReset(ctx context.Context, email, lang string) error {
	if err := s.hasher().Burn(ctx, email); err != nil {
		return err
	}
	norm, err := account.NormalizeEmail(email)
	if err != nil {
		return steward.FieldError("email", "error.is_not_valid_email")
	}
	a, err := s.Store.AccountByEmail(ctx, norm)
	if steward.ErrorCode(err) == steward.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	secret, hash := account.NewSecret()
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertToken(ctx, hash, account.TokenReset, a.ID, now, now.Add(account.TokenLifetime(account.TokenReset))); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, a, mail.KindReset, lang, "mail.reset", s.link("/reset/confirm", lang, url.Values{"token": {secret}}))
	})
	if err != nil {
		return fmt.Errorf("request reset: %w", err)
	}
	s.notifyMail()
	return nil
}

// ResetPassword spends a reset (or staff set-password) token, sets the new
// password and ends every session of the person, so whoever had the old
// password is logged out. A reset also confirms the address: the link
// reached it.
func (s *Service) ResetPassword(ctx context.Context, secret, password, lang string) error {
	if err := account.CheckPassword(password); err != nil {
		return err
	}
	hash, err := s.hasher().Hash(ctx, password)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		th := account.HashSecret(secret)
		id, err := tx.UseToken(ctx, th, account.TokenReset, now)
		if errors.Is(err, store.ErrBadToken) {
			id, err = tx.UseToken(ctx, th, account.TokenSetPassword, now)
		}
		if err != nil {
			return err
		}
		if err := tx.SetPasswordHash(ctx, id, hash); err != nil {
			return err
		}
		// Every other link mailed before the new password is void.
		if _, err := tx.VoidTokens(ctx, id); err != nil {
			return err
		}
		if _, err := tx.ConfirmAccount(ctx, id, now); err != nil {
			return err
		}
		a, err := tx.AccountByID(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.RevokeSessions(ctx, id); err != nil {
			return err
		}
		// ASVS 2.2.3: the account is told, so a change made by someone
		// else does not go unnoticed.
		if err := s.enqueue(ctx, tx, a, KindPasswordChanged, lang, "mail.password_changed", s.link("/reset", lang, nil)); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), audit.SessionRevoke, "password")
	})
}
