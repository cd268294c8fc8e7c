package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

// RecordCursor is where a page of a subject's records of one kind ends,
// newest first: the next page holds the records created before At, or at
// At with an id below ID. The zero cursor starts at the newest.
type RecordCursor struct {
	At time.Time
	ID int64
}

// KindCounts returns how many records of each kind a subject has that are
// not anonymised (the counts on "My data"); kinds without records are
// absent.
func (s *Store) KindCounts(ctx context.Context, subject string) (map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT kind, COUNT(*) FROM records
		WHERE subject_id = $1 AND anonymised_at IS NULL GROUP BY kind`, subject)
	if err != nil {
		return nil, fmt.Errorf("store: record counts of %s: %w", subject, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, fmt.Errorf("store: record counts of %s: %w", subject, err)
		}
		out[kind] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: record counts of %s: %w", subject, err)
	}
	return out, nil
}

// RecordsOfKindPage calls fn for at most limit of a subject's records of
// one kind that are not anonymised, newest first (created_at, then id,
// descending), starting after cursor, with their values — one page of
// "My data" (Art. 15 GDPR) from one query: records_subject finds the
// kind's rows, and only the page's rows are joined with their values.
// The export reads them all with EachRecordOfKind instead. fn must not
// keep rec after it returns; the Values map is fresh for every record.
func (s *Store) RecordsOfKindPage(ctx context.Context, subject, kind string, after RecordCursor, limit int, fn func(rec Record) error) error {
	at, id := int64(math.MaxInt64), int64(math.MaxInt64)
	if after != (RecordCursor{}) {
		at, id = after.At.UnixMilli(), after.ID
	}
	rows, err := s.read.QueryContext(ctx, `SELECT r.id, r.created_at, r.confirmed_at, r.last_login_at,
			r.last_activity_at, v.field, v.value
		FROM (SELECT id, created_at, confirmed_at, last_login_at, last_activity_at FROM records
			WHERE subject_id = $1 AND kind = $2 AND anonymised_at IS NULL
			AND (created_at < $3 OR (created_at = $3 AND id < $4))
			ORDER BY created_at DESC, id DESC LIMIT $5) r
		LEFT JOIN record_values v ON v.record_id = r.id
		ORDER BY r.created_at DESC, r.id DESC`, subject, kind, at, id, limit)
	if err != nil {
		return fmt.Errorf("store: page of %s records of %s: %w", kind, subject, err)
	}
	defer rows.Close()
	return eachRecordRow(rows, subject, kind, fn)
}

// eachRecordRow folds rows of (record, one value) ordered by record into
// one Record per id and calls fn with each.
func eachRecordRow(rows *sql.Rows, subject, kind string, fn func(rec Record) error) error {
	var cur Record
	have := false
	for rows.Next() {
		var id, created int64
		var confirmed, login, activity sql.NullInt64
		var field, value sql.NullString
		if err := rows.Scan(&id, &created, &confirmed, &login, &activity, &field, &value); err != nil {
			return fmt.Errorf("store: %s records of %s: %w", kind, subject, err)
		}
		if !have || id != cur.ID {
			if have {
				if err := fn(cur); err != nil {
					return err
				}
			}
			cur = Record{ID: id, Subject: subject, Kind: kind, CreatedAt: time.UnixMilli(created).UTC(),
				ConfirmedAt: fromNullMillis(confirmed), LastLoginAt: fromNullMillis(login),
				LastActivityAt: fromNullMillis(activity), Values: map[string]string{}}
			have = true
		}
		if field.Valid {
			cur.Values[field.String] = value.String
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: %s records of %s: %w", kind, subject, err)
	}
	if have {
		return fn(cur)
	}
	return nil
}
