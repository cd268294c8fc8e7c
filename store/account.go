package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"steward"
	"steward/account"
)

// accountColumns is the column list every account read uses, in the order
// scanAccount expects.
const accountColumns = `id, email, password_hash, pseudonym, role, organisation_id,
	created_at, confirmed_at, last_login_at, last_activity_at`

// ErrAccountNotFound is returned (wrapped in a steward ENOTFOUND error) when
// no account matches.
var ErrAccountNotFound = steward.Errorf(steward.ENOTFOUND, "error.no_account")

// emailKey is the form under which addresses are unique: lower case.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// InsertAccount creates an account. A second account with the same address
// (in any case) is an ECONFLICT error.
func (tx *Tx) InsertAccount(ctx context.Context, a *account.Account) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, email, email_key, password_hash, pseudonym, role,
			organisation_id, created_at, confirmed_at, last_login_at, last_activity_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.ID, a.Email, emailKey(a.Email), a.PasswordHash, a.Pseudonym, string(a.Role), a.OrganisationID,
		a.CreatedAt.UnixMilli(), nullMillis(a.ConfirmedAt), nullMillis(a.LastLoginAt), nullMillis(a.LastActivityAt))
	if err != nil {
		if isUniqueViolation(err) {
			return steward.Errorf(steward.ECONFLICT, "error.account_email_address_exists")
		}
		return fmt.Errorf("store: insert account %s: %w", a.ID, err)
	}
	return nil
}

// AccountByID returns the account with the given id (Reader: read in a
// transaction too).
func (r *Reader) AccountByID(ctx context.Context, id string) (*account.Account, error) {
	a, err := scanAccount(r.hotRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if err != nil {
		return nil, wrapAccountErr(err, "account "+id)
	}
	return a, nil
}

// AccountByEmail returns the account with the given address, compared
// case-insensitively. Every login reads it, so it is kept prepared
// (hotRow): preparing it again was a third of a login's SQL (issue 15).
func (r *Reader) AccountByEmail(ctx context.Context, email string) (*account.Account, error) {
	a, err := scanAccount(r.hotRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE email_key = $1`, emailKey(email)))
	if err != nil {
		return nil, wrapAccountErr(err, "account by e-mail")
	}
	return a, nil
}

// Staff lists the staff accounts, by e-mail address.
func (s *Store) Staff(ctx context.Context) ([]*account.Account, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE role <> '' ORDER BY email_key`)
	if err != nil {
		return nil, fmt.Errorf("store: list staff: %w", err)
	}
	defer rows.Close()
	var out []*account.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list staff: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ConfirmAccount marks the account's address confirmed at at, if it is not
// yet. It reports whether it changed anything.
func (tx *Tx) ConfirmAccount(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET confirmed_at = $1 WHERE id = $2 AND confirmed_at IS NULL`, at.UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("store: confirm account %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetPasswordHash stores a new password hash.
func (tx *Tx) SetPasswordHash(ctx context.Context, id, hash string) error {
	return tx.execOne(ctx, "set password of account "+id, `UPDATE accounts SET password_hash = $1 WHERE id = $2`, hash, id)
}

// RecordLogin notes a successful login at at (the retention anchor
// last_login, R9).
func (tx *Tx) RecordLogin(ctx context.Context, id string, at time.Time) error {
	// Every login writes it: kept prepared on a SQLite writer (hotExec).
	res, err := tx.hotExec(ctx, `UPDATE accounts SET last_login_at = $1, last_activity_at = $1 WHERE id = $2`, at.UnixMilli(), id)
	return oneRow(res, err, "record login of account "+id)
}

// RecordActivity notes activity at at (the retention anchor last_activity, Z9).
func (tx *Tx) RecordActivity(ctx context.Context, id string, at time.Time) error {
	return tx.execOne(ctx, "record activity of account "+id,
		`UPDATE accounts SET last_activity_at = $1 WHERE id = $2`, at.UnixMilli(), id)
}

// SetRole changes a staff member's role (” makes them a person again).
func (tx *Tx) SetRole(ctx context.Context, id string, role account.Role) error {
	return tx.execOne(ctx, "set role of account "+id, `UPDATE accounts SET role = $1 WHERE id = $2`, string(role), id)
}

// DeleteAccount removes an account with its profile values, sessions,
// tokens, staff-view records and pending mail. It is the erase hook the
// rights and retention issues call inside their own transaction (Art. 17,
// Z9); they write the audit entry.
func (tx *Tx) DeleteAccount(ctx context.Context, id string) error {
	if _, err := tx.DropOutboxFor(ctx, id); err != nil {
		return fmt.Errorf("store: delete account %s: %w", id, err)
	}
	// The foreign keys cascade; the explicit deletes of every table
	// holding the account's rows (accountTables, which a test compares
	// with the schema's foreign keys) keep this true on a SQLite
	// connection opened without foreign_keys.
	for _, t := range accountTables {
		q := "DELETE FROM " + t.table + " WHERE " + t.column + " = $1"
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("store: delete account %s: %w", id, err)
		}
	}
	return tx.execOne(ctx, "delete account "+id, `DELETE FROM accounts WHERE id = $1`, id)
}

// execOne runs a statement that must change exactly one row; none is
// ENOTFOUND.
func (tx *Tx) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	return oneRow(res, err, what)
}

// oneRow is execOne's check of a write's result: ErrAccountNotFound when
// it changed no row.
func oneRow(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAccountNotFound
	}
	return nil
}

func scanAccount(r interface{ Scan(...any) error }) (*account.Account, error) {
	return scanAccountAfter(r)
}

// scanAccountAfter scans a row of first's columns followed by
// accountColumns.
func scanAccountAfter(r interface{ Scan(...any) error }, first ...any) (*account.Account, error) {
	var a account.Account
	var role string
	var created int64
	var confirmed, login, activity sql.NullInt64
	if err := r.Scan(append(first, &a.ID, &a.Email, &a.PasswordHash, &a.Pseudonym, &role, &a.OrganisationID,
		&created, &confirmed, &login, &activity)...); err != nil {
		return nil, err
	}
	a.Role = account.Role(role)
	a.CreatedAt = time.UnixMilli(created).UTC()
	a.ConfirmedAt = fromNullMillis(confirmed)
	a.LastLoginAt = fromNullMillis(login)
	a.LastActivityAt = fromNullMillis(activity)
	return &a, nil
}

func wrapAccountErr(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrAccountNotFound
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromNullMillis(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

// isUniqueViolation recognises a unique-constraint failure on either engine.
func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505") ||
		strings.Contains(msg, "duplicate key value")
}
