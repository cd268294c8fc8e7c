package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward/erasure"
)

// LMSOp is what an LMS outbox row asks the learning environment to do.
type LMSOp string

// The operations: delete the person's LMS user, update fields of it, or
// enrol it in a course (creating it first when the LMS has no such user:
// issue 17 item 4).
const (
	LMSDelete LMSOp = "delete"
	LMSUpdate LMSOp = "update"
	LMSEnrol  LMSOp = "enrol"
)

// LMSStatus is where an LMS outbox row stands: pending until the LMS
// confirmed it (done) or the dispatcher gave up (failed).
type LMSStatus string

// The states of an LMS outbox row.
const (
	LMSPending LMSStatus = "pending"
	LMSDone    LMSStatus = "done"
	LMSFailed  LMSStatus = "failed"
)

// LMSMessage is one row of the learning environment's outbox (issue 16
// item 5, issue 17 item 4): a delete, an update or an enrolment to tell
// the LMS. It holds no personal values: the OIDC subject the LMS knows the
// person by, the account while it exists, an update's field names and an
// enrolment's record id (their values are read when it is sent).
type LMSMessage struct {
	ID int64
	Op LMSOp
	// LMSSubject is the OIDC subject Steward gave the LMS: the id of the
	// person's lms_account record.
	LMSSubject string
	// SubjectID is the account, "" once it was erased.
	SubjectID string
	// RequestID is the request that caused the row (erasure,
	// rectification), "" if none.
	RequestID string
	// Fields are an update's field ids, sorted.
	Fields []string
	// RecordID is an enrolment's record (op enrol), 0 otherwise.
	RecordID      int64
	Status        LMSStatus
	Attempts      int
	NextAttemptAt time.Time
	LastAttemptAt time.Time
	// LastError is the LMS's error code or a transport error, no value.
	LastError string
	CreatedAt time.Time
	// DoneAt is when the LMS confirmed; zero until then.
	DoneAt time.Time
}

// LMSClaim is a batch of LMS messages a dispatcher took; only the holder
// of Token may record their outcome, until the lease ends.
type LMSClaim struct {
	Token    string
	Messages []LMSMessage
}

const lmsColumns = `id, op, lms_subject, subject_id, request_id, fields, record_id, status, attempts, next_attempt_at,
	last_attempt_at, last_error, created_at, done_at`

