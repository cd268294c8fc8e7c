package lms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/internal/outbox"
	"steward/store"
)

// Options tune a Dispatcher; the zero value of each field is its default.
type Options struct {
	// BatchSize is how many messages one claim takes; default 20.
	BatchSize int
	// Lease is how long a claimed batch belongs to this dispatcher; a
	// killed one's messages fall due again after it. Default 5 minutes.
	Lease time.Duration
	// PollInterval is how often Run looks for due messages; default 1
	// minute.
	PollInterval time.Duration
	// MaxAttempts before a message is marked failed; default 20, which
	// with the default back-off spans about four days: long enough to
	// outlast a weekend's outage of the LMS.
	MaxAttempts int
	// FirstRetry is the wait after the first failure, doubling up to
	// MaxRetry; defaults 1 minute and 6 hours.
	FirstRetry time.Duration
	MaxRetry   time.Duration
	// KeepDone is how long a confirmed or failed message stays for My
	// data and the request page to show; default 90 days.
	KeepDone time.Duration
	// Logger gets one line per outcome, ids and error codes only.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 20
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 20
	}
	def(&o.Lease, 5*time.Minute)
	def(&o.PollInterval, time.Minute)
	def(&o.FirstRetry, time.Minute)
	def(&o.MaxRetry, 6*time.Hour)
	def(&o.KeepDone, 90*24*time.Hour)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// RetryDelay is the wait after the failures-th failed attempt:
// FirstRetry, doubling each time, at most MaxRetry.
func (o Options) RetryDelay(failures int) time.Duration { return o.retry().Delay(failures) }

func (o Options) retry() outbox.Retry {
	o = o.withDefaults()
	return outbox.Retry{MaxAttempts: o.MaxAttempts, FirstRetry: o.FirstRetry, MaxRetry: o.MaxRetry}
}

// Valuer reads an update's values at send time; ok is false when the
// account is gone. EnrolmentCourse reads an enrolment's LMS course id at
// send time; ok is false when the enrolment or the LMS account is gone.
type Valuer interface {
	Values(ctx context.Context, accountID string, fields []string) (vals map[string]string, ok bool, err error)
	EnrolmentCourse(ctx context.Context, accountID, lmsSubject string, recordID int64) (courseID string, ok bool, err error)
}

// Dispatcher delivers due LMS messages. Several may run against one
// database (serve, and 'steward lms send-due' from cron): each message is
// claimed by one.
type Dispatcher struct {
	Store  *store.Store
	Client *Client
	Values Valuer
	Clock  clock.Clock
	Audit  *audit.Log
	opt    Options
	log    *slog.Logger
	loop   *outbox.Loop
	pruned time.Time
}

// NewDispatcher returns a dispatcher that delivers through c; a nil c (no
// LMS configured) sends nothing and messages wait in the outbox.
func NewDispatcher(s *store.Store, c *Client, v Valuer, clk clock.Clock, log *audit.Log, opt Options) *Dispatcher {
	opt = opt.withDefaults()
	return &Dispatcher{Store: s, Client: c, Values: v, Clock: clk, Audit: log, opt: opt, log: opt.Logger, loop: outbox.NewLoop()}
}

// Enabled reports whether an LMS is configured.
func (d *Dispatcher) Enabled() bool { return d.Client != nil }

// Report counts what one DeliverDue did.
type Report struct {
	Done, Retrying, Failed int
}

// DeliverDue claims and sends every message due now, batch by batch, and
// records each outcome: confirmed (with its audit entry, in one
// transaction); failed, retried after RetryDelay; or failed for good after
// MaxAttempts or a permanent error. The one-shot behind 'steward lms
// send-due'; Run calls it on every tick.
func (d *Dispatcher) DeliverDue(ctx context.Context) (Report, error) {
	var r Report
	if d.Client == nil {
		return r, nil
	}
	for {
		claim, err := d.Store.ClaimDueLMS(ctx, d.Clock.Now(), d.opt.Lease, d.opt.BatchSize)
		if err != nil {
			return r, fmt.Errorf("lms: deliver due: %w", err)
		}
		for _, m := range claim.Messages {
			if ctx.Err() != nil {
				break // not attempted: the lease runs out and it falls due again
			}
			sendErr := d.send(ctx, m)
			if errors.Is(sendErr, context.Canceled) || errors.Is(sendErr, context.DeadlineExceeded) {
				continue
			}
			d.record(context.WithoutCancel(ctx), claim.Token, m, sendErr, &r)
		}
		if err := ctx.Err(); err != nil {
			return r, fmt.Errorf("lms: deliver due: %w", err)
		}
		if len(claim.Messages) < d.opt.BatchSize {
			return r, nil
		}
	}
}

// errGone means an update's or enrolment's account (or, for an
// enrolment, the enrolment or the LMS account) was erased before it was
// sent: the erasure's own delete takes over, nothing is left to correct
// or provision.
var errGone = errors.New("lms: the account is gone")

// send carries out one message: find the Moodle user by the OIDC subject,
// then delete it, update it, or enrol it (created first when Moodle has
// none). A user Moodle does not have is nothing to delete or correct
// (they never signed in to the LMS, or it was deleted already): that
// counts as done, so a message sent twice is harmless.
func (d *Dispatcher) send(ctx context.Context, m store.LMSMessage) error {
	if m.Op == store.LMSEnrol {
		return d.enrol(ctx, m)
	}
	var vals map[string]string
	if m.Op == store.LMSUpdate {
		v, ok, err := d.Values.Values(ctx, m.SubjectID, m.Fields)
		if err != nil {
			return err
		}
		if !ok {
			return errGone
		}
		if len(v) == 0 {
			return nil
		}
		vals = v
	}
	id, found, err := d.Client.Lookup(ctx, m.LMSSubject)
	if err != nil || !found {
		return err
	}
	if m.Op == store.LMSDelete {
		return d.Client.Delete(ctx, id)
	}
	return d.Client.Update(ctx, id, vals)
}

