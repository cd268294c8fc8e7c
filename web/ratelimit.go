package web

import (
	"math"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"steward"
	"steward/clock"
)

// limiter is a set of token buckets keyed by client address or account,
// against guessing passwords and flooding mailboxes (issue 4, item 3). Time
// comes from the injected clock, so tests can move it.
type limiter struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	clock   clock.Clock
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newLimiter allows burst actions at once per key, refilled at one per
// every.
func newLimiter(c clock.Clock, burst int, every time.Duration) *limiter {
	return &limiter{every: every, burst: burst, clock: c, buckets: map[string]*bucket{}}
}

// allow takes one token for key. When none is left it returns how long
// until one is.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	res := b.lim.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	res.CancelAt(now)
	return false, wait
}

// sweep drops buckets that have been full again for a while, so the map
// does not grow with every address ever seen.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	full := time.Duration(l.burst) * l.every
	for k, b := range l.buckets {
		if now.Sub(b.seen) > full {
			delete(l.buckets, k)
		}
	}
}

// limits are the buckets of the account and newsletter forms. The
// per-address buckets of the forms that mail someone (sign-up, reset,
// newsletter) keep many clients from flooding one mailbox: a sign-up for
// a registered address still sends an "already registered" mail, and
// every newsletter sign-up a confirmation link.
type limits struct {
	loginIP, loginAccount   *limiter
	signupIP, signupAccount *limiter
	resetIP, resetAccount   *limiter
	newsletterIP            *limiter
	newsletterAddress       *limiter
}

func newLimits(c clock.Clock) *limits {
	return &limits{
		loginIP:           newLimiter(c, 20, 3*time.Minute),
		loginAccount:      newLimiter(c, 5, 3*time.Minute),
		signupIP:          newLimiter(c, 5, 12*time.Minute),
		signupAccount:     newLimiter(c, 5, 20*time.Minute),
		resetIP:           newLimiter(c, 5, 12*time.Minute),
		resetAccount:      newLimiter(c, 3, 20*time.Minute),
		newsletterIP:      newLimiter(c, 5, 12*time.Minute),
		newsletterAddress: newLimiter(c, 3, 20*time.Minute),
	}
}

// errTooMany says when to try again, in whole minutes.
func errTooMany(wait time.Duration) error {
	m := int(math.Ceil(wait.Minutes()))
	if m < 1 {
		m = 1
	}
	return &steward.Error{Code: steward.ETOOMANY, Message: "too many attempts; try again in " + strconv.Itoa(m) + " minutes"}
}

// checkLimits takes a token from each named bucket and fails with the
// longest wait if any is empty.
func checkLimits(pairs ...any) error {
	var worst time.Duration
	for i := 0; i+1 < len(pairs); i += 2 {
		l, key := pairs[i].(*limiter), pairs[i+1].(string)
		if key == "" {
			continue
		}
		if ok, wait := l.allow(key); !ok && wait > worst {
			worst = wait
		}
	}
	if worst > 0 {
		return errTooMany(worst)
	}
	return nil
}

// accountKey is the bucket key for an e-mail address.
func accountKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// mailboxKey is the bucket key for the mailbox a form would mail: the
// address, lower case, also when written with a display name; "" (no
// bucket) when it is no address at all, since no mail can go there and
// validation refuses it, so nonsense typed into the field neither fills
// the map nor uses up a real mailbox's tokens.
func mailboxKey(email string) string {
	a, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil {
		return ""
	}
	return accountKey(a.Address)
}