// enqueueLMSDeletes writes, in the erasure's transaction, one delete per
// record of kind the subjects hold (a system's own account kind the plan
// marks Remote: IVM's lms_account), before the records go; their unsent
// updates and enrolments are dropped, since the LMS user is about to go.
// A delete is due at once, whatever moment the erasure is dated (a
// retention run --as-of a later date deletes now, so the LMS is told
// now) — except after an enrolment of that user a dispatcher is sending
// at this moment: the delete waits for that claim's lease, so a user the
// enrolment creates is deleted after it, never before.
func (tx *Tx) enqueueLMSDeletes(ctx context.Context, kind string, subjects []string, at time.Time) error {
	cond, arg := in(tx.Dialect, "subject_id", 2, subjects)
	idText := `CAST(id AS TEXT)`
	if _, err := tx.ExecContext(ctx, `DELETE FROM lms_outbox WHERE op IN ('update', 'enrol') AND status = 'pending' AND lease_until <= $3
			AND lms_subject IN (SELECT `+idText+` FROM records WHERE kind = $1 AND anonymised_at IS NULL AND `+cond+`)`,
		kind, arg, at.UnixMilli()); err != nil {
		return fmt.Errorf("lms outbox: drop updates: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO lms_outbox (op, lms_subject, subject_id, status, attempts, next_attempt_at, created_at)
			SELECT 'delete', `+idText+`, subject_id, 'pending', 0,
				COALESCE((SELECT MAX(o.lease_until) FROM lms_outbox o WHERE o.status = 'pending' AND o.lms_subject = CAST(records.id AS TEXT)
					AND o.op = 'enrol'), 0), $3 FROM records
			WHERE kind = $1 AND anonymised_at IS NULL AND `+cond, kind, arg, at.UnixMilli()); err != nil {
		return fmt.Errorf("lms outbox: enqueue deletes: %w", err)
	}
	tx.lmsQueued = true
	return nil
}

// eraseLMSOutbox runs with a whole subject's erasure (subjectErasers): the
// subjects' updates and enrolments go, sent or not (the LMS user is
// deleted, or nothing is left to update or enrol; a row that named their
// course is theirs), and their delete rows are unlinked from the account and
// linked to the subject's newest erasure request instead, so the staff
// request page still shows whether the LMS confirmed. It runs before the
// requests are unlinked (eraseRequests).
func eraseLMSOutbox(ctx context.Context, tx *Tx, subjects []string, _ erasure.Action) error {
	// subject_id <> '' lets both engines use the partial index
	// lms_outbox_subject; an erasure batch names thousands of subjects.
	cond, args, err := tx.batchIn(ctx, "subject_id", 1, subjects)
	if err != nil {
		return err
	}
	cond = "subject_id <> '' AND " + cond
	if _, err := tx.hotExec(ctx, `DELETE FROM lms_outbox WHERE op IN ('update', 'enrol') AND `+cond, args...); err != nil {
		return err
	}
	_, err = tx.hotExec(ctx, `UPDATE lms_outbox SET request_id = COALESCE((SELECT q.id FROM requests q
			WHERE q.subject_id = lms_outbox.subject_id AND q.type = 'erasure' ORDER BY q.received_on DESC, q.id DESC LIMIT 1), request_id),
			subject_id = ''
		WHERE op = 'delete' AND `+cond, args...)
	return err
}

// EnqueueLMSUpdate writes, in the correction's transaction, an update of
// fields of the LMS user lmsSubject. An unsent, unclaimed update of the
// same user for the same request takes the fields in instead of a second
// row, so a person editing twice causes one call. It returns the row's id.
func (tx *Tx) EnqueueLMSUpdate(ctx context.Context, lmsSubject, subjectID, requestID string, fields []string, at time.Time) (int64, error) {
	var id int64
	var have string
	err := tx.QueryRowContext(ctx, `SELECT id, fields FROM lms_outbox WHERE op = 'update' AND status = 'pending' AND lease_until <= $1
		AND lms_subject = $2 AND request_id = $3 AND attempts = 0 ORDER BY id LIMIT 1`, at.UnixMilli(), lmsSubject, requestID).Scan(&id, &have)
	switch {
	case err == nil:
		merged := joinFields(append(splitFields(have), fields...))
		if _, err := tx.ExecContext(ctx, `UPDATE lms_outbox SET fields = $1 WHERE id = $2`, merged, id); err != nil {
			return 0, fmt.Errorf("store: enqueue lms update: %w", err)
		}
		tx.lmsQueued = true
		return id, nil
	case !isNoRows(err):
		return 0, fmt.Errorf("store: enqueue lms update: %w", err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO lms_outbox (op, lms_subject, subject_id, request_id, fields, status, attempts, next_attempt_at, created_at)
		VALUES ('update', $1, $2, $3, $4, 'pending', 0, $5, $5) RETURNING id`,
		lmsSubject, subjectID, requestID, joinFields(fields), at.UnixMilli()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue lms update: %w", err)
	}
	tx.lmsQueued = true
	return id, nil
}

// EnqueueLMSEnrol writes, in the enrolment's transaction, the row that
// provisions enrolment record recordID of subjectID to the LMS user
// lmsSubject: the user made when the LMS has none, then enrolled in the
// course. It is due at once and returns the row's id.
func (tx *Tx) EnqueueLMSEnrol(ctx context.Context, lmsSubject, subjectID string, recordID int64, at time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO lms_outbox (op, lms_subject, subject_id, record_id, status, attempts, next_attempt_at, created_at)
		VALUES ('enrol', $1, $2, $3, 'pending', 0, $4, $4) RETURNING id`, lmsSubject, subjectID, recordID, at.UnixMilli()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue lms enrolment: %w", err)
	}
	tx.lmsQueued = true
	return id, nil
}

func splitFields(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func joinFields(fs []string) string {
	fs = slices.Clone(fs)
	slices.Sort(fs)
	return strings.Join(slices.Compact(fs), ",")
}

// ClaimDueLMS takes up to limit pending LMS messages due at now that no
// one else holds and leases them to the caller until now+lease, like
// ClaimDueMail: FOR UPDATE SKIP LOCKED on PostgreSQL, IMMEDIATE
// transactions on SQLite. A dispatcher killed mid-batch loses its lease
// and the messages fall due again.
func (s *Store) ClaimDueLMS(ctx context.Context, now time.Time, lease time.Duration, limit int) (LMSClaim, error) {
	token, err := newOutboxClaimToken()
	if err != nil {
		return LMSClaim{}, fmt.Errorf("store: claim lms: %w", err)
	}
	lock := ""
	if s.dialect == Postgres {
		lock = "FOR UPDATE SKIP LOCKED"
	}
	c := LMSClaim{Token: token}
	err = s.InTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE lms_outbox SET claim_token = $1, lease_until = $2
			WHERE id IN (SELECT id FROM lms_outbox
				WHERE status = 'pending' AND next_attempt_at <= $3 AND lease_until <= $3
				ORDER BY next_attempt_at, id LIMIT $4 `+lock+`)
			RETURNING `+lmsColumns, token, now.Add(lease).UnixMilli(), now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		c.Messages, err = scanLMSRows(rows)
		return err
	})
	if err != nil {
		return LMSClaim{}, fmt.Errorf("store: claim lms: %w", err)
	}
	slices.SortFunc(c.Messages, func(a, b LMSMessage) int {
		if d := a.NextAttemptAt.Compare(b.NextAttemptAt); d != 0 {
			return d
		}
		return int(a.ID - b.ID)
	})
	return c, nil
}

