package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"steward"
	"steward/oidc"
)

// The OpenID Connect provider's tables (issue 16 item 3): clients,
// signing keys, grants (authorisation requests and their codes) and
// access tokens. Secrets, codes and tokens are kept as SHA-256 hashes,
// private keys sealed.

// ErrNoOIDCClient is a client id that is not registered (or was revoked,
// where the caller treats both alike).
var ErrNoOIDCClient = steward.Errorf(steward.ENOTFOUND, "error.oidc_no_client")

// ErrNoOIDCGrant is an authorisation request or code that does not exist.
var ErrNoOIDCGrant = steward.Errorf(steward.ENOTFOUND, "error.oidc_no_grant")

const oidcClientColumns = `id, name, recipient, secret_hash, redirect_uris, created_at, secret_at, revoked_at`

func scanOIDCClient(r interface{ Scan(...any) error }) (*oidc.Client, error) {
	var c oidc.Client
	var uris string
	var created, secretAt int64
	var revoked sql.NullInt64
	if err := r.Scan(&c.ID, &c.Name, &c.Recipient, &c.SecretHash, &uris, &created, &secretAt, &revoked); err != nil {
		return nil, err
	}
	c.RedirectURIs = strings.Split(uris, "\n")
	c.CreatedAt, c.SecretAt, c.RevokedAt = time.UnixMilli(created).UTC(), time.UnixMilli(secretAt).UTC(), fromNullMillis(revoked)
	return &c, nil
}

// InsertOIDCClient registers a client.
func (tx *Tx) InsertOIDCClient(ctx context.Context, c *oidc.Client) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO oidc_clients (`+oidcClientColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.Name, c.Recipient, c.SecretHash, strings.Join(c.RedirectURIs, "\n"), c.CreatedAt.UnixMilli(), c.SecretAt.UnixMilli(), nullMillis(c.RevokedAt))
	if err != nil {
		return fmt.Errorf("store: insert oidc client %s: %w", c.Name, err)
	}
	return nil
}

// OIDCClient returns a client by id, revoked or not.
func (r *Reader) OIDCClient(ctx context.Context, id string) (*oidc.Client, error) {
	c, err := scanOIDCClient(r.hotRow(ctx, `SELECT `+oidcClientColumns+` FROM oidc_clients WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, ErrNoOIDCClient
	}
	if err != nil {
		return nil, fmt.Errorf("store: oidc client: %w", err)
	}
	return c, nil
}

// OIDCClientByName returns a client by its label.
func (r *Reader) OIDCClientByName(ctx context.Context, name string) (*oidc.Client, error) {
	c, err := scanOIDCClient(r.q.QueryRowContext(ctx, `SELECT `+oidcClientColumns+` FROM oidc_clients WHERE name = $1`, name))
	if isNoRows(err) {
		return nil, ErrNoOIDCClient
	}
	if err != nil {
		return nil, fmt.Errorf("store: oidc client %s: %w", name, err)
	}
	return c, nil
}

// OIDCClients lists every client by name.
func (s *Store) OIDCClients(ctx context.Context) ([]*oidc.Client, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (*oidc.Client, error) { return scanOIDCClient(rows) },
		`SELECT `+oidcClientColumns+` FROM oidc_clients ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: oidc clients: %w", err)
	}
	return out, nil
}

// SetOIDCClientSecret replaces a live client's secret hash.
func (tx *Tx) SetOIDCClientSecret(ctx context.Context, id, hash string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE oidc_clients SET secret_hash = $1, secret_at = $2 WHERE id = $3 AND revoked_at IS NULL`, hash, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: set secret of oidc client %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoOIDCClient
	}
	return nil
}

// RevokeOIDCClient revokes a live client and every token issued to it.
func (tx *Tx) RevokeOIDCClient(ctx context.Context, id string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE oidc_clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: revoke oidc client %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoOIDCClient
	}
	if _, err := tx.ExecContext(ctx, `UPDATE oidc_tokens SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL`, at.UnixMilli(), id); err != nil {
		return fmt.Errorf("store: revoke tokens of oidc client %s: %w", id, err)
	}
	return nil
}

const oidcKeyColumns = `id, algorithm, public_key, private_key, created_at, retired_at`

