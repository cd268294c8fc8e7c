package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// StaffView records that a staff member saw fields of a person's record
// (R12, Z7). Fields are names, never values.
type StaffView struct {
	At        time.Time
	StaffID   string
	SubjectID string
	Fields    []string
}

// RecordStaffView stores a staff view.
func (tx *Tx) RecordStaffView(ctx context.Context, v StaffView) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO staff_views (viewed_at, staff_id, subject_id, fields) VALUES ($1, $2, $3, $4)`,
		v.At.UnixMilli(), v.StaffID, v.SubjectID, strings.Join(v.Fields, ","))
	if err != nil {
		return fmt.Errorf("store: record staff view of %s by %s: %w", v.SubjectID, v.StaffID, err)
	}
	return nil
}

// StaffViewsOf lists the staff views of a person's record, newest first.
func (s *Store) StaffViewsOf(ctx context.Context, subjectID string) ([]StaffView, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT viewed_at, staff_id, subject_id, fields FROM staff_views
		WHERE subject_id = $1 ORDER BY viewed_at DESC, id DESC`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("store: staff views of %s: %w", subjectID, err)
	}
	defer rows.Close()
	var out []StaffView
	for rows.Next() {
		var v StaffView
		var at int64
		var fields string
		if err := rows.Scan(&at, &v.StaffID, &v.SubjectID, &fields); err != nil {
			return nil, fmt.Errorf("store: staff views of %s: %w", subjectID, err)
		}
		v.At = time.UnixMilli(at).UTC()
		if fields != "" {
			v.Fields = strings.Split(fields, ",")
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// RecordStaffViews stores one staff view per subject, all at the same
// time by the same staff member of the same fields: a report that shows
// many people (issue 17's voucher report) is one statement per 500 people
// instead of one per person.
func (tx *Tx) RecordStaffViews(ctx context.Context, at time.Time, staffID string, subjects []string, fields []string) error {
	for len(subjects) > 0 {
		part := subjects[:min(len(subjects), inChunk)]
		subjects = subjects[len(part):]
		list, arg := inList(tx.Dialect, 4, part)
		_, err := tx.ExecContext(ctx, `INSERT INTO staff_views (viewed_at, staff_id, subject_id, fields)
			SELECT $1, $2, v.*, $3 FROM (`+list+`) v`, at.UnixMilli(), staffID, strings.Join(fields, ","), arg)
		if err != nil {
			return fmt.Errorf("store: record %d staff views by %s: %w", len(part), staffID, err)
		}
	}
	return nil
}
