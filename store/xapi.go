package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"steward"
	"steward/learning"
)

// StatementHashes returns the content hashes of the accepted xAPI
// statements among ids, by id; an id never accepted is absent.
func (r *Reader) StatementHashes(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	err := eachRowIn(ctx, r, `id`, ids, func(cond string) string {
		return `SELECT id, content_hash FROM xapi_statements WHERE ` + cond
	}, nil, func(rows *sql.Rows) error {
		var id, h string
		if err := rows.Scan(&id, &h); err != nil {
			return err
		}
		out[id] = h
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: hashes of %d statements: %w", len(ids), err)
	}
	return out, nil
}

// Statement is an accepted xAPI statement as kept: its id, the key it
// came with, its content hash and verb (no personal value).
type Statement struct {
	ID, KeyID, ContentHash, Verb string
	StoredAt                     time.Time
}

// statementInsertRows is the most statements one INSERT carries.
const statementInsertRows = 128

// InsertStatements notes accepted xAPI statements, a few hundred rows to
// a statement.
func (tx *Tx) InsertStatements(ctx context.Context, sts []Statement) error {
	for len(sts) > 0 {
		part := sts[:rowsChunk(len(sts), statementInsertRows)]
		sts = sts[len(part):]
		args := make([]any, 0, 5*len(part))
		for _, s := range part {
			args = append(args, s.ID, s.KeyID, s.ContentHash, s.Verb, s.StoredAt.UnixMilli())
		}
		q := valuesSQL(tx.Dialect, `INSERT INTO xapi_statements (id, key_id, content_hash, verb, stored_at)`, len(part), 5)
		if _, err := tx.hotExec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: insert statements %s-%s: %w", part[0].ID, part[len(part)-1].ID, err)
		}
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
