// Package combine runs concurrent calls together: while one batch of
// calls runs, the calls that arrive wait, and then run as the next batch
// in one go. N callers at once then cost about what one caller with N
// items costs — for a store write, one transaction and one commit flush
// instead of N (issue 16: a learning environment's workers each posting
// one xAPI statement).
//
// There is no timer and no goroutine of its own: a call that finds no
// batch running runs one itself (it leads), and when its batch is done it
// hands the lead to the first call waiting, which runs the next batch. A
// call alone waits for nothing.
//
// With Lanes above one, that many batches may run at once: a call that
// finds fewer running leads a batch of its own. Run must then be safe
// for batches running side by side.
package combine

import (
	"context"
	"fmt"
	"sync"
)

// Combiner batches calls of Run. Its zero value is not usable; set Run.
type Combiner[T, R any] struct {
	// Run does the items of one batch and returns their results in the
	// same order. It runs on the leading call's goroutine, with a context
	// that keeps that call's values but not its cancellation: the other
	// calls of the batch must not fail because the leader's caller left.
	Run func(ctx context.Context, items []T) []R
	// Max is the most calls in one batch (0: 64).
	Max int
	// Lanes is the most batches running at once (0: 1). A call leads a
	// batch beside one already running only if Beside reports true for
	// its item (Beside nil: every call may); the others wait for a batch
	// to end.
	Lanes  int
	Beside func(T) bool

	mu      sync.Mutex
	waiting []*call[T, R]
	// running is how many batches are running.
	running int
}

type call[T, R any] struct {
	item T
	// wake is closed when the call's result is set, or when it is to
	// lead the next batch (lead).
	wake chan struct{}
	lead bool
	res  R
	err  error
}

// Do runs item in the next batch and returns its result. Items of one
// batch share the fate Run gives them; a panic in Run fails every call of
// the batch with an error and is raised again in the call that led it.
func (c *Combiner[T, R]) Do(ctx context.Context, item T) (R, error) {
	cl := &call[T, R]{item: item, wake: make(chan struct{})}
	c.mu.Lock()
	if c.mayLead(item) {
		c.running++
		c.mu.Unlock()
	} else {
		c.waiting = append(c.waiting, cl)
		c.mu.Unlock()
		<-cl.wake
		if !cl.lead {
			return cl.res, cl.err
		}
	}
	c.lead(ctx, cl)
	return cl.res, cl.err
}

// mayLead reports whether a call for item may lead a batch now. The
// caller holds c.mu.
func (c *Combiner[T, R]) mayLead(item T) bool {
	return c.running == 0 || c.running < max(c.Lanes, 1) && (c.Beside == nil || c.Beside(item))
}

// lead runs first, the leading call, and the calls waiting longest as one
// batch, then hands the lead on to the next call waiting.
func (c *Combiner[T, R]) lead(ctx context.Context, first *call[T, R]) {
	max := c.Max
	if max <= 0 {
		max = 64
	}
	c.mu.Lock()
	n := min(len(c.waiting), max-1)
	batch := make([]*call[T, R], 1+n)
	batch[0] = first
	copy(batch[1:], c.waiting)
	c.waiting = c.waiting[n:]
	c.mu.Unlock()

	defer func() {
		p := recover()
		if p != nil {
			for _, cl := range batch {
				cl.err = fmt.Errorf("combine: a batch of %d calls failed: %v", len(batch), p)
			}
		}
		// The leading call is batch[0]: it returns by itself, the others
		// are woken with their results.
		for _, cl := range batch[1:] {
			cl.lead = false
			close(cl.wake)
		}
		c.mu.Lock()
		c.running--
		if len(c.waiting) > 0 && c.mayLead(c.waiting[0].item) {
			// Taken out of the queue here, under the lock, so that two
			// batches ending at once never hand the lead to one call.
			c.running++
			next := c.waiting[0]
			c.waiting = c.waiting[1:]
			next.lead = true
			close(next.wake)
		}
		c.mu.Unlock()
		if p != nil {
			panic(p)
		}
	}()
	items := make([]T, len(batch))
	for i, cl := range batch {
		items[i] = cl.item
	}
	res := c.Run(context.WithoutCancel(ctx), items)
	if len(res) != len(items) {
		panic(fmt.Sprintf("combine: Run returned %d results for %d items", len(res), len(items)))
	}
	for i, cl := range batch {
		cl.res = res[i]
	}
}
