package retention

import "context"

// Holds finds legal holds: a subject under restriction of processing
// (Art. 18, Z8) or with an open data-subject request (R13) must not be
// deleted or anonymised by a rule until the hold ends; the runner skips
// them and reports why. LegalHolds is the one Steward uses.
type Holds interface {
	// Held returns, for each held subject among subjects, the reason,
	// asking facts: the store for a plan, a run's batch transaction for the
	// batch, so a batch acts on the holds it read itself.
	Held(ctx context.Context, facts HoldFacts, subjects []string) (map[string]Hold, error)
}

// Hold is why a subject is on legal hold; plans and reports write it in
// words from the catalogue ("retention_reason.hold.ID").
type Hold string

// The legal holds, in the order they are named when a subject has both.
const (
	// HoldRestriction: processing of the subject's data is restricted
	// while a dispute runs (Art. 18, Z8); retention is processing too.
	HoldRestriction Hold = "restriction"
	// HoldOpenRequest: the subject has a data-subject request still open
	// (R13). A request to erase is a hold too: the rights desk, not the
	// runner, carries it out.
	HoldOpenRequest Hold = "open_request"
)

// HoldFacts answers the questions LegalHolds asks of the store: which of
// the given subjects are in each situation that holds them.
type HoldFacts interface {
	// RestrictedSubjects returns those of subjects whose processing is
	// restricted (a restriction in force, not an objection to a purpose).
	RestrictedSubjects(ctx context.Context, subjects []string) ([]string, error)
	// SubjectsWithOpenRequests returns those of subjects with a
	// data-subject request not yet closed.
	SubjectsWithOpenRequests(ctx context.Context, subjects []string) ([]string, error)
}

// LegalHolds decides which subjects are on legal hold from the facts the
// store gives: a restriction, or an open request (restriction named first
// when both hold). It implements Holds.
type LegalHolds struct{}

// Held returns, for each held subject among subjects, why it is held.
func (LegalHolds) Held(ctx context.Context, facts HoldFacts, subjects []string) (map[string]Hold, error) {
	out := map[string]Hold{}
	if len(subjects) == 0 {
		return out, nil
	}
	for _, q := range []struct {
		hold Hold
		ask  func(context.Context, []string) ([]string, error)
	}{
		{HoldRestriction, facts.RestrictedSubjects},
		{HoldOpenRequest, facts.SubjectsWithOpenRequests},
	} {
		ids, err := q.ask(ctx, subjects)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if _, ok := out[id]; !ok {
				out[id] = q.hold
			}
		}
	}
	return out, nil
}
