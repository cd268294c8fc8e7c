package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"steward/catalogue"
)

// Reads a tailored mailing needs (issue 18 item 6): for one batch of
// recipients at a time, the values of their records of a kind and of one
// profile field, and once per run the catalogue's items added in a
// window. Which kinds and fields may be read is the caller's decision
// (the fields the policy declares for the purpose).

// RecordValuesFor returns, per subject of subjects, the values of each of
// their records of kind that is not anonymised, oldest record first.
func (r *Reader) RecordValuesFor(ctx context.Context, kind string, subjects []string) (map[string][]map[string]string, error) {
	out := make(map[string][]map[string]string)
	var lastID int64
	var cur map[string]string
	err := eachRowIn(ctx, r, "r.subject_id", subjects, func(cond string) string {
		// records_subject (subject_id, kind) finds each subject's records.
		return `SELECT r.subject_id, r.id, v.field, v.value FROM records r JOIN record_values v ON v.record_id = r.id
			WHERE r.kind = $1 AND r.anonymised_at IS NULL AND ` + cond + ` ORDER BY r.subject_id, r.id`
	}, []any{kind}, func(rows *sql.Rows) error {
		var subj, field, value string
		var id int64
		if err := rows.Scan(&subj, &id, &field, &value); err != nil {
			return err
		}
		if id != lastID || cur == nil {
			cur = map[string]string{}
			out[subj] = append(out[subj], cur)
			lastID = id
		}
		cur[field] = value
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: record values of %s: %w", kind, err)
	}
	return out, nil
}

// ProfileValuesFor returns the value of one profile field of each of
// subjects that has one (a field stored in plain text: a sealed one
// stays sealed).
func (r *Reader) ProfileValuesFor(ctx context.Context, record, field string, subjects []string) (map[string]string, error) {
	out := make(map[string]string)
	err := eachRowIn(ctx, r, "account_id", subjects, func(cond string) string {
		// The primary key (account_id, record, field) serves it.
		return `SELECT account_id, value FROM profile_values WHERE record = $1 AND field = $2 AND ` + cond
	}, []any{record, field}, func(rows *sql.Rows) error {
		var id, v string
		err := rows.Scan(&id, &v)
		out[id] = v
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: profile values of %s.%s: %w", record, field, err)
	}
	return out, nil
}

// CatalogueAdded returns the offered items first imported after since and
// no later than until, in id order: what a mailing calls new. The
// catalogue is site content of a bounded size, read once per run.
func (r *Reader) CatalogueAdded(ctx context.Context, since, until time.Time) ([]catalogue.Item, error) {
	out, err := rowsOf(ctx, r, func(rows *sql.Rows) (catalogue.Item, error) { return scanCatalogueItem(rows) },
		`SELECT `+catalogueColumns+` FROM catalogue_items WHERE retired_at IS NULL AND created_at > $1 AND created_at <= $2 ORDER BY id`,
		since.UnixMilli(), until.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: catalogue added: %w", err)
	}
	return out, nil
}

// PreviousNewsletterIssue returns when the newest finished run of another
// issue than contentHash for purpose started: what "new since the last
// issue" counts from. Runs of the same issue do not count, so every run
// of one issue (a resumed one, a later one for new subscribers) counts
// from the same point.
func (r *Reader) PreviousNewsletterIssue(ctx context.Context, purpose, contentHash string) (time.Time, bool, error) {
	var ms sql.NullInt64
	err := r.q.QueryRowContext(ctx, `SELECT MAX(created_at) FROM newsletter_sends WHERE purpose = $1 AND content_hash <> $2 AND finished_at IS NOT NULL`,
		purpose, contentHash).Scan(&ms)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: previous newsletter issue: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64).UTC(), true, nil
}
