package web

import (
	"context"
	"time"

	"steward/lms"
	"steward/policy"
	"steward/store"
)

// lmsItem is one deletion or correction Steward told the learning
// environment (issue 16 item 5), as My data and the staff request page
// say it: what, the fields by their names in the policy, and whether the
// LMS confirmed — waiting, confirmed on a date, failing and retrying, or
// given up.
type lmsItem struct {
	Delete        bool
	Fields        []policy.Text
	Status        store.LMSStatus
	Attempts      int
	CreatedAt     time.Time
	NextAttemptAt time.Time
	DoneAt        time.Time
}

// Retrying is a pending message the LMS failed at least once.
func (i lmsItem) Retrying() bool { return i.Status == store.LMSPending && i.Attempts > 0 }

// lmsItems reads the messages of an account (request "") or of a request
// (account "") in words.
func (s *Server) lmsItems(ctx context.Context, accountID, requestID string) ([]lmsItem, error) {
	var ms []store.LMSMessage
	var err error
	if requestID != "" {
		ms, err = s.cfg.Store.LMSMessagesOfRequest(ctx, requestID)
	} else {
		ms, err = s.cfg.Store.LMSMessagesOf(ctx, accountID)
	}
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	rec := s.cfg.Policy.Record(lms.Kind(s.cfg.Policy))
	out := make([]lmsItem, len(ms))
	for i, m := range ms {
		it := lmsItem{Delete: m.Op == store.LMSDelete, Status: m.Status, Attempts: m.Attempts, CreatedAt: m.CreatedAt,
			NextAttemptAt: m.NextAttemptAt, DoneAt: m.DoneAt}
		for _, f := range m.Fields {
			name := policy.Text{NL: f, EN: f}
			if rec != nil {
				if fd := rec.Field(f); fd != nil {
					name = fd.Name
				}
			}
			it.Fields = append(it.Fields, name)
		}
		out[i] = it
	}
	return out, nil
}
