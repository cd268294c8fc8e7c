package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"steward/clock"
	"steward/internal/outbox"
	"steward/store"
)

// Options tune a Dispatcher. The zero value of each field means its default.
type Options struct {
	// BatchSize is how many mails one claim takes and one SMTP connection
	// carries; default 50.
	BatchSize int
	// Lease is how long a claimed batch belongs to this dispatcher; if it
	// dies, another may take the mails after this. It must exceed the time
	// a batch takes to send; default 10 minutes.
	Lease time.Duration
	// PollInterval is how often Run looks for due mail; default 30 seconds.
	PollInterval time.Duration
	// MaxAttempts is how many attempts a mail gets before it is marked
	// failed; default 15, which with the default back-off spans about 38
	// hours, in line with what mail servers retry for.
	MaxAttempts int
	// FirstRetry is the wait after the first failure; it doubles with each
	// further failure up to MaxRetry. Defaults 1 minute and 6 hours.
	FirstRetry time.Duration
	MaxRetry   time.Duration
	// KeepSent is how long Run keeps finished mails before PruneSent deletes
	// them; default 30 days; negative keeps them (another job prunes).
	KeepSent time.Duration
	// Logger receives one line per outcome, with ids and kinds only; default
	// slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 50
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 15
	}
	def(&o.Lease, 10*time.Minute)
	def(&o.PollInterval, 30*time.Second)
	def(&o.FirstRetry, time.Minute)
	def(&o.MaxRetry, 6*time.Hour)
	def(&o.KeepSent, 30*24*time.Hour)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// RetryDelay is the wait after a mail's failures-th failed attempt:
// FirstRetry, doubling each time, at most MaxRetry (1m, 2m, 4m, ... 6h).
func (o Options) RetryDelay(failures int) time.Duration { return o.retry().Delay(failures) }

func (o Options) retry() outbox.Retry {
	o = o.withDefaults()
	return outbox.Retry{MaxAttempts: o.MaxAttempts, FirstRetry: o.FirstRetry, MaxRetry: o.MaxRetry}
}

// Dispatcher delivers due outbox mail. Several dispatchers, in one process or
// many, may run against the same database: each mail is claimed by one.
type Dispatcher struct {
	store     *store.Store
	transport Transport
	clock     clock.Clock
	opt       Options
	log       *slog.Logger
	loop      *outbox.Loop
	lastPrune time.Time
}

// NewDispatcher returns a dispatcher that delivers through t. A nil t (no
// SMTP configured) makes a dispatcher that sends nothing: mail stays in the
// outbox, where `steward mail list/show` shows it to the operator.
func NewDispatcher(s *store.Store, t Transport, clk clock.Clock, opt Options) *Dispatcher {
	if snd, ok := t.(*Sender); ok && snd == nil {
		t = nil // a nil *Sender in the interface is still "no SMTP"
	}
	opt = opt.withDefaults()
	return &Dispatcher{store: s, transport: t, clock: clk, opt: opt, log: opt.Logger, loop: outbox.NewLoop()}
}

// Enabled reports whether the dispatcher has a transport to send with.
func (d *Dispatcher) Enabled() bool { return d.transport != nil }

// Report counts what one DeliverDue did.
type Report struct {
	Sent int
	// Retrying counts failed attempts that will be retried later.
	Retrying int
	// Failed counts mails given up on.
	Failed int
}

// DeliverDue claims and sends every mail due now, batch by batch, and
// records each outcome: sent; or failed, to be retried after RetryDelay; or
// failed for good after MaxAttempts or a permanent refusal. Without a
// transport it does nothing. It is the one-shot behind `steward mail
// send-due` and what tests call; Run calls it on every tick.
func (d *Dispatcher) DeliverDue(ctx context.Context) (Report, error) {
	var r Report
	if d.transport == nil {
		return r, nil
	}
	for {
		now := d.clock.Now()
		claim, err := d.store.ClaimDueMail(ctx, now, d.opt.Lease, d.opt.BatchSize)
		if err != nil {
			return r, fmt.Errorf("mail: deliver due: %w", err)
		}
		if len(claim.Mails) == 0 {
			return r, nil
		}
		batch := make([]Queued, len(claim.Mails))
		for i, m := range claim.Mails {
			batch[i] = Queued{ID: m.ID, Created: m.CreatedAt, Date: now, Message: Message{
				Kind: Kind(m.Kind), SubjectID: m.SubjectID, To: m.Recipient,
				Subject: m.Subject, Text: m.Text, HTML: m.HTML, Headers: m.Headers,
			}}
		}
		errs := d.transport.Deliver(ctx, batch)
		// Record outcomes even when ctx was cancelled mid-batch: a mail
		// that went out must be marked sent, or it would go out again.
		rec := context.WithoutCancel(ctx)
		for i, m := range claim.Mails {
			if errors.Is(errs[i], context.Canceled) || errors.Is(errs[i], context.DeadlineExceeded) {
				continue // not attempted; the lease runs out and it falls due again
			}
			d.record(rec, claim.Token, m, errs[i], &r)
		}
		if err := ctx.Err(); err != nil {
			return r, fmt.Errorf("mail: deliver due: %w", err)
		}
		if len(claim.Mails) < d.opt.BatchSize {
			return r, nil
		}
	}
}

