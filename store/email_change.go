package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"steward"
)

// InsertEmailChange stores a pending change of a person's login address
// to newEmail, by the hash of the link sent to it. Older pending changes
// of the person are dropped: only the newest link works.
func (tx *Tx) InsertEmailChange(ctx context.Context, hash, accountID, newEmail string, created, expires time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM email_changes WHERE account_id = $1`, accountID); err != nil {
		return fmt.Errorf("store: e-mail change of %s: %w", accountID, err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO email_changes (hash, account_id, new_email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, hash, accountID, newEmail, created.UnixMilli(), expires.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: e-mail change of %s: %w", accountID, err)
	}
	return nil
}

// UseEmailChange spends a pending change: it must exist, be unused and
// not expired at now. It returns the account and the new address; a bad
// link is ErrBadToken. The spent row is removed with the person's others,
// so the new address is not kept twice.
func (tx *Tx) UseEmailChange(ctx context.Context, hash string, now time.Time) (accountID, newEmail string, err error) {
	err = tx.QueryRowContext(ctx, `UPDATE email_changes SET used_at = $1
		WHERE hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING account_id, new_email`,
		now.UnixMilli(), hash).Scan(&accountID, &newEmail)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrBadToken
	}
	if err != nil {
		return "", "", fmt.Errorf("store: use e-mail change: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM email_changes WHERE account_id = $1`, accountID); err != nil {
		return "", "", fmt.Errorf("store: use e-mail change of %s: %w", accountID, err)
	}
	return accountID, newEmail, nil
}

// SetEmail changes an account's login address. An address another account
// has (in any case) is an ECONFLICT error.
func (tx *Tx) SetEmail(ctx context.Context, id, email string) error {
	err := tx.execOne(ctx, "set e-mail of account "+id, `UPDATE accounts SET email = $1, email_key = $2 WHERE id = $3`,
		email, emailKey(email), id)
	if err != nil && isUniqueViolation(err) {
		return steward.Errorf(steward.ECONFLICT, "error.another_account_has_email")
	}
	return err
}

// RevokeOtherSessions ends every session of a person except keep (the one
// the change was made in; "" keeps none) and returns how many it ended.
func (tx *Tx) RevokeOtherSessions(ctx context.Context, accountID, keep string) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1 AND id <> $2`, accountID, keep)
	if err != nil {
		return 0, fmt.Errorf("store: revoke other sessions of %s: %w", accountID, err)
	}
	return res.RowsAffected()
}
