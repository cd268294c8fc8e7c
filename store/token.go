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

// ErrBadToken is the one answer for a token that is unknown, expired or
// already used: the person needs a new link either way.
var ErrBadToken = steward.Errorf(steward.EINVALID, "error.newsletter_link_invalid")

// InsertToken stores a single-use token by its hash.
func (tx *Tx) InsertToken(ctx context.Context, hash string, kind account.TokenKind, accountID string, created, expires time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO account_tokens (hash, kind, account_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, hash, string(kind), accountID, created.UnixMilli(), expires.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: insert %s token of %s: %w", kind, accountID, err)
	}
	return nil
}

// UseToken spends a token: it must exist with this kind, be unused and not
// expired at now. It returns the account id and removes the person's other
// tokens of the same kind, so an older link cannot be used afterwards.
func (tx *Tx) UseToken(ctx context.Context, hash string, kind account.TokenKind, now time.Time) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `UPDATE account_tokens SET used_at = $1
		WHERE hash = $2 AND kind = $3 AND used_at IS NULL AND expires_at > $1 RETURNING account_id`,
		now.UnixMilli(), hash, string(kind)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrBadToken
	}
	if err != nil {
		return "", fmt.Errorf("store: use %s token: %w", kind, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM account_tokens WHERE account_id = $1 AND kind = $2 AND hash <> $3`,
		id, string(kind), hash); err != nil {
		return "", fmt.Errorf("store: use %s token: %w", kind, err)
	}
	return id, nil
}

// VoidTokens deletes every single-use link of the account that has not
// been used — verification, reset, staff set-password — and its pending
// changes of login address: a link mailed before the password or the
// address changed must not work after it (issue 14, finding 6). It
// returns how many were voided.
func (tx *Tx) VoidTokens(ctx context.Context, accountID string) (int64, error) {
	var n int64
	for _, q := range []string{
		`DELETE FROM account_tokens WHERE account_id = $1 AND used_at IS NULL`,
		`DELETE FROM email_changes WHERE account_id = $1 AND used_at IS NULL`,
	} {
		res, err := tx.ExecContext(ctx, q, accountID)
		if err != nil {
			return n, fmt.Errorf("store: void tokens of %s: %w", accountID, err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}
