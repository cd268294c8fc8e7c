package combine

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestCallsArrivingWhileABatchRunsRunTogether holds the first batch open
// until the other calls wait, then checks they ran as one batch, each
// getting its own result.
func TestCallsArrivingWhileABatchRunsRunTogether(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var batches [][]int
	c := &Combiner[int, int]{Run: func(_ context.Context, items []int) []int {
		mu.Lock()
		batches = append(batches, slices.Clone(items))
		first := len(batches) == 1
		mu.Unlock()
		if first {
			close(started)
			<-release
		}
		out := make([]int, len(items))
		for i, v := range items {
			out[i] = v * 10
		}
		return out
	}}
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make([]int, 6)
	wg.Go(func() { got[0], _ = c.Do(ctx, 0) })
	<-started
	for i := 1; i < 6; i++ {
		wg.Go(func() { got[i], _ = c.Do(ctx, i) })
	}
	// The five wait in the queue before the first batch ends.
	waitFor(c, 5)
	close(release)
	wg.Wait()
	for i, v := range got {
		if v != i*10 {
			t.Errorf("call %d got %d, want %d", i, v, i*10)
		}
	}
	if len(batches) != 2 || len(batches[0]) != 1 || len(batches[1]) != 5 {
		t.Fatalf("batches %v, want [0] then the other five together", batches)
	}
	if c.running != 0 || len(c.waiting) != 0 {
		t.Fatalf("combiner left %d running with %d waiting", c.running, len(c.waiting))
	}
}

// TestBatchesAreCappedAndEveryCallAnswered runs many calls at once with a
// small Max: every call gets its own result and no batch is over Max.
func TestBatchesAreCappedAndEveryCallAnswered(t *testing.T) {
	var mu sync.Mutex
	largest := 0
	c := &Combiner[int, int]{Max: 3, Run: func(_ context.Context, items []int) []int {
		mu.Lock()
		largest = max(largest, len(items))
		mu.Unlock()
		return negated(items)
	}}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			if v, err := c.Do(context.Background(), i); err != nil || v != -i {
				t.Errorf("call %d: %d, %v", i, v, err)
			}
		})
	}
	wg.Wait()
	if largest > 3 || largest < 1 {
		t.Fatalf("largest batch %d, want 1..3", largest)
	}
}

// TestTheLeadersCancellationDoesNotReachRun: the batch runs on after the
// leading caller's context is cancelled, since other calls share it.
func TestTheLeadersCancellationDoesNotReachRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &Combiner[int, error]{Run: func(ctx context.Context, items []int) []error {
		return []error{ctx.Err()}
	}}
	if res, err := c.Do(ctx, 1); err != nil || res != nil {
		t.Fatalf("Run saw %v, %v; want an uncancelled context", res, err)
	}
}

// TestAPanicFailsTheBatchAndFreesTheCombiner: the leading call panics
// again, the others get an error, and later calls still run.
func TestAPanicFailsTheBatchAndFreesTheCombiner(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	calls := 0
	c := &Combiner[int, int]{Run: func(_ context.Context, items []int) []int {
		calls++
		switch calls {
		case 1:
			close(started)
			<-release
			return []int{1}
		case 2:
			panic("boom")
		}
		return make([]int, len(items))
	}}
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Go(func() { c.Do(ctx, 0) })
	<-started
	errs := make(chan error, 2)
	panics := make(chan any, 2)
	for range 2 {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					panics <- p
				}
			}()
			_, err := c.Do(ctx, 1)
			errs <- err
		})
	}
	waitFor(c, 2)
	close(release)
	wg.Wait()
	close(errs)
	close(panics)
	if p := <-panics; p != "boom" {
		t.Fatalf("leader's panic %v, want boom", p)
	}
	err := <-errs
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("the other call got %v, want the batch's failure", err)
	}
	if _, err := c.Do(ctx, 2); err != nil {
		t.Fatalf("after the panic: %v", err)
	}
}

// negated is each item's negative: a Run's results, told apart from its
// items.
func negated(items []int) []int {
	out := make([]int, len(items))
	for i, v := range items {
		out[i] = -v
	}
	return out
}

// waitFor returns once n calls wait behind the batch running in c.
func waitFor[T, R any](c *Combiner[T, R], n int) {
	for {
		c.mu.Lock()
		waiting := len(c.waiting)
		c.mu.Unlock()
		if waiting == n {
			return
		}
		runtime.Gosched()
	}
}

