package store

import (
	"context"
	"fmt"
	"time"

	"steward"
	"steward/learning"
)

// StatementHash returns the content hash of the accepted xAPI statement
// with id, "" for none.
func (r *Reader) StatementHash(ctx context.Context, id string) (string, error) {
	var h string
	err := r.hotRow(ctx, `SELECT content_hash FROM xapi_statements WHERE id = $1`, id).Scan(&h)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: statement %s: %w", id, err)
	}
	return h, nil
}

// InsertStatement notes an accepted xAPI statement by id: the key it
// came with, its content hash and verb (no personal value).
func (tx *Tx) InsertStatement(ctx context.Context, id, keyID, contentHash, verb string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO xapi_statements (id, key_id, content_hash, verb, stored_at) VALUES ($1, $2, $3, $4, $5)`,
		id, keyID, contentHash, verb, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: insert statement %s: %w", id, err)
	}
	return nil
}

// LiveRecord returns the record with id if it is of kind and not
// anonymised (an xAPI actor's LMS account); ENOTFOUND otherwise.
func (r *Reader) LiveRecord(ctx context.Context, id int64, kind string) (*Record, error) {
	rec, err := scanRecord(r.hotRow(ctx, `SELECT `+recordColumns+` FROM records WHERE id = $1 AND kind = $2 AND anonymised_at IS NULL`, id, kind))
	if isNoRows(err) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_record", "id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %s record %d: %w", kind, id, err)
	}
	return &rec, nil
}

// CourseByLMSID returns the course whose learning-environment course id
// is lmsID; ENOTFOUND for none.
func (r *Reader) CourseByLMSID(ctx context.Context, lmsID string) (*learning.Course, error) {
	var slug string
	err := r.hotRow(ctx, `SELECT slug FROM courses WHERE lms_course_id = $1 AND lms_course_id <> '' ORDER BY slug LIMIT 1`, lmsID).Scan(&slug)
	if isNoRows(err) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_course")
	}
	if err != nil {
		return nil, fmt.Errorf("store: course of lms id %s: %w", lmsID, err)
	}
	return r.Course(ctx, slug)
}