// MarkLMSDone records, in the caller's transaction (with its audit
// entry), that the LMS confirmed a claimed message at at. ErrLeaseLost if
// the caller no longer holds it.
func (tx *Tx) MarkLMSDone(ctx context.Context, token string, id int64, at time.Time) error {
	return tx.lmsOutcome(ctx, id, "done", `UPDATE lms_outbox SET status = 'done', attempts = attempts + 1, done_at = $1,
			last_attempt_at = $1, last_error = '', claim_token = '', lease_until = 0
		WHERE id = $2 AND claim_token = $3 AND status = 'pending'`, at.UnixMilli(), id, token)
}

// MarkLMSFailed records a last failed attempt, in the caller's
// transaction: the message is not tried again. lastErr holds no value.
func (tx *Tx) MarkLMSFailed(ctx context.Context, token string, id int64, at time.Time, lastErr string) error {
	return tx.lmsOutcome(ctx, id, "failed", `UPDATE lms_outbox SET status = 'failed', attempts = attempts + 1,
			last_attempt_at = $1, last_error = $2, claim_token = '', lease_until = 0
		WHERE id = $3 AND claim_token = $4 AND status = 'pending'`, at.UnixMilli(), lastErr, id, token)
}

// MarkLMSRetry records a failed attempt and makes the message due again
// at next. lastErr holds no value.
func (s *Store) MarkLMSRetry(ctx context.Context, token string, id int64, at, next time.Time, lastErr string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		return tx.lmsOutcome(ctx, id, "retry", `UPDATE lms_outbox SET attempts = attempts + 1, next_attempt_at = $1,
				last_attempt_at = $2, last_error = $3, claim_token = '', lease_until = 0
			WHERE id = $4 AND claim_token = $5 AND status = 'pending'`, next.UnixMilli(), at.UnixMilli(), lastErr, id, token)
	})
}

func (tx *Tx) lmsOutcome(ctx context.Context, id int64, what, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: mark lms message %d %s: %w", id, what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: mark lms message %d %s: %w", id, what, err)
	} else if n == 0 {
		return fmt.Errorf("store: mark lms message %d %s: %w", id, what, ErrLeaseLost)
	}
	return nil
}

