package account

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"steward"
)

// ErrHashBusy is answered when more passwords wait to be hashed than the
// Hasher queues: the caller answers 503 with Retry-After at once instead of
// letting the request wait without bound (issue 14, finding 1).
var ErrHashBusy = steward.Errorf(steward.EUNAVAILABLE, "error.too_many_logins")

// Hasher bounds the password hashes in flight. Each argon2id hash holds
// Params.Memory (19 MiB) for its duration and wants a core; 150 hashes at
// once took a server to 2.76 GB, and hashes beyond the number of cores
// only slow each other down. A Hasher runs at most InFlight at once, lets
// at most Queue more wait for a slot, and refuses the rest with
// ErrHashBusy, so memory stays near InFlight × Params.Memory.
type Hasher struct {
	Params HashParams
	// admitted holds one token per request running or waiting;
	// running one per hash being computed.
	admitted, running chan struct{}
	// idle hands the hashes' memory back to the system once the Hasher
	// has been idle for a moment (releaseAfterIdle).
	idle *time.Timer
	// pages, when set (AdvisePages), backs the hashes' memory with huge
	// pages while hashes run.
	pages *pages
}

// PageAdviser asks the system to back the process's heap with huge pages
// or not (internal/hugepages.Heap).
type PageAdviser interface{ Advise(huge bool) error }

// pages tells a PageAdviser when hashes run and when the Hasher has gone
// idle: huge pages while they run (advised again now and then, since the
// heap maps new memory as it grows), none once idle, before the memory
// goes back to the system, so the kernel does not gather the freed
// memory into huge pages again.
type pages struct {
	adviser PageAdviser
	mu      sync.Mutex
	on      bool
	at      time.Time
}

// adviseEvery is how often the heap is advised again while hashes run.
const adviseEvery = time.Second

func (p *pages) running() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); !p.on || now.Sub(p.at) >= adviseEvery {
		p.adviser.Advise(true) // without it the hashes run as before
		p.on, p.at = true, now
	}
}

// idle ends the advice if still idle holds under the lock, so a hash
// admitted meanwhile advises again after it, never before.
func (p *pages) idle(still func() bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on && still() {
		p.adviser.Advise(false)
		p.on = false
	}
}

// AdvisePages has the Hasher back its hashes' memory with huge pages
// through a while hashes run, and not once it has been idle for
// releaseAfterIdle. Serve sets it (internal/hugepages): each hash's 19
// MiB, fresh from the system, then faults a few dozen times instead of
// some ten thousand, and argon2's reads at random miss the TLB far less.
func (h *Hasher) AdvisePages(a PageAdviser) { h.pages = &pages{adviser: a} }

// releaseAfterIdle is how long the Hasher must be idle before the memory
// the hashes used (Params.Memory each, garbage once done) is returned to
// the system, so a server's memory goes back near idle after a burst
// instead of staying at its peak. Under steady load it never fires.
//
// Not sooner: memory the system took back costs the next hashes dearly.
// It reads as zero, so the runtime hands it out uncleared, and argon2
// reads each block before writing it, so each page faults twice (the
// shared zero page, then a copy on write that flushes the TLB on every
// core). Logins in the first seconds after a release ran at about half
// the rate of the seconds after (issue 15, measured with perf: 50,000
// faults and as many TLB flushes in four seconds of eight clients, two
// to three seconds of system time). Half a minute keeps a site that logs
// someone in now and then warm, and a burst's memory still goes back.
const releaseAfterIdle = 30 * time.Second

// DefaultHashQueue is how many logins may wait for a hash slot before
// more are refused with ErrHashBusy. A waiting login holds no hash memory
// (only a running hash does), so the queue costs next to nothing; it is
// sized so 64 clients logging in at once wait instead of getting 503s
// (issue 15's mixed load: zero 5xx), and so the last of them waits about
// 32 hashes on two cores (~1.3 s, within the c64 p99 goal of 1.5 s). A
// burst far beyond it (issue 14: 150 at once) is still refused at once.
const DefaultHashQueue = 64

// NewHasher returns a Hasher for p running at most inFlight hashes (the
// number of cores when inFlight ≤ 0) with up to queue more waiting
// (DefaultHashQueue when queue < 0).
func NewHasher(p HashParams, inFlight, queue int) *Hasher {
	if inFlight <= 0 {
		inFlight = runtime.GOMAXPROCS(0)
	}
	if queue < 0 {
		queue = DefaultHashQueue
	}
	h := &Hasher{Params: p, admitted: make(chan struct{}, inFlight+queue), running: make(chan struct{}, inFlight)}
	h.idle = time.AfterFunc(time.Hour, h.releaseMemory)
	h.idle.Stop()
	return h
}

// releaseMemory returns freed memory to the system if no hash has run
// since the timer was set.
func (h *Hasher) releaseMemory() {
	idle := func() bool { return len(h.admitted) == 0 }
	if h.pages != nil {
		h.pages.idle(idle)
	}
	if idle() {
		debug.FreeOSMemory()
	}
}

// acquire takes a slot, waiting in the queue if there is room in it.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.admitted <- struct{}{}:
	default:
		return ErrHashBusy
	}
	if h.pages != nil {
		h.pages.running()
	}
	select {
	case h.running <- struct{}{}:
		return nil
	case <-ctx.Done():
		<-h.admitted
		return ctx.Err()
	}
}

func (h *Hasher) release() {
	<-h.running
	<-h.admitted
	if len(h.admitted) == 0 {
		h.idle.Reset(releaseAfterIdle)
	}
}

// Hash is HashPassword within the bound.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return HashPassword(pw, h.Params), nil
}

// Verify is VerifyPassword within the bound.
func (h *Hasher) Verify(ctx context.Context, pw, phc string) (ok, needsRehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	return VerifyPassword(pw, phc, h.Params)
}

// Burn is BurnHashTime within the bound: an answer about an address with
// no account costs what one about an account costs, queue included.
func (h *Hasher) Burn(ctx context.Context, pw string) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	BurnHashTime(pw, h.Params)
	return nil
}

// InFlight reports how many hashes run now and how many requests are
// admitted (running or waiting), for tests and metrics.
func (h *Hasher) InFlight() (running, admitted int) { return len(h.running), len(h.admitted) }
