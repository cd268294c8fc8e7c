package web

import (
	"context"
	"log/slog"
	"math"
	"net/mail"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"steward"
	"steward/clock"
	"steward/store"
)

// limiter is a set of token buckets keyed by client address or account,
// against guessing passwords and flooding mailboxes (issue 4, item 3). Time
// comes from the injected clock, so tests can move it.
type limiter struct {
	// name names the bucket in the shared table.
	name    string
	mu      sync.Mutex
	every   time.Duration
	burst   int
	clock   clock.Clock
	buckets map[string]*bucket
	swept   time.Time
	// pruned is when the shared table was last pruned; apart from swept,
	// so pruning the table does not put off sweeping the memory buckets.
	pruned time.Time
	// shared, when set, keeps the buckets in the database so that every
	// serve process on it counts against one limit (PostgreSQL); the
	// in-memory buckets then serve only while the database cannot answer.
	shared tokenStore
	log    *slog.Logger
	// keyOf turns a key into the one the bucket counts (clientKey for the
	// per-client buckets); nil keeps it.
	keyOf func(string) string
}

// tokenStore keeps token buckets where every process sees them.
type tokenStore interface {
	TakeToken(ctx context.Context, bucket, key string, burst int, every time.Duration, now time.Time) (bool, time.Duration, error)
	PruneRateLimits(ctx context.Context, now time.Time) (int64, error)
}

// sharedTimeout bounds one shared check, so a slow database slows a form
// by at most this much before the in-memory bucket answers.
const sharedTimeout = 2 * time.Second

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newLimiter allows burst actions at once per key, refilled at one per
// every.
func newLimiter(c clock.Clock, burst int, every time.Duration) *limiter {
	return &limiter{every: every, burst: burst, clock: c, buckets: map[string]*bucket{}}
}

// clientKey is the bucket key of a client address: an IPv6 client gets
// its /64, the block one subscriber holds, so cycling through the
// addresses of one's own network buys no more tries (issue 14, finding 1).
func clientKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Is4In6() {
		return addr
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// allow takes one token for key. When none is left it returns how long
// until one is.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l.keyOf != nil {
		key = l.keyOf(key)
	}
	now := l.clock.Now()
	if l.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
		defer cancel()
		l.pruneShared(ctx, now)
		ok, wait, err := l.shared.TakeToken(ctx, l.name, key, l.burst, l.every, now)
		if err == nil {
			return ok, wait
		}
		l.log.Warn("rate limit: shared bucket unavailable; this process counts alone", "bucket", l.name, "err", err)
	}
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

// pruneShared deletes the shared buckets that are full again, at most
// once a minute per limiter.
func (l *limiter) pruneShared(ctx context.Context, now time.Time) {
	l.mu.Lock()
	due := now.Sub(l.pruned) >= time.Minute
	if due {
		l.pruned = now
	}
	l.mu.Unlock()
	if due {
		if _, err := l.shared.PruneRateLimits(ctx, now); err != nil {
			l.log.Warn("rate limit: prune", "err", err)
		}
	}
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
	loginIP, loginAccount *limiter
	// loginCode limits the second-factor codes per account (ASVS 2.2.1):
	// ten, then one every six minutes, whatever the address or challenge.
	loginCode               *limiter
	signupIP, signupAccount *limiter
	resetIP, resetAccount   *limiter
	newsletterIP            *limiter
	newsletterAddress       *limiter
	// requestIP and requestAddress limit the public request page, which
	// mails its address a confirmation link (issue 13 item 5).
	requestIP      *limiter
	requestAddress *limiter
	// voucherIP and voucherAccount limit the codes a client and an
	// account may try (issue 17): a guess costs a token.
	voucherIP      *limiter
	voucherAccount *limiter
}

// newLimits makes the buckets; with shared set they live in the database
// (one row per bucket and hashed key) so that they hold across processes.
func newLimits(c clock.Clock, shared tokenStore, log *slog.Logger) *limits {
	l := &limits{
		loginIP:           newLimiter(c, 20, 3*time.Minute),
		loginAccount:      newLimiter(c, 5, 3*time.Minute),
		loginCode:         newLimiter(c, 10, 6*time.Minute),
		signupIP:          newLimiter(c, 5, 12*time.Minute),
		signupAccount:     newLimiter(c, 5, 20*time.Minute),
		resetIP:           newLimiter(c, 5, 12*time.Minute),
		resetAccount:      newLimiter(c, 3, 20*time.Minute),
		newsletterIP:      newLimiter(c, 5, 12*time.Minute),
		newsletterAddress: newLimiter(c, 3, 20*time.Minute),
		requestIP:         newLimiter(c, 5, 12*time.Minute),
		requestAddress:    newLimiter(c, 3, 20*time.Minute),
		voucherIP:         newLimiter(c, 20, 3*time.Minute),
		voucherAccount:    newLimiter(c, 10, 6*time.Minute),
	}
	for name, lim := range map[string]*limiter{
		"login_ip": l.loginIP, "login_account": l.loginAccount, "login_code": l.loginCode, "signup_ip": l.signupIP, "signup_account": l.signupAccount,
		"reset_ip": l.resetIP, "reset_account": l.resetAccount, "newsletter_ip": l.newsletterIP, "newsletter_address": l.newsletterAddress,
		"request_ip": l.requestIP, "request_address": l.requestAddress,
		"voucher_ip": l.voucherIP, "voucher_account": l.voucherAccount,
	} {
		lim.name, lim.shared, lim.log = name, shared, log
		if strings.HasSuffix(name, "_ip") {
			lim.keyOf = clientKey
		}
	}
	return l
}

// errTooMany says when to try again, in whole minutes.
func errTooMany(wait time.Duration) error {
	m := int(math.Ceil(wait.Minutes()))
	if m < 1 {
		m = 1
	}
	return steward.Errorf(steward.ETOOMANY, "error.too_many_attempts", "n", m)
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

// sharedLimits is where the buckets live: in the database on PostgreSQL,
// where several serve processes may share one site (docs/deploy.md), in
// memory on SQLite, where one process serves.
func sharedLimits(cfg Config) tokenStore {
	if cfg.Store == nil || cfg.Store.Dialect() != store.Postgres {
		return nil
	}
	return cfg.Store
}
