// Package outbox holds what the dispatchers of Steward's durable outboxes
// (mail, and the LMS's deletions, corrections and enrolments) share: how
// a failed attempt is tried again, and the loop that delivers what is due
// on every tick and whenever a commit says there is something new.
package outbox

import (
	"context"
	"time"
)

// Retry is how a dispatcher tries a message again: FirstRetry after the
// first failure, doubling with each further one up to MaxRetry, and at
// most MaxAttempts attempts in all.
type Retry struct {
	MaxAttempts          int
	FirstRetry, MaxRetry time.Duration
}

// Delay is the wait after a message's failures-th failed attempt.
func (r Retry) Delay(failures int) time.Duration {
	d := r.FirstRetry
	for i := 1; i < failures && d < r.MaxRetry; i++ {
		d *= 2
	}
	return min(d, r.MaxRetry)
}

// Outcome is what becomes of a message after an attempt.
type Outcome int

const (
	Done     Outcome = iota // delivered (or nothing left to deliver)
	Retrying                // failed; tried again after Delay
	Failed                  // failed for good
)

// Judge decides the outcome of the attempt-th attempt, which ended in
// sendErr: a permanent refusal or the last attempt fails for good.
func (r Retry) Judge(sendErr error, permanent bool, attempt int) Outcome {
	switch {
	case sendErr == nil:
		return Done
	case permanent || attempt >= r.MaxAttempts:
		return Failed
	}
	return Retrying
}

// Loop runs a dispatcher's work every poll interval and whenever Notify
// is called, until its context ends.
type Loop struct{ wake chan struct{} }

// NewLoop returns a Loop with no wake-up pending.
func NewLoop() *Loop { return &Loop{wake: make(chan struct{}, 1)} }

// Notify asks a running Run to do its work now rather than at the next
// tick, e.g. right after a commit that queued a message. It never blocks.
func (l *Loop) Notify() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run calls work at once, then every poll and on Notify, until ctx ends;
// then it returns nil.
func (l *Loop) Run(ctx context.Context, poll time.Duration, work func(context.Context)) error {
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		work(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-l.wake:
		}
	}
}