// TestLanesRunBatchesSideBySide: with two lanes, the first two calls each
// lead a batch of their own at once; the calls after them wait, and run
// together when a lane is free.
func TestLanesRunBatchesSideBySide(t *testing.T) {
	release := make(chan struct{})
	started := make(chan int, 2)
	var mu sync.Mutex
	var batches [][]int
	c := &Combiner[int, int]{Lanes: 2, Run: func(_ context.Context, items []int) []int {
		mu.Lock()
		batches = append(batches, slices.Clone(items))
		n := len(batches)
		mu.Unlock()
		if n <= 2 {
			started <- items[0]
			<-release
		}
		return slices.Clone(items)
	}}
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Go(func() { c.Do(ctx, 0) })
	wg.Go(func() { c.Do(ctx, 1) })
	// Both lead before either ends: neither waits for the other.
	<-started
	<-started
	for i := 2; i < 6; i++ {
		wg.Go(func() {
			if v, err := c.Do(ctx, i); err != nil || v != i {
				t.Errorf("call %d: %d, %v", i, v, err)
			}
		})
	}
	waitFor(c, 4)
	close(release)
	wg.Wait()
	if len(batches) < 3 || len(batches[0]) != 1 || len(batches[1]) != 1 {
		t.Fatalf("batches %v, want two of one call each, then the other four", batches)
	}
	if c.running != 0 || len(c.waiting) != 0 {
		t.Fatalf("combiner left %d running with %d waiting", c.running, len(c.waiting))
	}
}

// TestOnlyCallsBesideLeadASecondLane: with Beside, a call it refuses waits
// for the running batch however many lanes there are; one it allows leads
// at once, beside it.
func TestOnlyCallsBesideLeadASecondLane(t *testing.T) {
	release := make(chan struct{})
	started := make(chan int, 2)
	var mu sync.Mutex
	var batches [][]int
	c := &Combiner[int, int]{Lanes: 2, Beside: func(v int) bool { return v >= 100 }, Run: func(_ context.Context, items []int) []int {
		mu.Lock()
		batches = append(batches, slices.Clone(items))
		mu.Unlock()
		if items[0] == 0 || items[0] == 100 {
			started <- items[0]
			<-release
		}
		return slices.Clone(items)
	}}
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Go(func() { c.Do(ctx, 0) })
	<-started
	wg.Go(func() { c.Do(ctx, 1) })
	waitFor(c, 1) // 1 is small: it waits
	wg.Go(func() { c.Do(ctx, 100) })
	if v := <-started; v != 100 {
		t.Fatalf("%d started, want 100 beside 0", v)
	}
	close(release)
	wg.Wait()
	if len(batches) != 2 || !slices.Equal(batches[0], []int{0}) || !slices.Equal(batches[1], []int{100, 1}) {
		t.Fatalf("batches %v, want [0], then 100 leading with 1", batches)
	}
	if c.running != 0 || len(c.waiting) != 0 {
		t.Fatalf("combiner left %d running with %d waiting", c.running, len(c.waiting))
	}
}

// TestLanesNeverRunMoreBatchesThanAllowed runs many calls through two
// lanes, half of them allowed beside: every call gets its own result, at
// most two batches run at once, and the lead is never handed to one call
// twice (two batches ending at the same moment).
func TestLanesNeverRunMoreBatchesThanAllowed(t *testing.T) {
	var running, most atomic.Int32
	c := &Combiner[int, int]{Lanes: 2, Max: 3, Beside: func(v int) bool { return v%2 == 0 }, Run: func(_ context.Context, items []int) []int {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		runtime.Gosched()
		running.Add(-1)
		return negated(items)
	}}
	var wg sync.WaitGroup
	for i := range 2000 {
		wg.Go(func() {
			if v, err := c.Do(context.Background(), i); err != nil || v != -i {
				t.Errorf("call %d: %d, %v", i, v, err)
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m > 2 || m < 1 {
		t.Fatalf("%d batches ran at once, want at most 2", m)
	}
	if c.running != 0 || len(c.waiting) != 0 {
		t.Fatalf("combiner left %d running with %d waiting", c.running, len(c.waiting))
	}
}
