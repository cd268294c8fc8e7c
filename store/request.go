package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"steward"
	"steward/erasure"
	"steward/policy"
)

// requestColumns is the column list every request read uses, in the order
// scanRequest expects.
const requestColumns = `id, subject_id, subject_pseudonym, type, channel, received_on, details, purpose,
	status, verify_asked_on, verified_on, verify_method, extension, extension_reason, extended_on,
	closed_on, outcome, created_at, created_by, subject_kind`

// noDeadline is the deadline_on of a request whose deadline does not run
// yet (awaiting proof of identity): 9999-12-31, so it sorts last.
var noDeadline = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).UnixMilli()

// Request is a data-subject request (R13) as stored in requests: the
// fields of rights.Request as plain values, which the rights desk converts
// to and from. Deadline is written for the queue's order only: the rights
// domain computes it (Art. 12(3) GDPR); zero while it does not run yet.
type Request struct {
	ID, SubjectID, SubjectPseudonym string
	Type, Channel                   string
	ReceivedOn                      time.Time
	Details, Purpose, Status        string
	VerifyAskedOn, VerifiedOn       time.Time
	Verified                        string
	Extension                       policy.Duration
	ExtensionReason                 string
	ExtendedOn                      time.Time
	Deadline                        time.Time
	ClosedOn                        time.Time
	Outcome                         string
	CreatedAt                       time.Time
	CreatedBy                       string
	// Steps is the timeline, oldest first; filled by RequestByID only.
	Steps []RequestStep
	// SubjectKind is "account" or "newsletter_signup" (migration 0017):
	// what SubjectID names.
	SubjectKind string
}

// RequestStep is one step of a request's timeline (rights.Step).
type RequestStep struct {
	At                time.Time
	Kind, Actor, Note string
}

func deadlineMillis(r *Request) int64 {
	if r.Deadline.IsZero() {
		return noDeadline
	}
	return r.Deadline.UnixMilli()
}

// InsertRequest stores a new request with the deadline the rights domain
// computed for it. An empty SubjectKind is the column's default, an account.
func (tx *Tx) InsertRequest(ctx context.Context, r *Request) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO requests (id, subject_id, subject_pseudonym, type, channel,
			received_on, details, purpose, status, verify_asked_on, verified_on, verify_method, extension,
			extension_reason, extended_on, deadline_on, closed_on, outcome, created_at, created_by, subject_kind)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, COALESCE(NULLIF($21, ''), 'account'))`,
		r.ID, r.SubjectID, r.SubjectPseudonym, r.Type, r.Channel,
		dayMillis(r.ReceivedOn), r.Details, r.Purpose, r.Status, dayMillis(r.VerifyAskedOn),
		dayMillis(r.VerifiedOn), r.Verified, durationText(r.Extension), r.ExtensionReason,
		dayMillis(r.ExtendedOn), deadlineMillis(r), dayMillis(r.ClosedOn), r.Outcome,
		r.CreatedAt.UnixMilli(), r.CreatedBy, r.SubjectKind)
	if err != nil {
		return fmt.Errorf("store: insert request %s: %w", r.ID, err)
	}
	return nil
}

// UpdateRequest writes the changeable state of a request: status,
// verification, extension and closure. The caller read it with
// RequestForUpdate in the same transaction.
func (tx *Tx) UpdateRequest(ctx context.Context, r *Request) error {
	return tx.execOne(ctx, "update request "+r.ID, `UPDATE requests SET status = $1, verify_asked_on = $2,
			verified_on = $3, verify_method = $4, extension = $5, extension_reason = $6, extended_on = $7,
			deadline_on = $8, closed_on = $9, outcome = $10
		WHERE id = $11`,
		r.Status, dayMillis(r.VerifyAskedOn), dayMillis(r.VerifiedOn), r.Verified,
		durationText(r.Extension), r.ExtensionReason, dayMillis(r.ExtendedOn), deadlineMillis(r),
		dayMillis(r.ClosedOn), r.Outcome, r.ID)
}

// RequestForUpdate reads a request inside the transaction, locking its row
// on PostgreSQL so two staff members cannot extend or close it at once
// (SQLite's IMMEDIATE transactions already run alone). subjectID, when not
// empty, must match: a request of another person is not found (IDOR).
func (tx *Tx) RequestForUpdate(ctx context.Context, id, subjectID string) (*Request, error) {
	lock := ""
	if tx.Dialect == Postgres {
		lock = " FOR UPDATE"
	}
	r, err := scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests
		WHERE id = $1 AND ($2 = '' OR subject_id = $2)`+lock, id, subjectID))
	if err != nil {
		return nil, wrapRequestErr(err, id)
	}
	return r, nil
}

