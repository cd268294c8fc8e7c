package runner

import (
	"context"

	"steward/retention"
	"steward/store"
)

// Facts is what the retention engine knows of a target the store read: its
// row, with the contract overrides of its organisation (overrides of other
// organisations are ignored by the engine anyway). The runner and the
// "My data" page (rights/desk) both build the engine's facts here.
func Facts(t store.DueTarget, overrides []retention.Override) retention.Facts {
	return retention.Facts{Subject: t.Subject, Kind: t.Kind, Target: t.Target, CreatedAt: t.CreatedAt,
		LastLoginAt: t.LastLoginAt, LastActivityAt: t.LastActivityAt, Confirmed: t.Confirmed, WithdrawnAt: t.WithdrawnAt, Counts: t.Counts,
		Organisation: t.Organisation, Overrides: overrides}
}

// Overrides converts the stored contract overrides for the engine.
func Overrides(list []store.Override) []retention.Override {
	out := make([]retention.Override, len(list))
	for i, o := range list {
		out[i] = retention.Override(o)
	}
	return out
}

// TargetFacts reads one target's facts with its organisation's contract
// overrides (R9, R10), for the "My data" page to ask the engine when it
// will be deleted: the account with id target when kind is "account", else
// the record with that id.
func TargetFacts(ctx context.Context, s *store.Store, kind, target string) (retention.Facts, error) {
	t, err := s.TargetFacts(ctx, kind, target)
	if err != nil {
		return retention.Facts{}, err
	}
	var ovs []retention.Override
	if t.Organisation != "" {
		stored, err := s.Overrides(ctx, store.OverrideFilter{Organisation: t.Organisation})
		if err != nil {
			return retention.Facts{}, err
		}
		ovs = Overrides(stored)
	}
	return Facts(t, ovs), nil
}
