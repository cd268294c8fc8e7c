package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LivePersons returns the ids of confirmed person accounts not anonymised
// (issue 19: the people an anonymised partner export is built from).
func (s *Store) LivePersons(ctx context.Context) ([]string, error) {
	ids, err := rowsOf(ctx, s.Reader, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT id FROM accounts WHERE role = '' AND anonymised_at IS NULL AND confirmed_at IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: live persons: %w", err)
	}
	return ids, nil
}

// EachProfileValueOf calls fn with every stored value of a profile record
// kind, for every account (issue 19). Sensitive values arrive sealed.
func (s *Store) EachProfileValueOf(ctx context.Context, record string, fn func(account, field, value string) error) error {
	err := s.eachRow(ctx, `SELECT account_id, field, value FROM profile_values WHERE record = $1`, []any{record},
		func(rows *sql.Rows) error {
			var a, f, v string
			if err := rows.Scan(&a, &f, &v); err != nil {
				return err
			}
			return fn(a, f, v)
		})
	if err != nil {
		return fmt.Errorf("store: profile values of %s: %w", record, err)
	}
	return nil
}

// EachRecordValueOfKind calls fn with every value of the records of a
// kind that are not anonymised, for every subject (issue 19).
func (s *Store) EachRecordValueOfKind(ctx context.Context, kind string, fn func(subject, field, value string) error) error {
	err := s.eachRow(ctx, `SELECT r.subject_id, v.field, v.value
		FROM records r JOIN record_values v ON v.record_id = r.id
		WHERE r.kind = $1 AND r.anonymised_at IS NULL ORDER BY r.id, v.field`, []any{kind},
		func(rows *sql.Rows) error {
			var sub, f, v string
			if err := rows.Scan(&sub, &f, &v); err != nil {
				return err
			}
			return fn(sub, f, v)
		})
	if err != nil {
		return fmt.Errorf("store: %s record values: %w", kind, err)
	}
	return nil
}

// PartnerExport is one anonymised export handed to a partner (issue 19):
// counts and the report's hash, no values.
type PartnerExport struct {
	ID           string
	Partner      string
	CreatedAt    time.Time
	Records      int
	Excluded     int
	Released     int
	Suppressed   int
	K, L         int
	ReportSHA256 string
}

// InsertPartnerExport records an export.
func (tx *Tx) InsertPartnerExport(ctx context.Context, e PartnerExport) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO partner_exports (id, partner, created_at, records, excluded, released,
		suppressed, k, l, report_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.ID, e.Partner, e.CreatedAt.UnixMilli(), e.Records, e.Excluded, e.Released, e.Suppressed, e.K, e.L, e.ReportSHA256)
	if err != nil {
		return fmt.Errorf("store: insert partner export %s: %w", e.ID, err)
	}
	return nil
}

// PartnerExports returns a partner's exports, newest first.
func (s *Store) PartnerExports(ctx context.Context, partner string) ([]PartnerExport, error) {
	out, err := rowsOf(ctx, s.Reader, func(r *sql.Rows) (PartnerExport, error) {
		var e PartnerExport
		var at int64
		err := r.Scan(&e.ID, &e.Partner, &at, &e.Records, &e.Excluded, &e.Released, &e.Suppressed, &e.K, &e.L, &e.ReportSHA256)
		e.CreatedAt = time.UnixMilli(at).UTC()
		return e, err
	}, `SELECT id, partner, created_at, records, excluded, released, suppressed, k, l, report_sha256
		FROM partner_exports WHERE partner = $1 ORDER BY created_at DESC, id DESC`, partner)
	if err != nil {
		return nil, fmt.Errorf("store: partner exports of %s: %w", partner, err)
	}
	return out, nil
}
