package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"steward"
	"steward/account"
)

// SecondFactor returns account id's TOTP authenticator, enrolled or
// waiting for its first code; nil when it has none (Reader: a login's
// transaction checks the code against what it reads).
func (r *Reader) SecondFactor(ctx context.Context, id string) (*account.SecondFactor, error) {
	f := account.SecondFactor{AccountID: id}
	var created int64
	var enrolled sql.NullInt64
	err := r.q.QueryRowContext(ctx, `SELECT secret, created_at, enrolled_at, last_step FROM second_factors WHERE account_id = $1`, id).
		Scan(&f.Secret, &created, &enrolled, &f.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: second factor of %s: %w", id, err)
	}
	f.CreatedAt, f.EnrolledAt = time.UnixMilli(created).UTC(), fromNullMillis(enrolled)
	return &f, nil
}

// PutPendingSecondFactor stores a new TOTP secret (sealed) that waits for
// its first code, in place of an earlier one that never got it. An
// enrolled authenticator is not replaced: ECONFLICT.
func (tx *Tx) PutPendingSecondFactor(ctx context.Context, f *account.SecondFactor) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM second_factors WHERE account_id = $1 AND enrolled_at IS NULL`, f.AccountID); err != nil {
		return fmt.Errorf("store: pending second factor of %s: %w", f.AccountID, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO second_factors (account_id, secret, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id) DO NOTHING`, f.AccountID, f.Secret, f.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: pending second factor of %s: %w", f.AccountID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return steward.Errorf(steward.ECONFLICT, "error.second_factor_already_enrolled")
	}
	return nil
}

// EnrolSecondFactor marks account id's pending authenticator enrolled at
// at, with step the time step of the code that confirmed it.
func (tx *Tx) EnrolSecondFactor(ctx context.Context, id string, at time.Time, step int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE second_factors SET enrolled_at = $1, last_step = $2
		WHERE account_id = $3 AND enrolled_at IS NULL`, at.UnixMilli(), step, id)
	if err != nil {
		return fmt.Errorf("store: enrol second factor of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return steward.Errorf(steward.ECONFLICT, "error.second_factor_already_enrolled")
	}
	return nil
}

// AdvanceTOTPStep records step as account id's last accepted time step if
// it is later than the one recorded, and reports whether it was: a code
// used once, even by two requests at the same moment, is not accepted
// again (ASVS 2.8.4).
func (tx *Tx) AdvanceTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE second_factors SET last_step = $1
		WHERE account_id = $2 AND enrolled_at IS NOT NULL AND last_step < $1`, step, id)
	if err != nil {
		return false, fmt.Errorf("store: totp step of %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// DeleteSecondFactor removes account id's authenticator, its recovery
// codes and its half-done logins, and reports whether it had one.
func (tx *Tx) DeleteSecondFactor(ctx context.Context, id string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM second_factors WHERE account_id = $1`, id)
	if err != nil {
		return false, fmt.Errorf("store: delete second factor of %s: %w", id, err)
	}
	for _, q := range []string{`DELETE FROM recovery_codes WHERE account_id = $1`, `DELETE FROM login_challenges WHERE account_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return false, fmt.Errorf("store: delete second factor of %s: %w", id, err)
		}
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PutRecoveryCodes replaces account id's recovery codes by hashes.
func (tx *Tx) PutRecoveryCodes(ctx context.Context, id string, hashes []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE account_id = $1`, id); err != nil {
		return fmt.Errorf("store: recovery codes of %s: %w", id, err)
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)`, id, h); err != nil {
			return fmt.Errorf("store: recovery codes of %s: %w", id, err)
		}
	}
	return nil
}

// UseRecoveryCode deletes account id's recovery code with hash and
// reports whether there was one: each code works once.
func (tx *Tx) UseRecoveryCode(ctx context.Context, id, hash string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE account_id = $1 AND code_hash = $2`, id, hash)
	if err != nil {
		return false, fmt.Errorf("store: use recovery code of %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecoveryCodesLeft is how many unused recovery codes account id has.
func (r *Reader) RecoveryCodesLeft(ctx context.Context, id string) (int, error) {
	var n int
	if err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: recovery codes of %s: %w", id, err)
	}
	return n, nil
}

// LoginChallenge is a half-done login: the password was right, the code
// is still to come. It grants nothing.
type LoginChallenge struct {
	ID        string // SHA-256 of the secret the client holds
	AccountID string
	CreatedAt time.Time
	API       bool
	Attempts  int
}

// InsertLoginChallenge stores a new half-done login.
func (tx *Tx) InsertLoginChallenge(ctx context.Context, c *LoginChallenge) error {
	api := 0
	if c.API {
		api = 1
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO login_challenges (id, account_id, created_at, api) VALUES ($1, $2, $3, $4)`,
		c.ID, c.AccountID, c.CreatedAt.UnixMilli(), api); err != nil {
		return fmt.Errorf("store: login challenge of %s: %w", c.AccountID, err)
	}
	return nil
}

// TakeLoginAttempt counts one code attempt against the challenge id and
// returns it as it now stands; ErrNoSession when there is none.
func (tx *Tx) TakeLoginAttempt(ctx context.Context, id string) (*LoginChallenge, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE login_challenges SET attempts = attempts + 1 WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("store: login challenge: %w", err)
	}
	c := LoginChallenge{ID: id}
	var created int64
	var api int
	err := tx.q.QueryRowContext(ctx, `SELECT account_id, created_at, api, attempts FROM login_challenges WHERE id = $1`, id).
		Scan(&c.AccountID, &created, &api, &c.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("store: login challenge: %w", err)
	}
	c.CreatedAt, c.API = time.UnixMilli(created).UTC(), api == 1
	return &c, nil
}

// LoginChallengeAccount returns the account of the half-done login id, or
// "" when there is none, for the rate limit of its codes.
func (s *Store) LoginChallengeAccount(ctx context.Context, id string) (string, error) {
	var a string
	err := s.read.QueryRowContext(ctx, `SELECT account_id FROM login_challenges WHERE id = $1`, id).Scan(&a)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: login challenge: %w", err)
	}
	return a, nil
}

// DeleteLoginChallenge ends a half-done login.
func (tx *Tx) DeleteLoginChallenge(ctx context.Context, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: delete login challenge: %w", err)
	}
	return nil
}

// PruneLoginChallenges deletes half-done logins made before before.
func (s *Store) PruneLoginChallenges(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE created_at < $1`, before.UnixMilli())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune login challenges: %w", err)
	}
	return n, nil
}
