package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"steward"
	"steward/apikey"
)

const apiKeyColumns = `id, processor, scope, secret_hash, created_at, rotated_at, expires_at, revoked_at`

func scanAPIKey(r interface{ Scan(...any) error }) (apikey.Key, error) {
	var k apikey.Key
	var scope string
	var created int64
	var rotated, expires, revoked sql.NullInt64
	if err := r.Scan(&k.ID, &k.Processor, &scope, &k.SecretHash, &created, &rotated, &expires, &revoked); err != nil {
		return k, err
	}
	k.Scope = apikey.Scope(scope)
	k.CreatedAt = time.UnixMilli(created).UTC()
	k.RotatedAt, k.ExpiresAt, k.RevokedAt = fromNullMillis(rotated), fromNullMillis(expires), fromNullMillis(revoked)
	return k, nil
}

// InsertAPIKey stores a new key (its secret's hash only).
func (tx *Tx) InsertAPIKey(ctx context.Context, k *apikey.Key) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.Processor, string(k.Scope), k.SecretHash, k.CreatedAt.UnixMilli(), nullMillis(k.RotatedAt), nullMillis(k.ExpiresAt), nullMillis(k.RevokedAt))
	if err != nil {
		return fmt.Errorf("store: insert api key %s: %w", k.ID, err)
	}
	return nil
}

// UpdateAPIKey writes a key's secret hash and dates (rotate, revoke).
func (tx *Tx) UpdateAPIKey(ctx context.Context, k *apikey.Key) error {
	_, err := tx.ExecContext(ctx, `UPDATE api_keys SET secret_hash = $2, rotated_at = $3, expires_at = $4, revoked_at = $5 WHERE id = $1`,
		k.ID, k.SecretHash, nullMillis(k.RotatedAt), nullMillis(k.ExpiresAt), nullMillis(k.RevokedAt))
	if err != nil {
		return fmt.Errorf("store: update api key %s: %w", k.ID, err)
	}
	return nil
}

// APIKey returns the key with id; ENOTFOUND for none.
func (r *Reader) APIKey(ctx context.Context, id string) (*apikey.Key, error) {
	k, err := scanAPIKey(r.hotRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.api_key_not_found", "id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: api key %s: %w", id, err)
	}
	return &k, nil
}

// APIKeys lists every key, oldest first.
func (s *Store) APIKeys(ctx context.Context) ([]apikey.Key, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (apikey.Key, error) { return scanAPIKey(rows) },
		`SELECT `+apiKeyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: api keys: %w", err)
	}
	return out, nil
}
