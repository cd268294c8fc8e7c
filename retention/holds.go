package retention

import "context"

// Holds finds legal holds: a subject under restriction of processing
// (Art. 18, Z8) or with an open data-subject request (R13) must not be
// deleted or anonymised by a rule until the hold ends; the runner skips
// them and reports why. The store implements it over the consent issue's
// processing_limits and the rights issue's requests tables.
type Holds interface {
	// Held returns, for each held subject among subjects, the reason.
	Held(ctx context.Context, subjects []string) (map[string]string, error)
}
