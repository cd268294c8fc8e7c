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

// ErrNoSession is returned when a session does not exist (never did, was
// revoked or logged out).
var ErrNoSession = steward.Errorf(steward.EUNAUTHORIZED, "error.not_logged_in")

// InsertSession stores a new session.
func (tx *Tx) InsertSession(ctx context.Context, s *account.Session) error {
	api, second := 0, 0
	if s.API {
		api = 1
	}
	if s.SecondFactor {
		second = 1
	}
	// Every login writes one: kept prepared on a SQLite writer (hotExec).
	_, err := tx.hotExec(ctx, `INSERT INTO sessions (id, account_id, created_at, last_seen, auth_at, csrf, api, second_factor)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.ID, s.AccountID, s.CreatedAt.UnixMilli(), s.LastSeen.UnixMilli(), s.AuthAt.UnixMilli(), s.CSRF, api, second)
	if err != nil {
		return fmt.Errorf("store: insert session of %s: %w", s.AccountID, err)
	}
	return nil
}

// SessionByID returns the session with the given id (the hash of its secret).
func (s *Store) SessionByID(ctx context.Context, id string) (*account.Session, error) {
	var se account.Session
	var created, seen, auth int64
	var api, second int
	err := s.hotRow(ctx, `SELECT id, account_id, created_at, last_seen, auth_at, csrf, api, second_factor
		FROM sessions WHERE id = $1`, id).Scan(&se.ID, &se.AccountID, &created, &seen, &auth, &se.CSRF, &api, &second)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("store: session: %w", err)
	}
	se.CreatedAt, se.LastSeen, se.AuthAt = time.UnixMilli(created).UTC(), time.UnixMilli(seen).UTC(), time.UnixMilli(auth).UTC()
	se.API, se.SecondFactor = api == 1, second == 1
	return &se, nil
}

// TouchSession moves a session's last_seen (and the account's
// last_activity) to at.
func (s *Store) TouchSession(ctx context.Context, se *account.Session, at time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen = $1 WHERE id = $2`, at.UnixMilli(), se.ID); err != nil {
			return fmt.Errorf("store: touch session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET last_activity_at = $1 WHERE id = $2`, at.UnixMilli(), se.AccountID); err != nil {
			return fmt.Errorf("store: touch session: %w", err)
		}
		return nil
	})
}

// MarkSecondFactor records that session id proved a second factor (the
// enrolment confirmed in it).
func (tx *Tx) MarkSecondFactor(ctx context.Context, id string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET second_factor = 1 WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: mark session: %w", err)
	}
	return nil
}

// DeleteSession ends one session (logout). It reports whether it existed.
func (tx *Tx) DeleteSession(ctx context.Context, id string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	if err != nil {
		return false, fmt.Errorf("store: delete session: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RevokeSessions ends every session of a person (after a password reset,
// on request, on erasure) and returns how many it ended.
func (tx *Tx) RevokeSessions(ctx context.Context, accountID string) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1`, accountID)
	if err != nil {
		return 0, fmt.Errorf("store: revoke sessions of %s: %w", accountID, err)
	}
	return res.RowsAffected()
}

// CountSessions returns how many sessions a person has.
func (s *Store) CountSessions(ctx context.Context, accountID string) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE account_id = $1`, accountID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count sessions of %s: %w", accountID, err)
	}
	return n, nil
}

// PruneSessions deletes sessions idle since before idleBefore or created
// before createdBefore, and returns how many.
func (s *Store) PruneSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2`,
			idleBefore.UnixMilli(), createdBefore.UnixMilli())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune sessions: %w", err)
	}
	return n, nil
}
