package consent

import (
	"context"
	"fmt"
	"sync"
	"time"

	"steward"
	"steward/clock"
	"steward/policy"
	"steward/store"
)

// Reason says why the gate allowed or refused processing.
type Reason string

// The gate's reasons.
const (
	// ReasonNotConsentBased: the purpose rests on another legal basis of
	// Art. 6(1), so no consent is needed.
	ReasonNotConsentBased Reason = "legal_basis_not_consent"
	// ReasonConsentGiven: the person's consent stands.
	ReasonConsentGiven Reason = "consent_given"
	// ReasonNoConsent: the person was never asked, or refused.
	ReasonNoConsent Reason = "no_consent"
	// ReasonWithdrawn: the person withdrew consent (Art. 7(3)).
	ReasonWithdrawn Reason = "consent_withdrawn"
	// ReasonRestricted: processing is restricted while a dispute runs
	// (Art. 18, Z8).
	ReasonRestricted Reason = "restricted"
	// ReasonObjected: the person objected (Art. 21, Z8).
	ReasonObjected Reason = "objected"
)

// Limit kinds of the processing_limits table.
const (
	LimitRestriction = "restriction"
	LimitObjection   = "objection"
	// AllPurposes as a limit's purpose restricts every purpose.
	AllPurposes = "*"
)

// Limit is a restriction or objection that stops processing.
type Limit = store.ProcessingLimit

// Holds is where the gate learns of restrictions and objections. The
// rights engine sets and lifts them (store.Tx.SetProcessingLimit,
// store.Tx.LiftProcessingLimit); StoreHolds reads them.
type Holds interface {
	Limits(ctx context.Context, subject string) ([]Limit, error)
}

// Consents is where the gate reads a subject's current consent.
type Consents interface {
	Latest(ctx context.Context, subject string) ([]Record, error)
}

// StoreHolds reads limits from the store's processing_limits table.
type StoreHolds struct{ R *store.Reader }

// Limits returns the subject's restrictions and objections.
func (h StoreHolds) Limits(ctx context.Context, subject string) ([]Limit, error) {
	return h.R.ProcessingLimits(ctx, subject)
}

// StoreConsents reads the current state from the store's consent_state
// table: the newest record per purpose, kept with the history in the same
// transaction, so a withdrawal committed a moment ago is read here.
type StoreConsents struct{ R *store.Reader }

// Latest returns the newest record per purpose. Only the fields the state
// keeps are set: id, subject, purpose, given, time and notice hash.
func (c StoreConsents) Latest(ctx context.Context, subject string) ([]Record, error) {
	rows, err := c.R.ConsentStates(ctx, subject)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = fromState(r)
	}
	return out, nil
}

func fromState(st store.ConsentState) Record {
	return Record{ID: st.RecordID, Subject: st.Subject, Purpose: st.Purpose, Given: st.Given, NoticeHash: st.NoticeHash, At: st.At}
}

// Gate is the one function every processing for a purpose asks first
// (issue 6, Z3: processing that needs consent happens only while consent
// stands). Newsletter sending, panel invitations and the marketing pixel
// all go through it.
type Gate struct {
	Policy   *policy.Policy
	Consents Consents
	Holds    Holds
	// Reasks are the consent notices reworded in substance since earlier
	// versions (issue 20): consent given with the old words no longer
	// counts once the change takes effect. Clock says when now is; nil
	// is the system clock.
	Reasks Reasks
	Clock  clock.Clock
}

// NewGate returns a gate over the store's consent history and limits.
func NewGate(p *policy.Policy, s *store.Store) *Gate {
	return &Gate{Policy: p, Consents: StoreConsents{s.Reader}, Holds: StoreHolds{s.Reader}}
}

// subjectState is what the gate knows about one subject.
type subjectState struct {
	state  State
	limits []Limit
}

// Allowed reports whether processing subject's data for purpose is
// allowed now, and why. An unknown purpose is an EINVALID error. With a
// cache in ctx (WithCache) the subject's state is read once per request;
// without, every call reads the store, so a withdrawal a moment ago is
// always seen.
func (g *Gate) Allowed(ctx context.Context, subject, purposeID string) (bool, Reason, error) {
	p := g.Policy.Purpose(purposeID)
	if p == nil {
		return false, "", steward.FieldError("purpose", "error.unknown_purpose", "purpose_id", purposeID)
	}
	st, err := g.load(ctx, subject)
	if err != nil {
		return false, "", err
	}
	ok, why := Decide(p, st.state, st.limits)
	if ok && why == ReasonConsentGiven {
		if _, asked := g.Reasks.AskedAgain(st.state[p.ID], g.now()); asked {
			return false, ReasonAskedAgain, nil
		}
	}
	return ok, why, nil
}

func (g *Gate) now() time.Time {
	if g.Clock == nil {
		return time.Now()
	}
	return g.Clock.Now()
}

// Decide is the gate's rule on what is already known: restriction first
// (it stops all processing but storage, Art. 18(2)), then objection for
// purposes one may object to (Art. 21), then the legal basis, and for
// consent the current state.
func Decide(p *policy.Purpose, st State, limits []Limit) (bool, Reason) {
	for _, l := range limits {
		if l.Purpose != AllPurposes && l.Purpose != p.ID {
			continue
		}
		switch l.Kind {
		case LimitRestriction:
			return false, ReasonRestricted
		case LimitObjection:
			// Objecting to consent-based processing is withdrawing it;
			// the record says so. For the others it stops processing.
			if p.Objectable() || p.NeedsConsent() {
				return false, ReasonObjected
			}
		}
	}
	if !p.NeedsConsent() {
		return true, ReasonNotConsentBased
	}
	s, ok := st[p.ID]
	switch {
	case ok && s.Given:
		return true, ReasonConsentGiven
	case ok:
		// The newest record withdraws or refuses consent.
		return false, ReasonWithdrawn
	default:
		return false, ReasonNoConsent
	}
}

func (g *Gate) load(ctx context.Context, subject string) (*subjectState, error) {
	c, _ := ctx.Value(cacheKey{}).(*Cache)
	if c != nil {
		c.mu.Lock()
		st, ok := c.m[subject]
		c.mu.Unlock()
		if ok {
			return st, nil
		}
	}
	recs, err := g.Consents.Latest(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("consent: gate: %w", err)
	}
	var limits []Limit
	if g.Holds != nil {
		if limits, err = g.Holds.Limits(ctx, subject); err != nil {
			return nil, fmt.Errorf("consent: gate: %w", err)
		}
	}
	st := &subjectState{state: Derive(recs), limits: limits}
	if c != nil {
		c.mu.Lock()
		c.m[subject] = st
		c.mu.Unlock()
	}
	return st, nil
}

// Cache holds subjects' states for one request, so repeated checks cost a
// map lookup. It lives no longer than the request: a withdrawal is seen by
// the next request at once, and by this one because Service.Record drops
// the subject from the cache in ctx.
type Cache struct {
	mu sync.Mutex
	m  map[string]*subjectState
}

type cacheKey struct{}

// WithCache returns ctx carrying a fresh per-request cache.
func WithCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheKey{}, &Cache{m: map[string]*subjectState{}})
}

// forget drops subject from the request cache in ctx, if any.
func forget(ctx context.Context, subject string) {
	if c, _ := ctx.Value(cacheKey{}).(*Cache); c != nil {
		c.mu.Lock()
		delete(c.m, subject)
		c.mu.Unlock()
	}
}
