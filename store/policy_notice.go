package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ownKindTables are the tables of the record kinds Steward keeps outside
// records and profile_values, with the column naming the person (R4: the
// kinds the policies declare for them).
var ownKindTables = map[string]string{
	"consent":           "SELECT subject FROM consent_state",
	"login_session":     "SELECT account_id FROM sessions",
	"mail":              "SELECT subject_id FROM outbox WHERE subject_id IS NOT NULL AND subject_id <> ''",
	"retention_warning": "SELECT subject_id FROM retention_warnings",
	"privacy_request":   "SELECT subject_id FROM requests",
	"disclosure":        "SELECT subject_id FROM disclosures",
	"staff_view":        "SELECT subject_id FROM staff_views",
	NewsletterRecord:    "SELECT id FROM newsletter_subscriptions",
}

// holders is the query of the people who hold data of any of kinds now,
// one column named holder, with kinds as parameter $1.
func (r *Reader) holders(kinds []string) (string, any) {
	cond, arg := in(r.dialect, "record", 1, kinds)
	kcond, _ := in(r.dialect, "kind", 1, kinds)
	parts := []string{
		`SELECT account_id AS holder FROM profile_values WHERE ` + cond,
		`SELECT subject_id FROM records WHERE anonymised_at IS NULL AND ` + kcond,
	}
	if slices.Contains(kinds, "account") {
		parts = append(parts, `SELECT id FROM accounts WHERE anonymised_at IS NULL`)
	}
	for _, k := range kinds {
		if q, ok := ownKindTables[k]; ok {
			parts = append(parts, q)
		}
	}
	return `SELECT holder FROM (` + strings.Join(parts, " UNION ") + `) holders WHERE holder IS NOT NULL AND holder <> ''`, arg
}

// CountHolders counts the people who hold data of any of kinds now: an
// account (the account kind), a profile value of the kind, a record of
// the kind not anonymised, or a row of one of Steward's own tables for it
// (issue 20: who a policy change concerns directly).
func (r *Reader) CountHolders(ctx context.Context, kinds []string) (int, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	q, arg := r.holders(kinds)
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+q+`) h`, arg).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count holders of %v: %w", kinds, err)
	}
	return n, nil
}

// HolderSubjects lists, in keyset order after after, at most limit of the
// people CountHolders counts: whom a personal mail about the change goes
// to (issue 20).
func (r *Reader) HolderSubjects(ctx context.Context, kinds []string, after string, limit int) ([]string, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	q, arg := r.holders(kinds)
	out, err := rowsOf(ctx, r, scanString, `SELECT holder FROM (`+q+`) h WHERE holder > $2 ORDER BY holder LIMIT $3`, arg, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: holders of %v: %w", kinds, err)
	}
	return out, nil
}

// ConsentSubjectsOn lists, in keyset order after after, at most limit of
// the people CountConsentsOn counts.
func (r *Reader) ConsentSubjectsOn(ctx context.Context, purpose string, hashes []string, after string, limit int) ([]string, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	cond, arg := in(r.dialect, "notice_hash", 2, hashes)
	out, err := rowsOf(ctx, r, scanString, `SELECT subject FROM consent_state WHERE purpose = $1 AND given = 1 AND `+cond+`
		AND subject > $3 ORDER BY subject LIMIT $4`, purpose, arg, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: consents on %s: %w", purpose, err)
	}
	return out, nil
}

// Recipient is where a personal mail to a subject goes and in which
// language; Lang is "" when the person never chose one.
type Recipient struct {
	Email string
	Lang  string
}

