package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// Steward's own records about a person that live in their own tables
// rather than in records — login sessions, outbox mails, retention
// warnings — read as items of the record kinds the policy declares for
// them (R4: login_session, mail, retention_warning), for "My data" and
// the export (Art. 15, 20 GDPR). Values are keyed by the policy's field
// ids; secrets (session and CSRF tokens, mail bodies' links) are never read.

// OwnItem is one such record: an id, when it was made, and its values.
type OwnItem struct {
	ID        string
	CreatedAt time.Time
	Values    map[string]string
}

// OwnItems returns a person's items of kind, for the kinds kept in their
// own tables; any other kind has none here.
func (s *Store) OwnItems(ctx context.Context, subject, kind string) ([]OwnItem, error) {
	var q string
	switch kind {
	case "login_session":
		// Keyed by the creation time, never by the session id: that is the
		// hash of the login secret.
		q = `SELECT created_at, created_at, last_seen, auth_at, api FROM sessions
			WHERE account_id = $1 ORDER BY created_at`
	case "mail":
		q = `SELECT id, created_at, kind, recipient, subject, status FROM outbox
			WHERE subject_id = $1 ORDER BY id`
	case "retention_warning":
		q = `SELECT rule_id, warned_at, due_at, sent_at FROM retention_warnings
			WHERE subject_id = $1 ORDER BY warned_at, rule_id`
	default:
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, q, subject)
	if err != nil {
		return nil, fmt.Errorf("store: %s of %s: %w", kind, subject, err)
	}
	defer rows.Close()
	var out []OwnItem
	for rows.Next() {
		it := OwnItem{Values: map[string]string{}}
		switch kind {
		case "login_session":
			var id, created, seen, auth, api int64
			if err = rows.Scan(&id, &created, &seen, &auth, &api); err == nil {
				it.ID, it.CreatedAt = strconv.FormatInt(id, 10), millis(created)
				it.Values["started_at"] = millis(created).Format(time.RFC3339)
				it.Values["last_seen"] = millis(seen).Format(time.RFC3339)
				it.Values["authenticated_at"] = millis(auth).Format(time.RFC3339)
				it.Values["api"] = strconv.FormatBool(api != 0)
			}
		case "mail":
			var id, created int64
			var k, rcpt, subj, status string
			if err = rows.Scan(&id, &created, &k, &rcpt, &subj, &status); err == nil {
				it.ID, it.CreatedAt = strconv.FormatInt(id, 10), millis(created)
				it.Values["kind"], it.Values["recipient"], it.Values["subject_line"], it.Values["status"] = k, rcpt, subj, status
			}
		case "retention_warning":
			var rule string
			var warned, due int64
			var sent sql.NullInt64
			if err = rows.Scan(&rule, &warned, &due, &sent); err == nil {
				it.ID, it.CreatedAt = rule, millis(warned)
				it.Values["rule"] = rule
				it.Values["warned_at"] = millis(warned).Format(time.RFC3339)
				it.Values["due_on"] = millis(due).Format(time.DateOnly)
				if sent.Valid {
					it.Values["sent_at"] = millis(sent.Int64).Format(time.RFC3339)
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("store: %s of %s: %w", kind, subject, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s of %s: %w", kind, subject, err)
	}
	return out, nil
}

func millis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
