package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"steward"
	"steward/account"
	"steward/learning"
)

// StatementHashes returns the content hashes of the accepted xAPI
// statements among ids, by id; an id never accepted is absent.
func (r *Reader) StatementHashes(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	err := eachRowByKey(ctx, r, `xapi_statements`, `id`, `id, content_hash`, ids, func(rows *sql.Rows) error {
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
// a statement (on PostgreSQL up to unnestRows, as arrays).
func (tx *Tx) InsertStatements(ctx context.Context, sts []Statement) error {
	const head = `INSERT INTO xapi_statements (id, key_id, content_hash, verb, stored_at)`
	for tx.Dialect == Postgres && len(sts) > 0 {
		part := sts[:min(len(sts), unnestRows)]
		sts = sts[len(part):]
		ids, keys, hashes, verbs, at := make([]string, len(part)), make([]string, len(part)), make([]string, len(part)), make([]string, len(part)), make([]int64, len(part))
		for i, s := range part {
			ids[i], keys[i], hashes[i], verbs[i], at[i] = s.ID, s.KeyID, s.ContentHash, s.Verb, s.StoredAt.UnixMilli()
		}
		if _, err := tx.hotExec(ctx, unnestSQL(head, "text", "text", "text", "text", "bigint"), ids, keys, hashes, verbs, at); err != nil {
			return fmt.Errorf("store: insert statements %s-%s: %w", part[0].ID, part[len(part)-1].ID, err)
		}
	}
	for len(sts) > 0 {
		part := sts[:rowsChunk(len(sts), statementInsertRows)]
		sts = sts[len(part):]
		args := make([]any, 0, 5*len(part))
		for _, s := range part {
			args = append(args, s.ID, s.KeyID, s.ContentHash, s.Verb, s.StoredAt.UnixMilli())
		}
		q := valuesSQL(tx.Dialect, head, len(part), 5)
		if _, err := tx.hotExec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: insert statements %s-%s: %w", part[0].ID, part[len(part)-1].ID, err)
		}
	}
	return nil
}

// CourseByLMSID returns the course whose learning-environment course id
// is lmsID (the first by slug, should two share it), with its points;
// ENOTFOUND for none.
func (r *Reader) CourseByLMSID(ctx context.Context, lmsID string) (*learning.Course, error) {
	c, err := r.courseWhere(ctx, `c.slug = (SELECT slug FROM courses WHERE lms_course_id = $1 AND lms_course_id <> '' ORDER BY slug LIMIT 1)`, lmsID)
	if err != nil && steward.ErrorCode(err) != steward.ENOTFOUND {
		return nil, fmt.Errorf("store: course of lms id %s: %w", lmsID, err)
	}
	return c, err
}

// LMSAccounts returns, of the records with ids, those of kind that are not
// anonymised, with the account each belongs to (xAPI actors: one read
// for every actor of a batch instead of two per actor). An id of another
// kind, of an anonymised record or of no record is left out; so is a
// record whose account is gone.
func (r *Reader) LMSAccounts(ctx context.Context, ids []int64, kind string) (map[int64]*account.Account, error) {
	out := make(map[int64]*account.Account, len(ids))
	err := eachRowIn(ctx, r, `r.id`, ids, func(cond string) string {
		return `SELECT r.id, ` + prefixed("a.", accountColumns) + ` FROM records r JOIN accounts a ON a.id = r.subject_id
			WHERE r.kind = $1 AND r.anonymised_at IS NULL AND ` + cond
	}, []any{kind}, func(rows *sql.Rows) error {
		var id int64
		a, err := scanAccountAfter(rows, &id)
		if err != nil {
			return err
		}
		out[id] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s records: %w", kind, err)
	}
	return out, nil
}

// SubjectsWithValue returns which of subjects have a live record of kind
// whose field holds one of values, as subject -> the values they hold
// (a batch's passes: who holds an accreditation for which course).
func (r *Reader) SubjectsWithValue(ctx context.Context, subjects []string, kind, field string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	err := eachRowIn(ctx, r, `r.subject_id`, subjects, func(cond string) string {
		return `SELECT r.subject_id, v.value FROM records r JOIN record_values v ON v.record_id = r.id
			WHERE r.kind = $1 AND r.anonymised_at IS NULL AND v.field = $2 AND ` + cond
	}, []any{kind, field}, func(rows *sql.Rows) error {
		var subject, value string
		if err := rows.Scan(&subject, &value); err != nil {
			return err
		}
		if out[subject] == nil {
			out[subject] = map[string]bool{}
		}
		out[subject][value] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s records' %s: %w", kind, field, err)
	}
	return out, nil
}
