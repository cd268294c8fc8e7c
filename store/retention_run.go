package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Warning is a retention warning sent (or being sent) for one target and
// rule (Z9), joined with its outbox mail's state.
type Warning struct {
	TargetKind, TargetID, Rule, Subject string
	// AnchorAt is the anchor the warning was about; a login moves the
	// anchor and makes the warning stale.
	AnchorAt time.Time
	DueAt    time.Time
	MailID   int64
	WarnedAt time.Time
	// SentAt is when the mail went out; zero while it has not.
	SentAt time.Time
	// MailStatus is the outbox state: pending, sent, failed, or "" when the
	// outbox row is gone (pruned or dropped).
	MailStatus MailStatus
}

// WarningsFor returns the warnings of the given targets of one kind, keyed
// by target id and then rule id, with the outbox state of their mails; in a
// transaction (a run) or outside one (plans, the staff page).
func (r *Reader) WarningsFor(ctx context.Context, kind string, targets []string) (map[string]map[string]Warning, error) {
	out := map[string]map[string]Warning{}
	err := eachRowIn(ctx, r, "w.target_id", targets, func(cond string) string {
		return `SELECT w.target_id, w.rule_id, w.subject_id, w.anchor_at, w.due_at, w.mail_id, w.warned_at,
			COALESCE(w.sent_at, o.sent_at), COALESCE(o.status, '')
		FROM retention_warnings w LEFT JOIN outbox o ON o.id = w.mail_id
		WHERE w.target_kind = $1 AND ` + cond
	}, []any{kind}, func(rows *sql.Rows) error {
		w := Warning{TargetKind: kind}
		var anchor, due, warned int64
		var sent sql.NullInt64
		var status string
		if err := rows.Scan(&w.TargetID, &w.Rule, &w.Subject, &anchor, &due, &w.MailID, &warned, &sent, &status); err != nil {
			return err
		}
		w.AnchorAt = time.UnixMilli(anchor).UTC()
		w.DueAt = time.UnixMilli(due).UTC()
		w.WarnedAt = time.UnixMilli(warned).UTC()
		w.SentAt = fromNullMillis(sent)
		w.MailStatus = MailStatus(status)
		if out[w.TargetID] == nil {
			out[w.TargetID] = map[string]Warning{}
		}
		out[w.TargetID][w.Rule] = w
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: retention warnings: %w", err)
	}
	return out, nil
}

// PutWarning records that a warning mail was enqueued for a target and
// rule, replacing an earlier (stale or failed) one.
func (tx *Tx) PutWarning(ctx context.Context, w Warning) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO retention_warnings (target_kind, target_id, rule_id, subject_id, anchor_at, due_at, mail_id, warned_at, sent_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)
		ON CONFLICT (target_kind, target_id, rule_id) DO UPDATE SET subject_id = excluded.subject_id, anchor_at = excluded.anchor_at,
			due_at = excluded.due_at, mail_id = excluded.mail_id, warned_at = excluded.warned_at, sent_at = NULL`,
		w.TargetKind, w.TargetID, w.Rule, w.Subject, w.AnchorAt.UnixMilli(), w.DueAt.UnixMilli(), w.MailID, w.WarnedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: put retention warning %s/%s: %w", w.TargetKind, w.TargetID, err)
	}
	return nil
}

// MarkWarningSent copies the outbox's send time into the warning, so the
// proof survives pruning of the outbox.
func (tx *Tx) MarkWarningSent(ctx context.Context, kind, target, rule string, sent time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE retention_warnings SET sent_at = $1 WHERE target_kind = $2 AND target_id = $3 AND rule_id = $4`,
		sent.UnixMilli(), kind, target, rule)
	if err != nil {
		return fmt.Errorf("store: mark retention warning %s/%s sent: %w", kind, target, err)
	}
	return nil
}

// DropWarning removes a stale warning (the person logged in since).
func (tx *Tx) DropWarning(ctx context.Context, kind, target, rule string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM retention_warnings WHERE target_kind = $1 AND target_id = $2 AND rule_id = $3`, kind, target, rule)
	if err != nil {
		return fmt.Errorf("store: drop retention warning %s/%s: %w", kind, target, err)
	}
	return nil
}

// RetentionLeaseName is the lease every retention runner takes.
const RetentionLeaseName = "retention"

// AcquireLease takes the named lease for holder until now+ttl if it is free,
// expired, or already the holder's. It reports whether holder has it. Two
// processes racing both run the same single-row upsert; the database lets
// exactly one of them win.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	var got bool
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO retention_lease (name, holder, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE retention_lease.expires_at <= $4 OR retention_lease.holder = excluded.holder`,
			name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		got = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: acquire lease %s: %w", name, err)
	}
	return got, nil
}

// RenewLease extends the holder's lease inside a batch's transaction. It
// reports false when the holder lost the lease (it expired and another
// runner took it); the batch must then roll back, so a runner that stalled
// past its lease never acts next to the one that took over.
func (tx *Tx) RenewLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := tx.hotExec(ctx, `UPDATE retention_lease SET expires_at = $1 WHERE name = $2 AND holder = $3`,
		now.Add(ttl).UnixMilli(), name, holder)
	if err != nil {
		return false, fmt.Errorf("store: renew lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: renew lease %s: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease gives the lease up, if holder still has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	err := s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM retention_lease WHERE name = $1 AND holder = $2`, name, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: release lease %s: %w", name, err)
	}
	return nil
}

// SubjectEmail returns the address of a subject's account for a warning
// mail, "" when there is none (a visitor, or an anonymised account).
func (tx *Tx) SubjectEmail(ctx context.Context, subject string) (string, error) {
	var email string
	err := tx.QueryRowContext(ctx, `SELECT email FROM accounts WHERE id = $1 AND anonymised_at IS NULL`, subject).Scan(&email)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: address of %s: %w", subject, err)
	}
	return email, nil
}

// RestrictedSubjects returns those of subjects whose processing is
// restricted (Art. 18, Z8; processing_limits of kind restriction, migration
// 0005), for the retention domain's legal holds (retention.LegalHolds). In
// a transaction (a retention batch) it reads the batch's table of subjects
// (batchIn), which the page's record counts have already filled.
func (r *Reader) RestrictedSubjects(ctx context.Context, subjects []string) ([]string, error) {
	return r.subjectsWhere(ctx, "restricted subjects", `SELECT DISTINCT subject FROM processing_limits WHERE kind = 'restriction' AND `, "subject", subjects)
}

// SubjectsWithOpenRequests returns those of subjects with a data-subject
// request not yet closed (R13; requests, migration 0007), for the
// retention domain's legal holds (retention.LegalHolds); in a transaction
// from the batch's table, as RestrictedSubjects.
func (r *Reader) SubjectsWithOpenRequests(ctx context.Context, subjects []string) ([]string, error) {
	return r.subjectsWhere(ctx, "subjects with open requests", `SELECT DISTINCT subject_id FROM requests WHERE closed_on = 0 AND `, "subject_id", subjects)
}

// subjectsWhere runs query, completed with "col is one of subjects", and
// returns the ids it selects.
func (r *Reader) subjectsWhere(ctx context.Context, what, query, col string, subjects []string) ([]string, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	cond, args, err := r.batchIn(ctx, col, 1, subjects)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	var out []string
	err = r.eachHotRow(ctx, query+cond, args, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		out = append(out, id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}