// AddRequestStep appends a step to a request's timeline.
func (tx *Tx) AddRequestStep(ctx context.Context, requestID string, s RequestStep) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO request_steps (request_id, at, kind, actor, note) VALUES ($1, $2, $3, $4, $5)`,
		requestID, s.At.UnixMilli(), s.Kind, s.Actor, s.Note)
	if err != nil {
		return fmt.Errorf("store: add step %s to request %s: %w", s.Kind, requestID, err)
	}
	return nil
}

// SetRequestVerifyToken stores the hash of a confirmation link's secret,
// replacing any earlier link (only the newest link works).
func (tx *Tx) SetRequestVerifyToken(ctx context.Context, requestID, hash string, expires time.Time) error {
	return tx.execOne(ctx, "set verify link of request "+requestID,
		`UPDATE requests SET verify_token_hash = $1, verify_expires_at = $2 WHERE id = $3`,
		hash, expires.UnixMilli(), requestID)
}

// UseRequestVerifyToken finds the request whose confirmation link has the
// given hash and makes the link unusable, in one step, so a link works
// once. An unknown or used link is ENOTFOUND; an expired one is EINVALID
// (and also made unusable).
func (tx *Tx) UseRequestVerifyToken(ctx context.Context, hash string, now time.Time) (*Request, error) {
	if hash == "" {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.request_link_unknown")
	}
	var id string
	var expires int64
	err := tx.QueryRowContext(ctx, `UPDATE requests SET verify_token_hash = ''
		WHERE verify_token_hash = $1 RETURNING id, verify_expires_at`, hash).Scan(&id, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.request_link_unknown")
	}
	if err != nil {
		return nil, fmt.Errorf("store: use request verify link: %w", err)
	}
	if now.UnixMilli() >= expires {
		return nil, steward.Errorf(steward.EINVALID, "error.request_link_expired")
	}
	return tx.RequestForUpdate(ctx, id, "")
}

// RequestByID returns a request with its timeline. subjectID, when not
// empty, must match (a person sees only their own requests).
func (s *Store) RequestByID(ctx context.Context, id, subjectID string) (*Request, error) {
	r, err := scanRequest(s.read.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests
		WHERE id = $1 AND ($2 = '' OR subject_id = $2)`, id, subjectID))
	if err != nil {
		return nil, wrapRequestErr(err, id)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT at, kind, actor, note FROM request_steps
		WHERE request_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: steps of request %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var st RequestStep
		var at int64
		if err := rows.Scan(&at, &st.Kind, &st.Actor, &st.Note); err != nil {
			return nil, fmt.Errorf("store: steps of request %s: %w", id, err)
		}
		st.At = time.UnixMilli(at).UTC()
		r.Steps = append(r.Steps, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: steps of request %s: %w", id, err)
	}
	return r, nil
}

// QueueFilter selects requests for RequestQueue.
type QueueFilter struct {
	// All includes closed requests; by default only open ones are listed.
	All bool
	// DueBy keeps only requests whose deadline is on or before this day
	// (--overdue, --due-within); zero keeps all.
	DueBy time.Time
	// AfterDeadline and AfterID continue a listing after the last request
	// of the previous page (keyset pagination on deadline, id).
	AfterDeadline time.Time
	AfterID       string
	// Limit caps the page; 0 means 100, at most 1000.
	Limit int
}

// RequestQueue lists requests by deadline, earliest first; requests whose
// deadline does not run yet come last (R13: the queue sorts by deadline).
func (s *Store) RequestQueue(ctx context.Context, f QueueFilter) ([]Request, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	dueBy := noDeadline
	if !f.DueBy.IsZero() {
		dueBy = f.DueBy.UnixMilli()
	}
	after := int64(-1)
	if !f.AfterDeadline.IsZero() {
		after = f.AfterDeadline.UnixMilli()
	}
	open := 1
	if f.All {
		open = 0
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+requestColumns+` FROM requests
		WHERE ($1 = 0 OR closed_on = 0) AND deadline_on <= $2
			AND (deadline_on > $3 OR (deadline_on = $3 AND id > $4))
		ORDER BY deadline_on, id LIMIT $5`, open, dueBy, after, f.AfterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: request queue: %w", err)
	}
	return collectRequests(rows, "request queue")
}

// RequestsOf lists a person's requests, newest first (the "My data" page;
// Reader: the public request page reads it in its transaction).
func (r *Reader) RequestsOf(ctx context.Context, subjectID string) ([]Request, error) {
	if subjectID == "" {
		return nil, nil
	}
	rows, err := r.q.QueryContext(ctx, `SELECT `+requestColumns+` FROM requests
		WHERE subject_id = $1 ORDER BY received_on DESC, id DESC`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("store: requests of %s: %w", subjectID, err)
	}
	return collectRequests(rows, "requests of "+subjectID)
}

