package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RecordsOfKind returns every live (not anonymised) record of kind with
// its values, by id: the accreditations the export chooses from. Records
// of one kind per site are few (one per person and accredited course).
func (r *Reader) RecordsOfKind(ctx context.Context, kind string) ([]Record, error) {
	var out []Record
	at := map[int64]int{}
	err := r.eachRow(ctx, `SELECT r.id, r.subject_id, r.created_at, v.field, v.value FROM records r
		LEFT JOIN record_values v ON v.record_id = r.id
		WHERE r.kind = $1 AND r.anonymised_at IS NULL ORDER BY r.id`, []any{kind}, func(rows *sql.Rows) error {
		var id, created int64
		var subject string
		var field, value sql.NullString
		if err := rows.Scan(&id, &subject, &created, &field, &value); err != nil {
			return err
		}
		i, ok := at[id]
		if !ok {
			i = len(out)
			at[id] = i
			out = append(out, Record{ID: id, Subject: subject, Kind: kind, CreatedAt: time.UnixMilli(created).UTC(), Values: map[string]string{}})
		}
		if field.Valid {
			out[i].Values[field.String] = value.String
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: records of kind %s: %w", kind, err)
	}
	return out, nil
}

// RecordValueOf returns the value of field in subject's live record of
// kind (the LMS account's register number), "" for none.
func (r *Reader) RecordValueOf(ctx context.Context, subject, kind, field string) (string, error) {
	var v string
	err := r.q.QueryRowContext(ctx, `SELECT v.value FROM records r JOIN record_values v ON v.record_id = r.id
		WHERE r.subject_id = $1 AND r.kind = $2 AND r.anonymised_at IS NULL AND v.field = $3 ORDER BY r.id LIMIT 1`,
		subject, kind, field).Scan(&v)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: %s.%s of %s: %w", kind, field, subject, err)
	}
	return v, nil
}
