package audit

import (
	"context"
	"time"

	"steward/clock"
)

// Appender adds entries to the log inside the caller's transaction; the
// store's transaction implements it. The entries are linked into the chain
// when the transaction commits, and vanish with it when it rolls back, so a
// change without its entry, or an entry without its change, cannot happen.
type Appender interface {
	AppendAudit(entries ...Entry) error
}

// Log is the service the domains record through: it stamps each entry with
// the clock's time, the policy version in force and the request id carried
// by the context, then appends it in the caller's transaction.
type Log struct {
	Clock clock.Clock
	// PolicyVersion returns the version of the policy in force; nil leaves
	// entries without one.
	PolicyVersion func() string
}

// Record appends entries in tx, filling Time, PolicyVersion and RequestID
// where the caller left them empty.
func (l *Log) Record(ctx context.Context, tx Appender, entries ...Entry) error {
	now := l.Clock.Now()
	pv := ""
	if l.PolicyVersion != nil {
		pv = l.PolicyVersion()
	}
	rid := RequestID(ctx)
	for i := range entries {
		e := &entries[i]
		if e.Time.IsZero() {
			e.Time = now
		}
		if e.PolicyVersion == "" {
			e.PolicyVersion = pv
		}
		if e.RequestID == "" {
			e.RequestID = rid
		}
	}
	return tx.AppendAudit(entries...)
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the correlation id that Record
// writes into every entry made while handling it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the correlation id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Filter selects entries for a listing (the staff page /staff/audit, the
// tail command). Zero fields select everything.
type Filter struct {
	Subject    Pseudonym
	Action     Action
	Actor      Actor
	ObjectKind string
	ObjectID   string
	// From and To bound Time: From inclusive, To exclusive.
	From, To time.Time
}

// Page asks for one page of a listing, newest first. Before is the Seq
// where the previous page stopped (0 for the first page); the listing
// continues below it (keyset pagination).
type Page struct {
	Before uint64
	Limit  int
}

// MaxPageLimit bounds Page.Limit.
const MaxPageLimit = 500

// Reader lists entries; the store implements it and the staff page uses it.
type Reader interface {
	// List returns up to page.Limit entries matching f, newest first, and
	// the Page for the next, older page (Before 0 when there is none).
	List(ctx context.Context, f Filter, page Page) ([]Entry, Page, error)
}
