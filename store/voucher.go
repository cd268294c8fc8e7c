package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"steward"
	"steward/voucher"
)

// Vouchers (issue 17: R6, migration 0027): batches, their codes by hash,
// redemption, and the rows of the creator's report.

const batchColumns = `b.id, b.organisation_id, b.course_slug, b.label, b.count, b.expires_at, b.created_by, b.created_at`

func scanBatch(r interface{ Scan(...any) error }, extra ...any) (*voucher.Batch, error) {
	var b voucher.Batch
	var exp, created int64
	err := r.Scan(append([]any{&b.ID, &b.Organisation, &b.Course, &b.Label, &b.Count, &exp, &b.CreatedBy, &created}, extra...)...)
	b.ExpiresAt, b.CreatedAt = millis(exp), millis(created)
	return &b, err
}

// InsertVoucherBatch stores a batch and the hashes of its codes.
func (tx *Tx) InsertVoucherBatch(ctx context.Context, b *voucher.Batch, hashes []string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO voucher_batches (id, organisation_id, course_slug, label, count, expires_at, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		b.ID, b.Organisation, b.Course, b.Label, b.Count, b.ExpiresAt.UnixMilli(), b.CreatedBy, b.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: insert voucher batch %s: %w", b.ID, err)
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO vouchers (code_hash, batch_id) VALUES ($1, $2)`, h, b.ID); err != nil {
			return fmt.Errorf("store: insert voucher of batch %s: %w", b.ID, err)
		}
	}
	return nil
}

// VoucherByHash returns the batch of the code with hash and whether the
// code was redeemed; ENOTFOUND (error.voucher_invalid) for no such code.
// The batch's Redeemed counts its redeemed codes.
func (r *Reader) VoucherByHash(ctx context.Context, hash string) (*voucher.Batch, bool, error) {
	var redeemed sql.NullInt64
	row := r.q.QueryRowContext(ctx, `SELECT `+batchColumns+`, v.redeemed_at,
		(SELECT COUNT(*) FROM vouchers u WHERE u.batch_id = b.id AND u.redeemed_at IS NOT NULL)
		FROM vouchers v JOIN voucher_batches b ON b.id = v.batch_id WHERE v.code_hash = $1`, hash)
	var n int
	b, err := scanBatch(row, &redeemed, &n)
	if isNoRows(err) {
		return nil, false, steward.Errorf(steward.ENOTFOUND, "error.voucher_invalid")
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: voucher: %w", err)
	}
	b.Redeemed = n
	return b, redeemed.Valid, nil
}

// VoucherRedemption is what redeeming a code records.
type VoucherRedemption struct {
	Hash          string
	RecordID      int64
	At            time.Time
	NoticeHash    string
	NoticeLang    string
	PolicyVersion string
}

// RedeemVoucher marks the code redeemed, unless it already is (ECONFLICT,
// error.voucher_invalid: a second redemption changes nothing).
func (tx *Tx) RedeemVoucher(ctx context.Context, v VoucherRedemption) error {
	res, err := tx.ExecContext(ctx, `UPDATE vouchers SET redeemed_at = $2, record_id = $3, notice_hash = $4, notice_lang = $5, policy_version = $6
		WHERE code_hash = $1 AND redeemed_at IS NULL`, v.Hash, v.At.UnixMilli(), v.RecordID, v.NoticeHash, v.NoticeLang, v.PolicyVersion)
	if err != nil {
		return fmt.Errorf("store: redeem voucher: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return steward.Errorf(steward.ECONFLICT, "error.voucher_invalid")
	}
	return nil
}

// VoucherBatches lists an organisation's batches, newest first, with
// their redeemed counts.
func (s *Store) VoucherBatches(ctx context.Context, org string) ([]*voucher.Batch, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (*voucher.Batch, error) {
		var n int
		b, err := scanBatch(rows, &n)
		b.Redeemed = n
		return b, err
	}, `SELECT `+batchColumns+`, (SELECT COUNT(*) FROM vouchers u WHERE u.batch_id = b.id AND u.redeemed_at IS NOT NULL)
		FROM voucher_batches b WHERE b.organisation_id = $1 ORDER BY b.created_at DESC, b.id`, org)
	if err != nil {
		return nil, fmt.Errorf("store: voucher batches of %s: %w", org, err)
	}
	return out, nil
}

// VoucherSeen is a person's redeemed voucher with the notice they
// confirmed (My data, the export).
type VoucherSeen struct {
	RecordID      int64
	NoticeHash    string
	NoticeLang    string
	PolicyVersion string
	RedeemedAt    time.Time
}

// VouchersOf lists the redemptions behind a person's voucher records.
func (s *Store) VouchersOf(ctx context.Context, subject string) ([]VoucherSeen, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (VoucherSeen, error) {
		var v VoucherSeen
		var at int64
		err := rows.Scan(&v.RecordID, &v.NoticeHash, &v.NoticeLang, &v.PolicyVersion, &at)
		v.RedeemedAt = millis(at)
		return v, err
	}, `SELECT v.record_id, v.notice_hash, v.notice_lang, v.policy_version, v.redeemed_at
		FROM vouchers v JOIN records r ON r.id = v.record_id
		WHERE r.subject_id = $1 AND r.kind = $2 ORDER BY v.redeemed_at, v.record_id`, subject, voucher.Kind)
	if err != nil {
		return nil, fmt.Errorf("store: vouchers of %s: %w", subject, err)
	}
	return out, nil
}

// ReportRow is one redeemer in an organisation's voucher report: the
// values of the report's columns by "kind.field". Subject is for the
// staff view only; pages never show it.
type ReportRow struct {
	Subject string
	Course  string
	Values  map[string]string
}

// VoucherReport returns the redeemers of an organisation's vouchers, per
// course, with the values of cols (kind.field: account fields from the
// profile, voucher fields from the redeemer's voucher record, learning
// result fields from their learning_result record for that course). A
// redeemer whose voucher record is gone (erased) or anonymised, and one
// with a restriction or objection for purpose (or every purpose), is not
// in it. Three reads whatever the number of redeemers.
func (s *Store) VoucherReport(ctx context.Context, org, purpose string, cols []voucher.Column) ([]ReportRow, error) {
	var rows []ReportRow
	var ids []int64
	byRecord := map[int64]int{}
	bySubject := map[string][]int{}
	err := s.eachRow(ctx, `SELECT r.id, r.subject_id, b.course_slug FROM vouchers v
		JOIN voucher_batches b ON b.id = v.batch_id
		JOIN records r ON r.id = v.record_id
		WHERE b.organisation_id = $1 AND r.anonymised_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM processing_limits l WHERE l.subject = r.subject_id AND l.purpose IN ($2, '*'))
		ORDER BY b.course_slug, v.redeemed_at, r.id`, []any{org, purpose}, func(sr *sql.Rows) error {
		var row ReportRow
		var id int64
		if err := sr.Scan(&id, &row.Subject, &row.Course); err != nil {
			return err
		}
		row.Values = map[string]string{}
		byRecord[id] = len(rows)
		bySubject[row.Subject] = append(bySubject[row.Subject], len(rows))
		ids = append(ids, id)
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: voucher report of %s: %w", org, err)
	}
	want := map[string]bool{}
	for _, c := range cols {
		want[c.ID()] = true
	}
	subjects := make([]string, 0, len(bySubject))
	for s := range bySubject {
		subjects = append(subjects, s)
	}
	// The voucher records' own values.
	err = eachRowIn(ctx, s.Reader, "record_id", ids, func(cond string) string {
		return `SELECT record_id, field, value FROM record_values WHERE ` + cond
	}, nil, func(sr *sql.Rows) error {
		var id int64
		var f, v string
		if err := sr.Scan(&id, &f, &v); err != nil {
			return err
		}
		if want[voucher.Kind+"."+f] {
			rows[byRecord[id]].Values[voucher.Kind+"."+f] = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: voucher report of %s: %w", org, err)
	}
	// The account's profile fields.
	err = eachRowIn(ctx, s.Reader, "account_id", subjects, func(cond string) string {
		return `SELECT account_id, field, value FROM profile_values WHERE record = 'account' AND ` + cond
	}, nil, func(sr *sql.Rows) error {
		var sub, f, v string
		if err := sr.Scan(&sub, &f, &v); err != nil {
			return err
		}
		if want["account."+f] {
			for _, i := range bySubject[sub] {
				rows[i].Values["account."+f] = v
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: voucher report of %s: %w", org, err)
	}
	// Learning results, matched to the row of their course.
	results := map[int64]map[string]string{}
	resultOf := map[int64]string{}
	err = eachRowIn(ctx, s.Reader, "r.subject_id", subjects, func(cond string) string {
		return `SELECT r.id, r.subject_id, rv.field, rv.value FROM records r JOIN record_values rv ON rv.record_id = r.id
			WHERE r.kind = 'learning_result' AND r.anonymised_at IS NULL AND ` + cond
	}, nil, func(sr *sql.Rows) error {
		var id int64
		var sub, f, v string
		if err := sr.Scan(&id, &sub, &f, &v); err != nil {
			return err
		}
		if results[id] == nil {
			results[id] = map[string]string{}
		}
		results[id][f] = v
		resultOf[id] = sub
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: voucher report of %s: %w", org, err)
	}
	for id, vals := range results {
		for _, i := range bySubject[resultOf[id]] {
			if rows[i].Course != vals["course"] {
				continue
			}
			for f, v := range vals {
				if want["learning_result."+f] {
					rows[i].Values["learning_result."+f] = v
				}
			}
		}
	}
	return rows, nil
}