// LMSMessagesOf returns the LMS messages about an account, newest first
// (My data).
func (s *Store) LMSMessagesOf(ctx context.Context, subject string) ([]LMSMessage, error) {
	if subject == "" {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+lmsColumns+` FROM lms_outbox WHERE subject_id = $1 AND subject_id <> '' ORDER BY id DESC`, subject)
	if err != nil {
		return nil, fmt.Errorf("store: lms messages of %s: %w", subject, err)
	}
	return scanLMSRows(rows)
}

// LMSMessagesOfRequest returns the LMS messages a request caused (the
// staff request page).
func (s *Store) LMSMessagesOfRequest(ctx context.Context, requestID string) ([]LMSMessage, error) {
	if requestID == "" {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+lmsColumns+` FROM lms_outbox WHERE request_id = $1 AND request_id <> '' ORDER BY id DESC`, requestID)
	if err != nil {
		return nil, fmt.Errorf("store: lms messages of request %s: %w", requestID, err)
	}
	return scanLMSRows(rows)
}

// LMSMessages returns LMS messages, newest first, for the operator; a
// status "" means all.
func (s *Store) LMSMessages(ctx context.Context, status LMSStatus, limit int) ([]LMSMessage, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+lmsColumns+` FROM lms_outbox WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2`, string(status), limit)
	if err != nil {
		return nil, fmt.Errorf("store: lms messages: %w", err)
	}
	return scanLMSRows(rows)
}

// PruneLMS deletes finished LMS messages whose last attempt was before
// olderThan: they stay a while so My data and the request page can say
// when the LMS confirmed, not longer.
func (s *Store) PruneLMS(ctx context.Context, olderThan time.Time) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM lms_outbox WHERE status <> 'pending' AND last_attempt_at < $1`, olderThan.UnixMilli())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune lms outbox: %w", err)
	}
	return n, nil
}

func scanLMSRows(rows *sql.Rows) ([]LMSMessage, error) {
	defer rows.Close()
	var out []LMSMessage
	for rows.Next() {
		var m LMSMessage
		var op, fields, status string
		var next, created int64
		var last, done sql.NullInt64
		if err := rows.Scan(&m.ID, &op, &m.LMSSubject, &m.SubjectID, &m.RequestID, &fields, &m.RecordID, &status, &m.Attempts, &next,
			&last, &m.LastError, &created, &done); err != nil {
			return nil, err
		}
		m.Op, m.Status, m.Fields = LMSOp(op), LMSStatus(status), splitFields(fields)
		m.NextAttemptAt = time.UnixMilli(next).UTC()
		m.CreatedAt = time.UnixMilli(created).UTC()
		if last.Valid {
			m.LastAttemptAt = time.UnixMilli(last.Int64).UTC()
		}
		if done.Valid {
			m.DoneAt = time.UnixMilli(done.Int64).UTC()
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// LMSEnrolmentCourse reads, when an enrol row is sent, the LMS course id
// of the course subject's enrolment record names in field: ok is false
// when the enrolment or the LMS account record lmsRecord (the OIDC
// subject) is gone — erased, deleted by a rule, or anonymised — and there
// is nothing left to provision. A course without an LMS course id gives
// "" with ok true.
func (s *Store) LMSEnrolmentCourse(ctx context.Context, subject string, lmsRecord, enrolment int64, field string) (lmsCourseID string, ok bool, err error) {
	var id sql.NullString
	err = s.read.QueryRowContext(ctx, `SELECT c.lms_course_id FROM records e
			JOIN record_values v ON v.record_id = e.id AND v.field = $3
			LEFT JOIN courses c ON c.slug = v.value
		WHERE e.id = $1 AND e.subject_id = $2 AND e.anonymised_at IS NULL
			AND EXISTS (SELECT 1 FROM records l WHERE l.id = $4 AND l.subject_id = $2 AND l.anonymised_at IS NULL)`,
		enrolment, subject, field, lmsRecord).Scan(&id)
	if isNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: lms enrolment %d: %w", enrolment, err)
	}
	return id.String, true, nil
}
