package desk

import (
	"context"
	"time"

	"steward/account"
	"steward/erasure"
	"steward/policy"
	"steward/retention"
	"steward/retention/runner"
	"steward/rights"
)

// schedule answers "when will this be deleted or anonymised?" for the
// items of one person, by asking the retention engine — the one the
// retention runner acts on (R9, R10, Z9) — never by a second copy of its
// rules. A record of a kind with rules of its own gets the engine's date
// for it; any other record goes when its system's account record goes
// (the runner erases a subject's whole system then), or, for a kind the
// policy keeps for a legal obligation, when that keep period ends.
type schedule struct {
	d       *Desk
	eng     *retention.Engine
	asOf    time.Time
	account rights.Deletion
	// systems holds the earliest decision on each system's account kind,
	// by that kind (erasure.GoesWith).
	systems map[string]rights.Deletion
}

func (d *Desk) newSchedule(ctx context.Context, a *account.Account, now time.Time) (*schedule, error) {
	eng, err := retention.New(d.Policy)
	if err != nil {
		return nil, err
	}
	sch := &schedule{d: d, eng: eng, asOf: now, systems: map[string]rights.Deletion{}}
	sch.account = sch.target(ctx, account.RecordID, a.ID)
	return sch, nil
}

// target asks the engine about one record a rule may act on.
func (sch *schedule) target(ctx context.Context, kind, id string) rights.Deletion {
	f, err := runner.TargetFacts(ctx, sch.d.Store, kind, id)
	if err != nil {
		sch.d.log().Warn("retention facts unavailable", "kind", kind, "target", id, "err", err)
		return rights.Deletion{}
	}
	del := sch.decide(f, "")
	if kind != account.RecordID && erasure.GoesWith(sch.d.Policy, kind) == kind {
		if cur, ok := sch.systems[kind]; !ok || earlier(del, cur) {
			sch.systems[kind] = del
		}
	}
	return del
}

func (sch *schedule) decide(f retention.Facts, via string) rights.Deletion {
	dec, ok := sch.eng.DeletionDate(f, sch.asOf)
	if !ok {
		return rights.Deletion{Via: via}
	}
	return rights.Deletion{Date: dec.DueDate, Action: string(dec.Action()), Rule: dec.Rule.ID, Reason: dec.Rule.Description, Via: via}
}

// forKind is the deletion of a record of a kind without rules of its own:
// with its system's account record, or with the account, whichever is
// first; a kept kind stays until its keep period ends after that.
func (sch *schedule) forKind(rec *policy.Record, f retention.Facts) rights.Deletion {
	del := sch.account
	if rec.ID != account.RecordID {
		del.Via = account.RecordID
		sys := erasure.GoesWith(sch.d.Policy, rec.ID)
		if with, ok := sch.systems[sys]; ok && earlier(with, del) {
			del = with
			del.Via = sys
		}
	}
	if rec.Erasure == policy.EraseAnonymise && del.Action == string(policy.ActionDelete) {
		del.Action = string(policy.ActionAnonymise)
	}
	if rec.Erasure == policy.EraseKeep && rec.Keep != nil {
		until := rec.Keep.Period.AddTo(f.Anchor(rec.Keep.Since))
		if del.Date.IsZero() || until.After(del.Date) {
			del.Date = until
		}
		del.Action = string(policy.ActionDelete)
		del.Reason = rec.Keep.Reason
	}
	return del
}

// earlier reports whether a falls due before b (a zero date never does).
func earlier(a, b rights.Deletion) bool {
	return !a.Date.IsZero() && (b.Date.IsZero() || a.Date.Before(b.Date))
}