// InsertOIDCKey stores a signing key (its private half sealed).
func (tx *Tx) InsertOIDCKey(ctx context.Context, k *oidc.Key) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO oidc_keys (`+oidcKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Algorithm, k.Public, k.Private, k.CreatedAt.UnixMilli(), nullMillis(k.RetiredAt))
	if err != nil {
		return fmt.Errorf("store: insert oidc key: %w", err)
	}
	return nil
}

// OIDCKeys lists the signing keys: those in use first, then newest first.
func (r *Reader) OIDCKeys(ctx context.Context) ([]*oidc.Key, error) {
	out, err := rowsOf(ctx, r, func(rows *sql.Rows) (*oidc.Key, error) {
		var k oidc.Key
		var created int64
		var retired sql.NullInt64
		err := rows.Scan(&k.ID, &k.Algorithm, &k.Public, &k.Private, &created, &retired)
		k.CreatedAt, k.RetiredAt = time.UnixMilli(created).UTC(), fromNullMillis(retired)
		return &k, err
	}, `SELECT `+oidcKeyColumns+` FROM oidc_keys ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: oidc keys: %w", err)
	}
	return out, nil
}

// RetireOIDCKeys retires every signing key in use and drops those retired
// before dropBefore; it returns how many it retired and dropped.
func (tx *Tx) RetireOIDCKeys(ctx context.Context, at, dropBefore time.Time) (retired, dropped int64, err error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM oidc_keys WHERE retired_at IS NOT NULL AND retired_at < $1`, dropBefore.UnixMilli())
	if err != nil {
		return 0, 0, fmt.Errorf("store: drop oidc keys: %w", err)
	}
	dropped, _ = res.RowsAffected()
	res, err = tx.ExecContext(ctx, `UPDATE oidc_keys SET retired_at = $1 WHERE retired_at IS NULL`, at.UnixMilli())
	if err != nil {
		return 0, 0, fmt.Errorf("store: retire oidc keys: %w", err)
	}
	retired, _ = res.RowsAffected()
	return retired, dropped, nil
}

const oidcGrantColumns = `id, client_id, redirect_uri, scopes, state, nonce, response_type, response_mode, code_challenge, code_method,
	account_id, subject, auth_at, code_hash, code_at, exchanged_at, created_at, prompt, auth_after`

func scanOIDCGrant(r interface{ Scan(...any) error }) (*oidc.Grant, error) {
	var g oidc.Grant
	var scopes string
	var account, code sql.NullString
	var auth, codeAt, exchanged, after sql.NullInt64
	var created int64
	var prompt string
	err := r.Scan(&g.ID, &g.ClientID, &g.RedirectURI, &scopes, &g.State, &g.Nonce, &g.ResponseType, &g.ResponseMode, &g.CodeChallenge, &g.CodeMethod,
		&account, &g.Subject, &auth, &code, &codeAt, &exchanged, &created, &prompt, &after)
	if err != nil {
		return nil, err
	}
	g.Silent, g.AuthAfter = prompt == oidc.PromptNone, fromNullMillis(after)
	g.Scopes = strings.Fields(scopes)
	g.AccountID, g.CodeHash = account.String, code.String
	g.AuthAt, g.CodeAt, g.ExchangedAt, g.CreatedAt = fromNullMillis(auth), fromNullMillis(codeAt), fromNullMillis(exchanged), time.UnixMilli(created).UTC()
	return &g, nil
}

// InsertOIDCGrant stores a new authorisation request.
func (tx *Tx) InsertOIDCGrant(ctx context.Context, g *oidc.Grant) error {
	prompt := ""
	if g.Silent {
		prompt = oidc.PromptNone
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO oidc_grants (id, client_id, redirect_uri, scopes, state, nonce, response_type, response_mode,
		code_challenge, code_method, created_at, prompt, auth_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		g.ID, g.ClientID, g.RedirectURI, strings.Join(g.Scopes, " "), g.State, g.Nonce, g.ResponseType, g.ResponseMode,
		g.CodeChallenge, g.CodeMethod, g.CreatedAt.UnixMilli(), prompt, nullMillis(g.AuthAfter))
	if err != nil {
		return fmt.Errorf("store: insert oidc grant: %w", err)
	}
	return nil
}

// OIDCGrant returns an authorisation request by id.
func (r *Reader) OIDCGrant(ctx context.Context, id string) (*oidc.Grant, error) {
	g, err := scanOIDCGrant(r.q.QueryRowContext(ctx, `SELECT `+oidcGrantColumns+` FROM oidc_grants WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, ErrNoOIDCGrant
	}
	if err != nil {
		return nil, fmt.Errorf("store: oidc grant: %w", err)
	}
	return g, nil
}

// OIDCGrantByCode returns the authorisation request whose code has this
// hash, exchanged or not.
func (r *Reader) OIDCGrantByCode(ctx context.Context, codeHash string) (*oidc.Grant, error) {
	g, err := scanOIDCGrant(r.q.QueryRowContext(ctx, `SELECT `+oidcGrantColumns+` FROM oidc_grants WHERE code_hash = $1`, codeHash))
	if isNoRows(err) {
		return nil, ErrNoOIDCGrant
	}
	if err != nil {
		return nil, fmt.Errorf("store: oidc grant by code: %w", err)
	}
	return g, nil
}

