package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"steward"
)

// NewsletterSubscription is a newsletter sign-up without an account (R2).
type NewsletterSubscription struct {
	ID    string
	Email string
	// Fields holds the declared fields as a JSON object (R4).
	Fields      string
	Lang        string
	NoticeHash  string
	CreatedAt   time.Time
	ConfirmedAt *time.Time
}

// CreateNewsletterSubscription stores an unconfirmed sign-up with the hash
// of its confirmation token. An address that already has a sign-up is an
// ECONFLICT error: a new submission for it renews that sign-up instead
// (RenewNewsletterSignUp).
func (tx *Tx) CreateNewsletterSubscription(ctx context.Context, n NewsletterSubscription, confirmHash string, expires time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO newsletter_subscriptions (id, email, email_key, fields, lang, notice_hash, created_at, confirm_hash, confirm_expires)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, n.ID, n.Email, strings.ToLower(n.Email), n.Fields, n.Lang, n.NoticeHash,
		n.CreatedAt.UnixMilli(), confirmHash, expires.UnixMilli())
	if err != nil && isUniqueViolation(err) {
		return steward.Errorf(steward.ECONFLICT, "error.address_has_already_signed")
	}
	if err != nil {
		return fmt.Errorf("store: create newsletter sign-up: %w", err)
	}
	return nil
}

// RenewNewsletterSignUp gives an existing sign-up, found by id, what a
// new submission for its address brought: the fields, language and notice
// hash of that submission, its time as created_at (so the purge of
// unconfirmed sign-ups counts from it) and a new confirmation token hash.
// The previous token no longer matches anything, so its link is void.
// confirmed_at is left as it is: a new confirmation sets it again.
func (tx *Tx) RenewNewsletterSignUp(ctx context.Context, n NewsletterSubscription, confirmHash string, expires time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE newsletter_subscriptions SET email = $2, fields = $3, lang = $4, notice_hash = $5,
			created_at = $6, confirm_hash = $7, confirm_expires = $8
		WHERE id = $1 AND email_key = $9`, n.ID, n.Email, n.Fields, n.Lang, n.NoticeHash, n.CreatedAt.UnixMilli(),
		confirmHash, expires.UnixMilli(), strings.ToLower(n.Email))
	if err != nil {
		return fmt.Errorf("store: renew newsletter sign-up: %w", err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return steward.Errorf(steward.ENOTFOUND, "error.no_newsletter_signup")
	}
	return nil
}

// SetNewsletterFields replaces a sign-up's declared fields (a JSON object,
// R4) with what a rectification made of them; its address is not among
// what changes (email and email_key stay).
func (tx *Tx) SetNewsletterFields(ctx context.Context, id, fields string) error {
	return tx.execOne(ctx, "set fields of newsletter sign-up "+id, `UPDATE newsletter_subscriptions SET fields = $1 WHERE id = $2`, fields, id)
}

// NewsletterByEmail returns the sign-up of an address, or ENOTFOUND.
func (r *Reader) NewsletterByEmail(ctx context.Context, email string) (NewsletterSubscription, error) {
	return r.newsletterWhere(ctx, `email_key = $1`, strings.ToLower(email))
}

// NewsletterByID returns a sign-up by id, or ENOTFOUND.
func (r *Reader) NewsletterByID(ctx context.Context, id string) (NewsletterSubscription, error) {
	return r.newsletterWhere(ctx, `id = $1`, id)
}

func (r *Reader) newsletterWhere(ctx context.Context, where string, arg any) (NewsletterSubscription, error) {
	var n NewsletterSubscription
	var created int64
	var confirmed sql.NullInt64
	err := r.q.QueryRowContext(ctx, `SELECT id, email, fields, lang, notice_hash, created_at, confirmed_at FROM newsletter_subscriptions WHERE `+where, arg).
		Scan(&n.ID, &n.Email, &n.Fields, &n.Lang, &n.NoticeHash, &created, &confirmed)
	if errors.Is(err, sql.ErrNoRows) {
		return n, steward.Errorf(steward.ENOTFOUND, "error.no_newsletter_signup")
	}
	if err != nil {
		return n, fmt.Errorf("store: newsletter sign-up: %w", err)
	}
	n.CreatedAt = time.UnixMilli(created).UTC()
	if confirmed.Valid {
		t := time.UnixMilli(confirmed.Int64).UTC()
		n.ConfirmedAt = &t
	}
	return n, nil
}

// ConfirmNewsletter uses a confirmation token (by hash): it marks the
// sign-up confirmed and clears the hash, so the link works once. An
// unknown, used, replaced or expired token is an EINVALID error and
// changes nothing; an expired one says so (error.newsletter_link_expired).
func (tx *Tx) ConfirmNewsletter(ctx context.Context, confirmHash string, now time.Time) (NewsletterSubscription, error) {
	var id string
	var expires int64
	err := tx.QueryRowContext(ctx, `SELECT id, confirm_expires FROM newsletter_subscriptions WHERE confirm_hash = $1`, confirmHash).Scan(&id, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return NewsletterSubscription{}, steward.Errorf(steward.EINVALID, "error.newsletter_link_invalid")
	}
	if err != nil {
		return NewsletterSubscription{}, fmt.Errorf("store: confirm newsletter: %w", err)
	}
	if now.UnixMilli() > expires {
		return NewsletterSubscription{}, steward.Errorf(steward.EINVALID, "error.newsletter_link_expired")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE newsletter_subscriptions SET confirmed_at = $2, confirm_hash = NULL, confirm_expires = NULL WHERE id = $1`,
		id, now.UnixMilli()); err != nil {
		return NewsletterSubscription{}, fmt.Errorf("store: confirm newsletter: %w", err)
	}
	return tx.NewsletterByID(ctx, id)
}

