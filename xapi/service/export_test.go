package service

import (
	"context"

	"steward/apikey"
	"steward/xapi"
)

// Result is what one request of a combined batch was told.
type Result struct {
	Out   *Outcome
	Err   error
	Retry bool
}

// AcceptTogether stores the requests as one combined batch, as Accept does
// for requests that arrive together, and returns each one's result.
func (s *Service) AcceptTogether(ctx context.Context, key *apikey.Key, reqs ...[]xapi.Statement) []Result {
	rs := make([]*request, len(reqs))
	for i, sts := range reqs {
		rs[i] = newRequest(key, sts)
	}
	out := make([]Result, len(rs))
	for i, r := range s.acceptAll(ctx, rs) {
		out[i] = Result{Out: r.out, Err: r.err, Retry: r.retry}
	}
	return out
}

// AcceptWithKeys is AcceptTogether with a key of its own for each
// request.
func (s *Service) AcceptWithKeys(ctx context.Context, keys []*apikey.Key, reqs ...[]xapi.Statement) []Result {
	rs := make([]*request, len(reqs))
	for i, sts := range reqs {
		rs[i] = newRequest(keys[i], sts)
	}
	out := make([]Result, len(rs))
	for i, r := range s.acceptAll(ctx, rs) {
		out[i] = Result{Out: r.out, Err: r.err, Retry: r.retry}
	}
	return out
}