// enrol provisions an enrolment (issue 17 item 4): everything is read now
// — whether the person, their LMS account and the enrolment still exist,
// the course's LMS id, and only if Moodle has no user for the subject the
// values a new user needs — so an erasure before sending sends nothing.
// Sending twice is harmless: the second look-up finds the user the first
// made, and Moodle's enrolment of an enrolled user changes nothing.
func (d *Dispatcher) enrol(ctx context.Context, m store.LMSMessage) error {
	course, ok, err := d.Values.EnrolmentCourse(ctx, m.SubjectID, m.LMSSubject, m.RecordID)
	if err != nil {
		return err
	}
	if !ok {
		return errGone
	}
	if course == "" {
		return errNoCourse
	}
	id, found, err := d.Client.Lookup(ctx, m.LMSSubject)
	if err != nil {
		return err
	}
	if !found {
		vals, ok, err := d.Values.Values(ctx, m.SubjectID, CreateFields)
		if err != nil {
			return err
		}
		if !ok {
			return errGone
		}
		if id, err = d.Client.Create(ctx, m.LMSSubject, vals); err != nil {
			return err
		}
	}
	return d.Client.Enrol(ctx, id, course)
}

// record stores the outcome of one attempt and logs it by id.
func (d *Dispatcher) record(ctx context.Context, token string, m store.LMSMessage, sendErr error, r *Report) {
	at := d.Clock.Now()
	attempt := m.Attempts + 1
	log := d.log.With("lms_message", m.ID, "op", m.Op, "attempt", attempt)
	if errors.Is(sendErr, errGone) {
		sendErr = nil // confirmed by the erasure's own delete
	}
	var err error
	switch d.opt.retry().Judge(sendErr, permanent(sendErr), attempt) {
	case outbox.Done:
		err = d.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.MarkLMSDone(ctx, token, m.ID, at); err != nil {
				return err
			}
			return d.audit(ctx, tx, m, audit.LMSUpdate)
		})
		r.Done++
		log.Info("lms confirmed")
	case outbox.Failed:
		reason := safeError(sendErr)
		err = d.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.MarkLMSFailed(ctx, token, m.ID, at, reason); err != nil {
				return err
			}
			return d.audit(ctx, tx, m, audit.LMSFail)
		})
		r.Failed++
		log.Warn("lms message failed for good", "error", reason)
	default:
		reason := safeError(sendErr)
		next := at.Add(d.opt.RetryDelay(attempt))
		err = d.Store.MarkLMSRetry(ctx, token, m.ID, at, next, reason)
		r.Retrying++
		log.Info("lms attempt failed; will retry", "error", reason, "next_attempt_at", next)
	}
	if err != nil {
		// Sent, but the outcome is not stored: after the lease it is sent
		// again, which is harmless (see send).
		log.Error("lms outcome not recorded", "error", err)
	}
}

// audit writes the outcome's entry: the LMS user by its OIDC subject, the
// account by pseudonym while it exists, the fields by name (G2).
func (d *Dispatcher) audit(ctx context.Context, tx *store.Tx, m store.LMSMessage, action audit.Action) error {
	if d.Audit == nil {
		return nil
	}
	if action == audit.LMSUpdate {
		switch m.Op {
		case store.LMSDelete:
			action = audit.LMSDelete
		case store.LMSEnrol:
			action = audit.LMSEnrol
		}
	}
	e := audit.Entry{Actor: audit.System("lms"), Action: action, ObjectKind: "lms_account", ObjectID: m.LMSSubject,
		Fields: append([]string{string(m.Op)}, m.Fields...)}
	if m.SubjectID != "" {
		if a, err := tx.AccountByID(ctx, m.SubjectID); err == nil {
			e.Subject = audit.Pseudonym(a.Pseudonym)
		}
	}
	return d.Audit.Record(ctx, tx, e)
}

func permanent(err error) bool {
	var me *Error
	return errors.As(err, &me) && me.Permanent()
}

// safeError is an error fit for the outbox's last_error and the log: a
// Moodle error by its exception and code (its message may quote a value),
// anything else cut to one bounded line.
func safeError(err error) string {
	var me *Error
	if errors.As(err, &me) {
		return me.Error()
	}
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Notify asks a running Run to look for due messages now. It never blocks.
func (d *Dispatcher) Notify() { d.loop.Notify() }

// Run delivers due messages every PollInterval (and on Notify) and prunes
// finished ones older than KeepDone, until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.Client == nil {
		d.log.Info("no LMS web service configured: deletions, corrections and enrolments for the LMS wait in its outbox (see 'steward lms list')")
	}
	return d.loop.Run(ctx, d.opt.PollInterval, func(ctx context.Context) {
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("lms delivery", "error", err)
		}
		if now := d.Clock.Now(); now.Sub(d.pruned) >= time.Hour {
			if _, err := d.Store.PruneLMS(ctx, now.Add(-d.opt.KeepDone)); err != nil && ctx.Err() == nil {
				d.log.Error("lms prune", "error", err)
			} else {
				d.pruned = now
			}
		}
	})
}