// NewsletterAddresses returns the address of each subject that has one: a
// confirmed sign-up's address, or an account's. Subjects without an
// address are left out.
func (r *Reader) NewsletterAddresses(ctx context.Context, subjects []string) (map[string]string, error) {
	out := make(map[string]string, len(subjects))
	err := eachRowIn(ctx, r, "id", subjects, func(cond string) string {
		// Both parts read the one parameter.
		return `SELECT id, email FROM newsletter_subscriptions WHERE confirmed_at IS NOT NULL AND ` + cond + `
			UNION ALL SELECT id, email FROM accounts WHERE ` + cond
	}, nil, func(rows *sql.Rows) error {
		var id, email string
		err := rows.Scan(&id, &email)
		out[id] = email
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: newsletter addresses: %w", err)
	}
	return out, nil
}

// LockConsentStates holds the current consent state of subjects for
// purpose until the caller's transaction ends, so a change of it waits
// (PostgreSQL: SELECT ... FOR SHARE; AppendConsent's upsert needs the row
// lock). A newsletter batch takes it before it reads who may get the
// issue: a withdrawal then commits either before the read, which sees
// it, or after the batch, whose queued mail it deletes (DropUnsentMail).
// Without it, on PostgreSQL a withdrawal could commit between the read
// and the batch's commit and miss the mail. SQLite runs one writer at a
// time, so there it does nothing.
func (tx *Tx) LockConsentStates(ctx context.Context, purpose string, subjects []string) error {
	if tx.Dialect != Postgres {
		return nil
	}
	cond, arg := in(tx.Dialect, "subject", 2, subjects)
	rows, err := tx.QueryContext(ctx, `SELECT subject FROM consent_state WHERE purpose = $1 AND `+cond+`
		ORDER BY subject FOR SHARE`, purpose, arg)
	if err != nil {
		return fmt.Errorf("store: lock consent state: %w", err)
	}
	defer rows.Close()
	for rows.Next() { // the locks are what counts, not the rows
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: lock consent state: %w", err)
	}
	return nil
}

// NewsletterSend is one run of 'steward newsletter send'.
type NewsletterSend struct {
	ID          int64
	Purpose     string
	ContentHash string
	SubjectLine string
	Lang        string
	CreatedAt   time.Time
	Resumed     bool
}

// StartNewsletterSend returns the unfinished run of the same issue, with
// the time it started, or starts a new one: running the same command
// again resumes.
func (tx *Tx) StartNewsletterSend(ctx context.Context, n NewsletterSend) (NewsletterSend, error) {
	var started int64
	err := tx.QueryRowContext(ctx, `SELECT id, created_at FROM newsletter_sends WHERE content_hash = $1 AND purpose = $2 AND finished_at IS NULL ORDER BY id LIMIT 1`,
		n.ContentHash, n.Purpose).Scan(&n.ID, &started)
	if err == nil {
		n.Resumed, n.CreatedAt = true, millis(started)
		return n, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return n, fmt.Errorf("store: find newsletter run: %w", err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO newsletter_sends (purpose, content_hash, subject_line, lang, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		n.Purpose, n.ContentHash, n.SubjectLine, n.Lang, n.CreatedAt.UnixMilli()).Scan(&n.ID)
	if err != nil {
		return n, fmt.Errorf("store: start newsletter run: %w", err)
	}
	return n, nil
}

// NewsletterDelivered returns which of subjects run send has reached.
func (r *Reader) NewsletterDelivered(ctx context.Context, send int64, subjects []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := eachRowIn(ctx, r, "subject", subjects, func(cond string) string {
		return `SELECT subject FROM newsletter_deliveries WHERE send_id = $1 AND ` + cond
	}, []any{send}, func(rows *sql.Rows) error {
		var s string
		err := rows.Scan(&s)
		out[s] = true
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: newsletter deliveries: %w", err)
	}
	return out, nil
}

// NewsletterIssueDelivered returns which of subjects any run of the issue
// with this content hash has reached, finished or not.
func (r *Reader) NewsletterIssueDelivered(ctx context.Context, purpose, contentHash string, subjects []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := eachRowIn(ctx, r, "d.subject", subjects, func(cond string) string {
		return `SELECT DISTINCT d.subject FROM newsletter_deliveries d JOIN newsletter_sends s ON s.id = d.send_id
			WHERE s.purpose = $1 AND s.content_hash = $2 AND ` + cond
	}, []any{purpose, contentHash}, func(rows *sql.Rows) error {
		var s string
		err := rows.Scan(&s)
		out[s] = true
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: newsletter issue deliveries: %w", err)
	}
	return out, nil
}

// RecordNewsletterDelivery notes that run send reached subject with mail
// outboxID, in the transaction that enqueued the mail.
func (tx *Tx) RecordNewsletterDelivery(ctx context.Context, send int64, subject string, outboxID int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO newsletter_deliveries (send_id, subject, outbox_id, at) VALUES ($1, $2, $3, $4)`, send, subject, outboxID, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: record newsletter delivery: %w", err)
	}
	return nil
}

// FinishNewsletterSend marks a run done.
func (tx *Tx) FinishNewsletterSend(ctx context.Context, send int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE newsletter_sends SET finished_at = $2 WHERE id = $1`, send, at.UnixMilli()); err != nil {
		return fmt.Errorf("store: finish newsletter run: %w", err)
	}
	return nil
}

// EraseNewsletterFor deletes a person's sign-up (Art. 17; erasure of the
// newsletter_subscription record is "delete" in the IVM policy).
func (tx *Tx) EraseNewsletterFor(ctx context.Context, subject string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM newsletter_subscriptions WHERE id = $1`, subject); err != nil {
		return fmt.Errorf("store: erase newsletter sign-up: %w", err)
	}
	return nil
}
