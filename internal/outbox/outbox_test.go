package outbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRetryDoublesUpToItsCapAndGivesUp(t *testing.T) {
	r := Retry{MaxAttempts: 3, FirstRetry: time.Minute, MaxRetry: 5 * time.Minute}
	for failures, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 4: 5 * time.Minute, 10: 5 * time.Minute} {
		if got := r.Delay(failures); got != want {
			t.Errorf("Delay(%d) = %v, want %v", failures, got, want)
		}
	}
	boom := errors.New("boom")
	for _, c := range []struct {
		err       error
		permanent bool
		attempt   int
		want      Outcome
	}{
		{nil, false, 1, Done},
		{nil, false, 3, Done},
		{boom, false, 1, Retrying},
		{boom, false, 2, Retrying},
		{boom, false, 3, Failed},
		{boom, true, 1, Failed},
	} {
		if got := r.Judge(c.err, c.permanent, c.attempt); got != c.want {
			t.Errorf("Judge(%v, %v, %d) = %v, want %v", c.err, c.permanent, c.attempt, got, c.want)
		}
	}
}

func TestLoopWorksAtOnceOnNotifyAndStopsWithItsContext(t *testing.T) {
	l := NewLoop()
	ctx, cancel := context.WithCancel(context.Background())
	runs := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- l.Run(ctx, time.Hour, func(context.Context) { runs <- struct{}{} })
	}()
	<-runs // at once, not after the hour
	l.Notify()
	l.Notify() // a second wake-up while one is pending is dropped, never blocks
	<-runs
	cancel()
	select {
	case <-runs: // the dropped Notify may have raced the first; drain it
	case <-time.After(50 * time.Millisecond):
	}
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil when its context ends", err)
	}
}
