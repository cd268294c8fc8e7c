package main

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// jobs runs serve's background loops (mail dispatch, session pruning,
// retention) and lets shutdown wait until each has stopped, so no job is
// cut off in the middle of a transaction by the process exiting.
type jobs struct {
	wg  sync.WaitGroup
	log *slog.Logger
}

// run starts fn in the background; fn must return when ctx ends.
func (j *jobs) run(ctx context.Context, name string, fn func(context.Context) error) {
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			j.log.Error("background job stopped", "job", name, "err", err)
		}
	}()
}

// every runs fn now and then once per interval until ctx ends. An error is
// logged and the next tick tries again: a job that fails once (a database
// restart) must not stop for good.
func (j *jobs) every(ctx context.Context, name string, interval time.Duration, fn func(context.Context) error) {
	j.run(ctx, name, func(ctx context.Context) error {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				j.log.Error("background job failed; retrying at the next interval", "job", name, "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
}

// wait blocks until every job has returned.
func (j *jobs) wait() { j.wg.Wait() }
