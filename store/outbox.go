package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"steward"
)

// MailStatus is where an outbox mail stands.
type MailStatus string

// The states of an outbox mail. A mail is pending until it is delivered
// (sent) or the dispatcher gives up on it (failed).
const (
	MailPending MailStatus = "pending"
	MailSent    MailStatus = "sent"
	MailFailed  MailStatus = "failed"
)

// ParseMailStatus checks a status given on a command line or in a query.
func ParseMailStatus(s string) (MailStatus, error) {
	switch st := MailStatus(s); st {
	case MailPending, MailSent, MailFailed:
		return st, nil
	}
	return "", steward.FieldError("status", "error.must_be_pending_sent")
}

// OutboxMail is one e-mail in the outbox: what to send, to whom, and how its
// delivery went. Validation of the content is the mail package's job
// (mail.Enqueue); the store keeps what it is given.
type OutboxMail struct {
	ID int64
	// Kind says what the mail is for (verify, reset, newsletter, ...).
	Kind string
	// SubjectID is the data subject (account or person) the mail concerns.
	SubjectID string
	// Recipient is the address, possibly with a display name.
	Recipient string
	// Subject is the subject line.
	Subject string
	Text    string
	// HTML is an optional alternative body; empty for text-only mail.
	HTML string
	// Headers are extra header fields such as List-Unsubscribe.
	Headers map[string]string
	// Bulk marks mail sent to many at once (a newsletter issue, retention
	// warnings); due mail that is not bulk is claimed first.
	Bulk bool

	Status        MailStatus
	Attempts      int
	NextAttemptAt time.Time
	// LastAttemptAt is zero until the first attempt.
	LastAttemptAt time.Time
	// LastError says why the last attempt failed; it holds no personal values.
	LastError string
	CreatedAt time.Time
	// SentAt is zero until the mail is delivered.
	SentAt time.Time
}

// Claim is a batch of outbox mails a dispatcher took for delivery. Only the
// holder of the claim's Token may record their outcome, and only until the
// lease ends.
type Claim struct {
	Token string
	Mails []OutboxMail
}

// ErrLeaseLost means an outcome could not be recorded because the mail is no
// longer claimed by the caller: its lease ran out and another dispatcher
// took it, or it was dropped (erasure) while being sent.
var ErrLeaseLost = errors.New("store: outbox mail is no longer claimed by this dispatcher")

// outboxColumns is the column list every outbox read uses, in the order
// scanOutboxMail expects.
const outboxColumns = `id, kind, subject_id, recipient, subject, text_body, html_body, headers,
	status, attempts, next_attempt_at, last_attempt_at, last_error, created_at, sent_at, bulk`

// EnqueueMail writes a mail into the outbox inside the caller's transaction,
// so the mail exists if and only if the change that causes it commits (a
// sign-up never exists without its verification mail, G3). The mail is due
// at m.NextAttemptAt, or at m.CreatedAt when that is zero. It returns the id.
func (tx *Tx) EnqueueMail(ctx context.Context, m OutboxMail) (int64, error) {
	headers := m.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	hj, err := json.Marshal(headers)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue %s mail: headers: %w", m.Kind, err)
	}
	due := m.NextAttemptAt
	if due.IsZero() {
		due = m.CreatedAt
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO outbox (kind, subject_id, recipient, subject, text_body, html_body,
			headers, status, attempts, next_attempt_at, created_at, bulk)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11) RETURNING id`,
		m.Kind, m.SubjectID, m.Recipient, m.Subject, m.Text, m.HTML,
		string(hj), MailPending, due.UnixMilli(), m.CreatedAt.UnixMilli(), boolInt(m.Bulk)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue %s mail: %w", m.Kind, err)
	}
	return id, nil
}

// DropOutboxFor deletes every outbox mail concerning a data subject, in any
// state, inside the caller's transaction. Erasure calls it (Art. 17, Z9):
// the outbox must not keep a person's address or a mail about them after
// they are gone. It returns how many mails it dropped.
func (tx *Tx) DropOutboxFor(ctx context.Context, subjectID string) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE subject_id = $1`, subjectID)
	if err != nil {
		return 0, fmt.Errorf("store: drop outbox of subject %s: %w", subjectID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: drop outbox of subject %s: %w", subjectID, err)
	}
	return n, nil
}

