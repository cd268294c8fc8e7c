package publication

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"steward/policy"
	"steward/store"
)

// InForce is the one place that decides which policy is in force at t
// (issue 20, Z11 advance notice): when file — the policy file a process
// was started with — is a published version, the policy in force is the
// newest published version whose effective date is at or before t (the
// oldest version when t precedes them all), parsed from the content
// stored when it was published unless it is file itself. A file that is
// no published version (nothing published yet, or a change serve refuses
// until it is published) is taken as it is.
//
// from is file's effective date when file is a published version that
// takes effect after t, and zero otherwise: from then on, InForce at a
// later time returns file.
func InForce(ctx context.Context, r *store.Reader, file *policy.Policy, t time.Time) (p *policy.Policy, from time.Time, err error) {
	all, err := r.PolicyPublications(ctx, file.Site.ID) // newest first
	if err != nil {
		return nil, time.Time{}, err
	}
	own := -1
	for i, v := range all {
		if v.SHA256 == file.SHA256 {
			own = i
			break
		}
	}
	if own < 0 || !all[own].EffectiveAt.After(t) {
		return file, time.Time{}, nil
	}
	from = all[own].EffectiveAt
	in := all[len(all)-1]
	for _, v := range all {
		if !v.EffectiveAt.After(t) {
			in = v
			break
		}
	}
	if in.SHA256 == file.SHA256 {
		return file, from, nil
	}
	v, err := r.PolicyPublication(ctx, file.Site.ID, in.N)
	if err != nil {
		return nil, time.Time{}, err
	}
	if p, err = policy.Parse("version "+strconv.Itoa(v.N), []byte(v.Content)); err != nil {
		// A version was valid when it was published; one the current
		// validator refuses cannot be run in its place.
		return nil, time.Time{}, fmt.Errorf("publication: version %d in force at %s does not parse: %w", v.N, t.Format(time.DateOnly), err)
	}
	return p, from, nil
}