// Recipients returns the address and language of each of subjects that
// has one: an account not anonymised, or a confirmed newsletter sign-up
// (its language). An account's language is that of the consent notice
// it last answered, if any.
func (r *Reader) Recipients(ctx context.Context, subjects []string) (map[string]Recipient, error) {
	out := make(map[string]Recipient, len(subjects))
	err := eachRowIn(ctx, r, "id", subjects, func(cond string) string {
		return `SELECT id, email, lang FROM newsletter_subscriptions WHERE confirmed_at IS NOT NULL AND ` + cond + `
			UNION ALL SELECT id, email, '' FROM accounts WHERE anonymised_at IS NULL AND ` + cond
	}, nil, func(rows *sql.Rows) error {
		var id string
		var rc Recipient
		err := rows.Scan(&id, &rc.Email, &rc.Lang)
		if rc.Email != "" {
			out[id] = rc
		}
		return err
	})
	if err == nil {
		err = eachRowIn(ctx, r, "s.subject", subjects, func(cond string) string {
			return `SELECT s.subject, n.lang FROM consent_state s JOIN consent_notices n ON n.hash = s.notice_hash
				WHERE ` + cond + ` ORDER BY s.at, s.record_id`
		}, nil, func(rows *sql.Rows) error {
			var id, lang string
			err := rows.Scan(&id, &lang)
			if rc, ok := out[id]; ok && err == nil {
				rc.Lang = lang
				out[id] = rc
			}
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("store: recipients: %w", err)
	}
	return out, nil
}

// PolicyNoticeMailed returns which of subjects were already mailed about
// version n of the site's policy.
func (r *Reader) PolicyNoticeMailed(ctx context.Context, siteID string, n int, subjects []string) (map[string]bool, error) {
	out := make(map[string]bool, len(subjects))
	err := eachRowIn(ctx, r, "subject_id", subjects, func(cond string) string {
		return `SELECT subject_id FROM policy_notice_mails WHERE site_id = $1 AND n = $2 AND ` + cond
	}, []any{siteID, n}, func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		out[id] = true
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: policy notice mails: %w", err)
	}
	return out, nil
}

// RecordPolicyNoticeMail notes, in the transaction that queued it, that
// subject was mailed about version n. The primary key refuses a second
// row: nobody is mailed twice about one version.
func (tx *Tx) RecordPolicyNoticeMail(ctx context.Context, siteID string, n int, subject string, outboxID int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO policy_notice_mails (site_id, n, subject_id, outbox_id, queued_at) VALUES ($1, $2, $3, $4, $5)`,
		siteID, n, subject, outboxID, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: record policy notice mail: %w", err)
	}
	return nil
}

// PolicyNoticeMails counts the personal mails queued about version n.
func (r *Reader) PolicyNoticeMails(ctx context.Context, siteID string, n int) (int, error) {
	var c int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_notice_mails WHERE site_id = $1 AND n = $2`, siteID, n).Scan(&c)
	if err != nil {
		return 0, fmt.Errorf("store: count policy notice mails: %w", err)
	}
	return c, nil
}

// PolicyNoticeDismissed reports whether account dismissed the banner
// about version n.
func (r *Reader) PolicyNoticeDismissed(ctx context.Context, siteID string, n int, account string) (bool, error) {
	var c int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_notice_dismissals WHERE site_id = $1 AND n = $2 AND account_id = $3`,
		siteID, n, account).Scan(&c)
	if err != nil {
		return false, fmt.Errorf("store: policy notice dismissed: %w", err)
	}
	return c > 0, nil
}

// DismissPolicyNotice remembers that account dismissed the banner about
// version n; doing it again changes nothing.
func (tx *Tx) DismissPolicyNotice(ctx context.Context, siteID string, n int, account string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO policy_notice_dismissals (site_id, n, account_id, dismissed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (site_id, n, account_id) DO NOTHING`, siteID, n, account, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: dismiss policy notice: %w", err)
	}
	return nil
}

// LastNewsletterIssue returns when the newest finished newsletter send of
// purpose started; ok is false when none finished yet.
func (r *Reader) LastNewsletterIssue(ctx context.Context, purpose string) (at time.Time, ok bool, err error) {
	var ms sql.NullInt64
	err = r.q.QueryRowContext(ctx, `SELECT MAX(created_at) FROM newsletter_sends WHERE purpose = $1 AND finished_at IS NOT NULL`, purpose).Scan(&ms)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: last newsletter issue: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64).UTC(), true, nil
}

// CountConsentsOn counts the people whose consent for purpose stands now
// and was given with one of the notice texts hashes names (issue 20: a
// consent notice reworded in substance asks them again).
func (r *Reader) CountConsentsOn(ctx context.Context, purpose string, hashes []string) (int, error) {
	if len(hashes) == 0 {
		return 0, nil
	}
	cond, arg := in(r.dialect, "notice_hash", 2, hashes)
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM consent_state WHERE purpose = $1 AND given = 1 AND `+cond, purpose, arg).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count consents on %s: %w", purpose, err)
	}
	return n, nil
}