// DropUnsentMail deletes a data subject's pending mails of one kind that
// no dispatcher holds, inside the caller's transaction, and returns how
// many it deleted. Withdrawing newsletter consent calls it for kind
// newsletter, so an issue queued before the withdrawal never goes out
// (Art. 7(3); consent.Service.Record). A mail a dispatcher has claimed and
// whose lease has not ended at now is in flight: it may already be with
// the SMTP server, so it is left alone and its outcome recorded as usual.
// A mail waiting for a retry is not claimed and is deleted. On PostgreSQL
// a claim that has not committed yet holds the row: the delete waits for
// it and then finds the row leased, so the two never both happen.
func (tx *Tx) DropUnsentMail(ctx context.Context, subjectID, kind string, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE subject_id = $1 AND kind = $2 AND status = 'pending' AND lease_until <= $3`,
		subjectID, kind, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: drop unsent %s mail of subject %s: %w", kind, subjectID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: drop unsent %s mail of subject %s: %w", kind, subjectID, err)
	}
	return n, nil
}

// The mailings a processing limit stops at the claim: mail.KindNewsletter
// and mail.KindPanelInvitation (which the store cannot import), each with
// the purpose it is sent for (consent.NewsletterPurpose, PanelPurpose).
const (
	newsletterMailKind = "newsletter"
	panelMailKind      = "panel_invitation"
	panelPurpose       = "research_panel"
)

// dropRestrictedMailings deletes, before a claim, the unclaimed newsletter
// issues and panel invitations of people whose processing is restricted
// (Art. 18) or who objected (Art. 21) for every purpose or the mailing's
// own, so a mail queued before the limit was set — or by a mailing that
// read its recipients just before — is not sent while it stands (R2, Z8:
// a mailing goes to those whose consent stands at the moment of sending).
// Withdrawal drops the mails in its own transaction (DropUnsentMail), and
// so does setting a limit (consent.StopMailing); the claim is the last
// place they are met. processing_limits is small: one short look-up per
// claim. On PostgreSQL rows another claim is deleting are skipped, not
// waited for.
func (tx *Tx) dropRestrictedMailings(ctx context.Context, now time.Time) error {
	lock := ""
	if tx.Dialect == Postgres {
		lock = "FOR UPDATE SKIP LOCKED"
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id IN (SELECT o.id FROM outbox o
		WHERE o.kind IN ($1, $3) AND o.status = 'pending' AND o.lease_until <= $5
			AND o.subject_id IN (SELECT l.subject FROM processing_limits l
				WHERE l.purpose = '*' OR l.purpose = CASE o.kind WHEN $1 THEN $2 ELSE $4 END)
		`+lock+`)`, newsletterMailKind, newsletterPurpose, panelMailKind, panelPurpose, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("drop restricted mailings: %w", err)
	}
	return nil
}

// ClaimDueMail takes up to limit pending mails that are due at now and not
// claimed by anyone else, and leases them to the caller until now+lease.
// Mail that is not bulk comes first, then in the order it fell due, so a
// newsletter being delivered never holds up a verification link.
// Two dispatchers never get the same mail: on PostgreSQL the rows are
// locked with FOR UPDATE SKIP LOCKED, so a concurrent claim passes them by;
// on SQLite every write transaction is IMMEDIATE and so runs alone. A
// dispatcher that dies mid-batch loses its lease, and the mails fall due
// again when it ends. First, in the same transaction, newsletter issues
// and panel invitations of people whose processing is now restricted or
// objected to are deleted (dropRestrictedMailings).
func (s *Store) ClaimDueMail(ctx context.Context, now time.Time, lease time.Duration, limit int) (Claim, error) {
	token, err := newOutboxClaimToken()
	if err != nil {
		return Claim{}, fmt.Errorf("store: claim mail: %w", err)
	}
	lock := ""
	if s.dialect == Postgres {
		lock = "FOR UPDATE SKIP LOCKED"
	}
	c := Claim{Token: token}
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.dropRestrictedMailings(ctx, now); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE outbox SET claim_token = $1, lease_until = $2
			WHERE id IN (SELECT id FROM outbox
				WHERE status = 'pending' AND next_attempt_at <= $3 AND lease_until <= $3
				ORDER BY bulk, next_attempt_at, id LIMIT $4 `+lock+`)
			RETURNING `+outboxColumns,
			token, now.Add(lease).UnixMilli(), now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanOutboxMail(rows)
			if err != nil {
				return err
			}
			c.Mails = append(c.Mails, m)
		}
		return rows.Err()
	})
	if err != nil {
		return Claim{}, fmt.Errorf("store: claim mail: %w", err)
	}
	// RETURNING gives no order; deliver in the order of the claim.
	slices.SortFunc(c.Mails, func(a, b OutboxMail) int {
		return cmp.Or(cmp.Compare(boolInt(a.Bulk), boolInt(b.Bulk)),
			a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	return c, nil
}

// MarkMailSent records that a claimed mail was delivered at the given time.
// It returns ErrLeaseLost if the caller no longer holds the claim.
func (s *Store) MarkMailSent(ctx context.Context, token string, id int64, at time.Time) error {
	return s.recordOutcome(ctx, id, "sent", `UPDATE outbox SET status = 'sent', attempts = attempts + 1,
			sent_at = $1, last_attempt_at = $1, last_error = '', claim_token = '', lease_until = 0
		WHERE id = $2 AND claim_token = $3 AND status = 'pending'`, at.UnixMilli(), id, token)
}

// MarkMailRetry records a failed attempt on a claimed mail and makes it due
// again at next. lastErr must hold no personal values.
func (s *Store) MarkMailRetry(ctx context.Context, token string, id int64, at, next time.Time, lastErr string) error {
	return s.recordOutcome(ctx, id, "retry", `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1,
			last_attempt_at = $2, last_error = $3, claim_token = '', lease_until = 0
		WHERE id = $4 AND claim_token = $5 AND status = 'pending'`, next.UnixMilli(), at.UnixMilli(), lastErr, id, token)
}

// MarkMailFailed records a last failed attempt on a claimed mail: it will
// not be tried again. lastErr must hold no personal values.
func (s *Store) MarkMailFailed(ctx context.Context, token string, id int64, at time.Time, lastErr string) error {
	return s.recordOutcome(ctx, id, "failed", `UPDATE outbox SET status = 'failed', attempts = attempts + 1,
			last_attempt_at = $1, last_error = $2, claim_token = '', lease_until = 0
		WHERE id = $3 AND claim_token = $4 AND status = 'pending'`, at.UnixMilli(), lastErr, id, token)
}

func (s *Store) recordOutcome(ctx context.Context, id int64, what, query string, args ...any) error {
	var n int64
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark mail %d %s: %w", id, what, err)
	}
	if n == 0 {
		return fmt.Errorf("store: mark mail %d %s: %w", id, what, ErrLeaseLost)
	}
	return nil
}

// outboxPruneBatch bounds how many rows one prune transaction deletes, so pruning
// a large backlog never holds the SQLite writer for long.
const outboxPruneBatch = 1000

// PruneSent deletes finished mails — delivered, or given up on — whose last
// attempt was before olderThan. A sent mail's row still holds the address
// and the text; keeping it for a short while helps the operator answer "did
// my mail go out?", keeping it longer would make the outbox a second copy of
// personal data (R4, storage limitation). It returns how many it deleted.
func (s *Store) PruneSent(ctx context.Context, olderThan time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.InTx(ctx, func(tx *Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
				WHERE status <> 'pending' AND last_attempt_at < $1 LIMIT $2)`, olderThan.UnixMilli(), outboxPruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store: prune outbox: %w", err)
		}
		total += n
		if n < outboxPruneBatch {
			return total, nil
		}
	}
}

