package account

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"steward"
)

var cheapParams = HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// TestHasherBoundsHashesInFlight: 40 concurrent verifications with room
// for 2 running and 3 waiting: never more than 2 run at once, the ones
// beyond the queue are refused at once with ErrHashBusy (a 503), and
// every admitted one completes (issue 14, finding 1).
func TestHasherBoundsHashesInFlight(t *testing.T) {
	h := NewHasher(HashParams{Memory: 4 * 1024, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}, 2, 3)
	phc := HashPassword("correct horse battery", h.Params)
	var maxRunning, ok, busy atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			good, _, err := h.Verify(context.Background(), "correct horse battery", phc)
			switch {
			case errors.Is(err, ErrHashBusy):
				if steward.ErrorCode(err) != steward.EUNAVAILABLE {
					t.Errorf("busy error has code %q", steward.ErrorCode(err))
				}
				busy.Add(1)
			case err != nil || !good:
				t.Errorf("verify: %v %v", good, err)
			default:
				ok.Add(1)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			r, _ := h.InFlight()
			if int32(r) > maxRunning.Load() {
				maxRunning.Store(int32(r))
			}
			time.Sleep(50 * time.Microsecond)
		}
	}()
	close(start)
	wg.Wait()
	close(done)
	if m := maxRunning.Load(); m > 2 {
		t.Errorf("%d hashes ran at once, bound is 2", m)
	}
	if ok.Load() < 5 || ok.Load()+busy.Load() != 40 {
		t.Errorf("%d verified, %d refused as busy; want at least the 5 admitted verified and the rest refused", ok.Load(), busy.Load())
	}
	if r, a := h.InFlight(); r != 0 || a != 0 {
		t.Errorf("after the burst %d running, %d admitted; want 0", r, a)
	}
}

// TestHasherWaitEndsWithContext: a request waiting for a slot gives up
// when its context ends and frees its place in the queue.
func TestHasherWaitEndsWithContext(t *testing.T) {
	h := NewHasher(cheapParams, 1, 1)
	if err := h.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting hash: %v, want the context's error", err)
	}
	if _, a := h.InFlight(); a != 1 {
		t.Fatalf("%d admitted after the waiter left, want 1", a)
	}
	h.release()
	if _, err := h.Hash(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
}

// TestHasherRefusesBeyondQueueAtOnce: with every slot running and the
// queue full, the next request is refused without waiting.
func TestHasherRefusesBeyondQueueAtOnce(t *testing.T) {
	h := NewHasher(cheapParams, 2, 3)
	for range 2 {
		if err := h.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	waiting := make(chan error, 3)
	for range 3 {
		go func() { _, err := h.Hash(context.Background(), "x"); waiting <- err }()
	}
	for { // until the three wait in the queue
		if _, a := h.InFlight(); a == 5 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := h.Hash(context.Background(), "x"); !errors.Is(err, ErrHashBusy) {
		t.Fatalf("sixth request: %v, want ErrHashBusy", err)
	}
	if _, _, err := h.Verify(context.Background(), "x", "y"); !errors.Is(err, ErrHashBusy) {
		t.Fatalf("verify beyond the queue: %v, want ErrHashBusy", err)
	}
	h.release()
	h.release()
	for range 3 {
		if err := <-waiting; err != nil {
			t.Fatalf("queued request: %v", err)
		}
	}
}

// adviceLog records what a Hasher asks of its PageAdviser.
type adviceLog struct {
	mu   sync.Mutex
	asks []bool
}

func (l *adviceLog) Advise(huge bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asks = append(l.asks, huge)
	return nil
}

func (l *adviceLog) got() []bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.asks)
}

// TestHasherAdvisesHugePagesWhileHashesRun: the first hash asks for huge
// pages, hashes within the next second do not ask again, the idle
// release takes the advice back before the memory goes to the system,
// and the next hash asks again. (internal/hugepages proves the advice
// itself on the real heap.)
func TestHasherAdvisesHugePagesWhileHashesRun(t *testing.T) {
	var log adviceLog
	h := NewHasher(cheapParams, 2, 2)
	h.AdvisePages(&log)
	ctx := context.Background()
	for range 3 {
		if _, err := h.Hash(ctx, "a password"); err != nil {
			t.Fatal(err)
		}
	}
	if got := log.got(); !slices.Equal(got, []bool{true}) {
		t.Fatalf("after three hashes in a row: advice %v, want [true]", got)
	}
	h.releaseMemory() // what the idle timer does
	if got := log.got(); !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("after the idle release: advice %v, want [true false]", got)
	}
	h.releaseMemory() // nothing to take back twice
	if _, err := h.Hash(ctx, "a password"); err != nil {
		t.Fatal(err)
	}
	if got := log.got(); !slices.Equal(got, []bool{true, false, true}) {
		t.Fatalf("after the next hash: advice %v, want [true false true]", got)
	}
}

// TestHasherKeepsTheAdviceWhileAHashWaits: an idle release that finds a
// hash admitted leaves the advice on.
func TestHasherKeepsTheAdviceWhileAHashWaits(t *testing.T) {
	var log adviceLog
	h := NewHasher(cheapParams, 1, 2)
	h.AdvisePages(&log)
	if err := h.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.releaseMemory()
	h.release()
	if got := log.got(); !slices.Equal(got, []bool{true}) {
		t.Fatalf("advice %v, want [true]: taken back while a hash ran", got)
	}
}