// ForgetRequestsOf unlinks people's requests from them at erasure (Art.
// 17, Z9): the account id and everything staff wrote about them go; type,
// channel, dates, status and the pseudonym stay as proof that the request
// was answered in time (Art. 5(2)), naming nobody (G2). Set-based, for a
// whole retention batch: one statement when none of the subjects has a
// request (the usual case), two when some have.
func (tx *Tx) ForgetRequestsOf(ctx context.Context, subjects []string) (int64, error) {
	if len(subjects) == 0 {
		return 0, nil
	}
	cond, args, err := tx.batchIn(ctx, "subject_id", 1, subjects)
	if err != nil {
		return 0, fmt.Errorf("store: forget requests of %d subjects: %w", len(subjects), err)
	}
	rows, err := tx.hotRows(ctx, `UPDATE requests SET subject_id = '', details = '', outcome = '',
			extension_reason = '', verify_token_hash = ''
		WHERE subject_id <> '' AND `+cond+` RETURNING id`, args...)
	if err != nil {
		return 0, fmt.Errorf("store: forget requests of %d subjects: %w", len(subjects), err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: forget requests of %d subjects: %w", len(subjects), err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: forget requests of %d subjects: %w", len(subjects), err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	// The steps' notes are staff's free text about the person.
	scond, sarg := in(tx.Dialect, "request_id", 1, ids)
	if _, err := tx.ExecContext(ctx, `UPDATE request_steps SET note = '' WHERE `+scond, sarg); err != nil {
		return 0, fmt.Errorf("store: forget requests of %d subjects: steps: %w", len(subjects), err)
	}
	return int64(len(ids)), nil
}

func collectRequests(rows *sql.Rows, what string) ([]Request, error) {
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

func scanRequest(r interface{ Scan(...any) error }) (*Request, error) {
	var q Request
	var ext string
	var received, asked, verified, extended, closed, created int64
	if err := r.Scan(&q.ID, &q.SubjectID, &q.SubjectPseudonym, &q.Type, &q.Channel, &received, &q.Details, &q.Purpose,
		&q.Status, &asked, &verified, &q.Verified, &ext, &q.ExtensionReason, &extended,
		&closed, &q.Outcome, &created, &q.CreatedBy, &q.SubjectKind); err != nil {
		return nil, err
	}
	q.ReceivedOn, q.VerifyAskedOn, q.VerifiedOn = fromDayMillis(received), fromDayMillis(asked), fromDayMillis(verified)
	q.ExtendedOn, q.ClosedOn = fromDayMillis(extended), fromDayMillis(closed)
	q.CreatedAt = time.UnixMilli(created).UTC()
	if ext != "" {
		d, err := policy.ParseDuration(ext)
		if err != nil {
			return nil, fmt.Errorf("request %s: extension: %w", q.ID, err)
		}
		q.Extension = d
	}
	return &q, nil
}

func wrapRequestErr(err error, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return steward.Errorf(steward.ENOTFOUND, "error.no_request", "id", id)
	}
	return fmt.Errorf("store: request %s: %w", id, err)
}

// dayMillis stores a day (or no day, 0).
func dayMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromDayMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func durationText(d policy.Duration) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// eraseRequests and eraseDisclosures: erasure reaches requests and
// disclosures through the one erasure path (EraseSubjects, subjectErasers),
// for a person's own erasure and the retention runner alike; they keep only
// the pseudonym.
func eraseRequests(ctx context.Context, tx *Tx, subjects []string, _ erasure.Action) error {
	_, err := tx.ForgetRequestsOf(ctx, subjects)
	return err
}

func eraseDisclosures(ctx context.Context, tx *Tx, subjects []string, _ erasure.Action) error {
	_, err := tx.ForgetDisclosuresOf(ctx, subjects)
	return err
}

// SubjectState is what the rights desk needs to know of an account before
// acting on it.
type SubjectState struct {
	ID        string
	Pseudonym string
	// Erased is true for an anonymised account (Z9), whose row remains
	// for statistics but names nobody.
	Erased bool
}

// SubjectState reads an account's state inside the transaction; an
// account that does not exist (or was deleted) is ENOTFOUND.
func (tx *Tx) SubjectState(ctx context.Context, id string) (SubjectState, error) {
	st := SubjectState{ID: id}
	var anonymised sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT pseudonym, anonymised_at FROM accounts WHERE id = $1 AND role = ''`, id).Scan(&st.Pseudonym, &anonymised)
	if errors.Is(err, sql.ErrNoRows) {
		return st, steward.Errorf(steward.ENOTFOUND, "error.no_person")
	}
	if err != nil {
		return st, fmt.Errorf("store: subject %s: %w", id, err)
	}
	st.Erased = anonymised.Valid
	return st, nil
}

// RequestHasStep reports whether a request's timeline holds a step of
// the given kind (a rectification is done only after its edit).
func (r *Reader) RequestHasStep(ctx context.Context, requestID, kind string) (bool, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM request_steps WHERE request_id = $1 AND kind = $2`, requestID, kind).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: steps of request %s: %w", requestID, err)
	}
	return n > 0, nil
}