// OutboxFilter selects mails for OutboxList.
type OutboxFilter struct {
	// Status keeps only mails in this state; empty means all.
	Status MailStatus
	// Limit caps the number of mails; 0 means 50.
	Limit int
}

// OutboxList returns outbox mails, newest first, for the operator.
func (s *Store) OutboxList(ctx context.Context, f OutboxFilter) ([]OutboxMail, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2`, string(f.Status), f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: list outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxMail
	for rows.Next() {
		m, err := scanOutboxMail(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list outbox: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list outbox: %w", err)
	}
	return out, nil
}

// OutboxMailByID returns one outbox mail; a steward.ENOTFOUND error if there
// is none with that id.
func (s *Store) OutboxMailByID(ctx context.Context, id int64) (OutboxMail, error) {
	row := s.read.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id)
	m, err := scanOutboxMail(row)
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxMail{}, steward.Errorf(steward.ENOTFOUND, "error.no_mail_outbox", "id", id)
	}
	if err != nil {
		return OutboxMail{}, fmt.Errorf("store: outbox mail %d: %w", id, err)
	}
	return m, nil
}

func scanOutboxMail(r interface{ Scan(...any) error }) (OutboxMail, error) {
	var m OutboxMail
	var headers, status string
	var next, created, bulk int64
	var lastAttempt, sent sql.NullInt64
	if err := r.Scan(&m.ID, &m.Kind, &m.SubjectID, &m.Recipient, &m.Subject, &m.Text, &m.HTML, &headers,
		&status, &m.Attempts, &next, &lastAttempt, &m.LastError, &created, &sent, &bulk); err != nil {
		return OutboxMail{}, err
	}
	m.Bulk = bulk != 0
	if err := json.Unmarshal([]byte(headers), &m.Headers); err != nil {
		return OutboxMail{}, fmt.Errorf("mail %d: headers: %w", m.ID, err)
	}
	m.Status = MailStatus(status)
	m.NextAttemptAt = time.UnixMilli(next).UTC()
	m.CreatedAt = time.UnixMilli(created).UTC()
	if lastAttempt.Valid {
		m.LastAttemptAt = time.UnixMilli(lastAttempt.Int64).UTC()
	}
	if sent.Valid {
		m.SentAt = time.UnixMilli(sent.Int64).UTC()
	}
	return m, nil
}

func newOutboxClaimToken() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