// SignInOIDCGrant notes who logged in for a request not yet signed in,
// and when they last entered their password (at).
func (tx *Tx) SignInOIDCGrant(ctx context.Context, id, accountID, subject string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE oidc_grants SET account_id = $1, subject = $2, auth_at = $3
		WHERE id = $4 AND subject = '' AND code_hash IS NULL`, accountID, subject, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: sign in oidc grant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoOIDCGrant
	}
	return nil
}

// SetOIDCCode stores the hash of the code issued for a signed-in request;
// a request gets one code only.
func (tx *Tx) SetOIDCCode(ctx context.Context, id, codeHash string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE oidc_grants SET code_hash = $1, code_at = $2
		WHERE id = $3 AND subject <> '' AND code_hash IS NULL`, codeHash, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: set oidc code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoOIDCGrant
	}
	return nil
}

// ExchangeOIDCGrant marks a request's code exchanged; false when it
// already was (two exchanges racing: only one wins).
func (tx *Tx) ExchangeOIDCGrant(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE oidc_grants SET exchanged_at = $1 WHERE id = $2 AND exchanged_at IS NULL AND code_hash IS NOT NULL`, at.UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("store: exchange oidc grant: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// DeleteOIDCGrant removes a request that was never exchanged (an
// exchanged one is kept to recognise its code replayed).
func (tx *Tx) DeleteOIDCGrant(ctx context.Context, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_grants WHERE id = $1 AND exchanged_at IS NULL`, id); err != nil {
		return fmt.Errorf("store: delete oidc grant: %w", err)
	}
	return nil
}

// PruneOIDC removes grants made before before, with their tokens.
func (tx *Tx) PruneOIDC(ctx context.Context, before time.Time) error {
	for _, q := range []string{
		`DELETE FROM oidc_tokens WHERE grant_id IN (SELECT id FROM oidc_grants WHERE created_at < $1)`,
		`DELETE FROM oidc_grants WHERE created_at < $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, before.UnixMilli()); err != nil {
			return fmt.Errorf("store: prune oidc grants: %w", err)
		}
	}
	return nil
}

// InsertOIDCToken stores an access token's record.
func (tx *Tx) InsertOIDCToken(ctx context.Context, t *oidc.Token) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO oidc_tokens (id, grant_id, client_id, account_id, subject, scopes, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.GrantID, t.ClientID, t.AccountID, t.Subject, strings.Join(t.Scopes, " "), t.CreatedAt.UnixMilli(), t.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: insert oidc token: %w", err)
	}
	return nil
}

// OIDCToken returns an access token's record by its hash.
func (r *Reader) OIDCToken(ctx context.Context, id string) (*oidc.Token, error) {
	var t oidc.Token
	var scopes string
	var created, expires int64
	var revoked sql.NullInt64
	err := r.q.QueryRowContext(ctx, `SELECT id, grant_id, client_id, account_id, subject, scopes, created_at, expires_at, revoked_at
		FROM oidc_tokens WHERE id = $1`, id).Scan(&t.ID, &t.GrantID, &t.ClientID, &t.AccountID, &t.Subject, &scopes, &created, &expires, &revoked)
	if isNoRows(err) {
		return nil, steward.Errorf(steward.EUNAUTHORIZED, "error.oidc_token_invalid")
	}
	if err != nil {
		return nil, fmt.Errorf("store: oidc token: %w", err)
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC(), fromNullMillis(revoked)
	return &t, nil
}

// RevokeOIDCTokens revokes the tokens issued from a grant (a replayed
// code, RFC 6749 §4.1.2) and returns how many were still live.
func (tx *Tx) RevokeOIDCTokens(ctx context.Context, grantID string, at time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE oidc_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL`, at.UnixMilli(), grantID)
	if err != nil {
		return 0, fmt.Errorf("store: revoke oidc tokens: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// RevokeOIDCToken revokes one token of a client (RFC 7009); a token that
// is not the client's is left alone.
func (tx *Tx) RevokeOIDCToken(ctx context.Context, id, clientID string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE oidc_tokens SET revoked_at = $1 WHERE id = $2 AND client_id = $3 AND revoked_at IS NULL`, at.UnixMilli(), id, clientID); err != nil {
		return fmt.Errorf("store: revoke oidc token: %w", err)
	}
	return nil
}

// RecordOfKind returns the id of subject's oldest live record of kind
// (their learning-environment account), 0 for none.
func (r *Reader) RecordOfKind(ctx context.Context, subject, kind string) (int64, error) {
	var id int64
	err := r.q.QueryRowContext(ctx, `SELECT id FROM records WHERE subject_id = $1 AND kind = $2 AND anonymised_at IS NULL ORDER BY id LIMIT 1`, subject, kind).Scan(&id)
	if isNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s record of %s: %w", kind, subject, err)
	}
	return id, nil
}
