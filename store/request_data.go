package store

import (
	"context"
	"fmt"
)

// EachRecordOfKind calls fn for each of a subject's records of one kind
// that is not anonymised, with its values, in id order, from one query
// (the "My data" page and the export, Art. 15 and 20 GDPR): a person with
// ten thousand records costs a round trip per kind, not ten thousand. Per
// kind, because the query then walks records_subject (subject_id, kind) in
// index order — on SQLite the rowid rides in the index, so no sort — and
// the export streams one kind at a time. fn must not keep rec after it
// returns; the Values map is fresh for every record.
func (s *Store) EachRecordOfKind(ctx context.Context, subject, kind string, fn func(rec Record) error) error {
	rows, err := s.read.QueryContext(ctx, `SELECT r.id, r.created_at, r.confirmed_at, r.last_login_at,
			r.last_activity_at, v.field, v.value
		FROM records r LEFT JOIN record_values v ON v.record_id = r.id
		WHERE r.subject_id = $1 AND r.kind = $2 AND r.anonymised_at IS NULL
		ORDER BY r.id`, subject, kind)
	if err != nil {
		return fmt.Errorf("store: %s records of %s: %w", kind, subject, err)
	}
	defer rows.Close()
	return eachRecordRow(rows, subject, kind, fn)
}

// SubjectLanguage returns the language a person last gave or refused
// consent in — the language of the notice they were shown (Art. 7(2):
// consent asked in clear and plain language, theirs) — or "" when they
// have no consent record. The rights desk writes to them in it.
func (tx *Tx) SubjectLanguage(ctx context.Context, subject string) (string, error) {
	var lang string
	err := tx.QueryRowContext(ctx, `SELECT n.lang FROM consent_records c JOIN consent_notices n ON n.hash = c.notice_hash
		WHERE c.subject = $1 ORDER BY c.id DESC LIMIT 1`, subject).Scan(&lang)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: language of %s: %w", subject, err)
	}
	return lang, nil
}