// record stores the outcome of one attempt and logs it by id and kind.
func (d *Dispatcher) record(ctx context.Context, token string, m store.OutboxMail, sendErr error, r *Report) {
	at := d.clock.Now()
	attempt := m.Attempts + 1
	log := d.log.With("mail_id", m.ID, "kind", m.Kind, "attempt", attempt)
	var err error
	switch d.opt.retry().Judge(sendErr, IsPermanent(sendErr), attempt) {
	case outbox.Done:
		err = d.store.MarkMailSent(ctx, token, m.ID, at)
		r.Sent++
		log.Info("mail sent")
	case outbox.Failed:
		reason := SafeError(sendErr)
		err = d.store.MarkMailFailed(ctx, token, m.ID, at, reason)
		r.Failed++
		log.Warn("mail failed for good", "error", reason)
	default:
		reason := SafeError(sendErr)
		next := at.Add(d.opt.RetryDelay(attempt))
		err = d.store.MarkMailRetry(ctx, token, m.ID, at, next, reason)
		r.Retrying++
		log.Info("mail attempt failed; will retry", "error", reason, "next_attempt_at", next)
	}
	if err != nil {
		// The mail went out (or failed) but the outcome is not stored: after
		// the lease it is tried again. Delivery is at least once.
		log.Error("mail outcome not recorded", "error", err)
	}
}

// Notify asks a running Run to look for due mail now rather than at the next
// poll, e.g. right after a sign-up commits. It never blocks.
func (d *Dispatcher) Notify() { d.loop.Notify() }

// pruneEvery is how often Run prunes finished mail.
const pruneEvery = time.Hour

// Run delivers due mail every PollInterval (and on Notify) and prunes
// finished mail older than KeepSent, until ctx ends. Failures are logged and
// retried on the next tick; Run returns nil when ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.transport == nil {
		d.log.Warn("no SMTP server configured: mail stays in the outbox (see 'steward mail list')")
	}
	return d.loop.Run(ctx, d.opt.PollInterval, func(ctx context.Context) {
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("mail delivery", "error", err)
		}
		d.pruneIfDue(ctx)
	})
}

func (d *Dispatcher) pruneIfDue(ctx context.Context) {
	now := d.clock.Now()
	if d.opt.KeepSent < 0 || now.Sub(d.lastPrune) < pruneEvery {
		return
	}
	n, err := d.store.PruneSent(ctx, now.Add(-d.opt.KeepSent))
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("mail prune", "error", err)
		}
		return
	}
	d.lastPrune = now
	if n > 0 {
		d.log.Info("pruned finished mail", "count", n)
	}
}

// addressPattern matches anything shaped like an e-mail address.
var addressPattern = regexp.MustCompile(`<?[^\s<>"'(),;:\[\]]+@[^\s<>"'(),;:\[\]]+>?`)

// maxErrorLen bounds a stored error message.
const maxErrorLen = 300

// SafeError turns a delivery error into text fit for the outbox's last_error
// column and the log: SMTP replies often quote the recipient ("550 5.1.1
// <jan@example.org>: unknown user"), so every address is replaced with
// "<address>", and the text is cut to one line of bounded length.
func SafeError(err error) string {
	if err == nil {
		return ""
	}
	s := addressPattern.ReplaceAllString(err.Error(), "<address>")
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxErrorLen {
		s = string(r[:maxErrorLen]) + "…"
	}
	return s
}
