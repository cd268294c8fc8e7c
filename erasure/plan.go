// Package erasure decides what erasing a subject does to each kind of
// record Steward holds (Art. 17, R4, R9, R10, Z9): delete it, anonymise it,
// or keep it for a legal obligation, and for how long. It is pure — it reads
// the policy and what is known of the subject and does no I/O — and it is
// the one planner: a person's own erasure, a staff-completed erasure request
// and the retention runner all ask it, and the store only carries out the
// Plan it returns, so a rule-driven erasure and a person's own cannot
// differ.
package erasure

import (
	"time"

	"steward"
	"steward/policy"
)

// Action is what a plan does with the records of one kind, or with the
// subject's account row.
type Action string

// The actions, named as the policy names them.
const (
	Delete    Action = Action(policy.EraseDelete)
	Anonymise Action = Action(policy.EraseAnonymise)
	// Keep leaves the records in place for a legal obligation; the
	// retention runner removes each when its keep period ends.
	Keep Action = Action(policy.EraseKeep)
)

// KeepReason says why a kind outlives its subject's erasure.
type KeepReason string

// LegalObligation is the only reason erasure keeps anything: a legal
// obligation (e.g. bookkeeping, Art. 52 AWR) outweighs erasure for the
// keep period (Art. 17(3)(b) GDPR).
const LegalObligation KeepReason = "legal obligation (Art. 17(3)(b) GDPR)"

// Until is how long a kept kind stays: Period counted from its records'
// Since anchor.
type Until struct {
	Period policy.Duration
	Since  policy.Anchor
	// Words is the policy's own reason (e.g. "bookkeeping"), shown to the
	// person before they confirm and to staff in retention plans.
	Words policy.Text
}

// From returns the day a record anchored at anchor may go.
func (u *Until) From(anchor time.Time) time.Time { return u.Period.AddTo(anchor) }

// Entry is the plan for the records of one kind.
type Entry struct {
	Kind   string
	Action Action
	// Reason is set only when Action is Keep.
	Reason KeepReason
	// Until is set only when Action is Keep and the policy says how long.
	Until *Until
	// Remote is set for another system's own account kind (IVM's
	// lms_account): that system keeps its own copy of the account, so
	// deleting or anonymising the records must be told to it (Art. 17(2),
	// Art. 19 GDPR); the store writes the LMS outbox row in the erasure's
	// transaction. See Remote.
	Remote bool
}

// Plan is what one erasure does. The store executes it as it stands: it
// decides nothing itself.
type Plan struct {
	// Account is what happens to the subjects' account rows (Delete or
	// Anonymise, Z9) and, with them, to everything keyed by the subject;
	// "" for a plan that erases only the record kinds in Kinds (a
	// system's own account, ForSystem).
	Account Action
	// Kinds lists the record kinds the plan names, in policy order.
	Kinds []Entry
	// Otherwise applies to the records of a kind Kinds does not list: a
	// kind the policy no longer declares is deleted (R4: nothing undeclared
	// is kept). It is "" for a plan limited to Kinds.
	Otherwise Action
	// At is the moment of the erasure: anonymised rows keep its month.
	At time.Time
	// Statistics, when the account is anonymised, is what each account
	// leaves in the statistics table, generalised (Z9).
	Statistics []Statistic
}

// Entry returns the plan of kind: its entry in Kinds, or Otherwise.
func (p Plan) Entry(kind string) Entry {
	for _, e := range p.Kinds {
		if e.Kind == kind {
			return e
		}
	}
	return Entry{Kind: kind, Action: p.Otherwise}
}

// Subject is what the planner needs to know of the subject a person or
// staff asks to erase.
type Subject struct {
	// Erased is true for an account anonymised before (Z9): nothing is
	// left to erase.
	Erased bool
}

// ForSubject plans a person's own erasure and a staff-completed erasure
// request (Art. 17, Z9): the account row as the policy's account kind says
// (anonymise at once, or delete), every other kind by its own erasure. An
// erased subject cannot be erased again.
func ForSubject(p *policy.Policy, s Subject, at time.Time) (Plan, error) {
	if s.Erased {
		return Plan{}, steward.Errorf(steward.ECONFLICT, "error.account_already_erased")
	}
	return Own(p, at), nil
}

// Own is the plan of a person's own erasure whatever their state: what
// ForSubject returns for a subject that can be erased. The person sees it
// before confirming (Art. 17(3)(b): what is kept, why, and until when).
func Own(p *policy.Policy, at time.Time) Plan {
	return whole(p, AccountAction(p), at)
}

// ForSignUp plans the erasure of a newsletter sign-up without an account
// at its own request (Art. 17; issue 13 item 5): it is deleted whole —
// there is no account row to anonymise, and its consents name only it —
// every other kind by its own erasure, as a rule deleting it does.
func ForSignUp(p *policy.Policy, at time.Time) Plan {
	return whole(p, Delete, at)
}

// ForRule plans the erasure of the subjects of targets that retention rule
// ru acts on when its target is a whole subject (an account, a newsletter
// sign-up): the account row gets the rule's action, every other kind its
// own erasure (R9, Z9).
func ForRule(p *policy.Policy, ru *policy.Rule, at time.Time) Plan {
	return whole(p, Action(ru.Action), at)
}

// ForSystem plans a rule's action on a system's own account kind target
// (IVM's LMS account, R10): the subject is erased in that system only. The
// target gets the rule's action; the other kinds that go with it
// (GoesWith) their own erasure; nothing else is touched. For a target that
// is no system's account kind, the plan names the target alone.
func ForSystem(p *policy.Policy, target string, action policy.Action, at time.Time) Plan {
	pl := Plan{At: at}
	kinds := []string{target}
	if GoesWith(p, target) == target {
		kinds = nil
		for i := range p.Records {
			if k := p.Records[i].ID; GoesWith(p, k) == target {
				kinds = append(kinds, k)
			}
		}
	}
	for _, k := range kinds {
		e := entry(p, k)
		if k == target {
			e = Entry{Kind: k, Action: Action(action), Remote: Remote(p, k)}
		}
		pl.Kinds = append(pl.Kinds, e)
	}
	return pl
}

// AccountAction is what erasing a person does to their account row: the
// policy's erasure of its account record kind (Z9: anonymise at once;
// IVM: delete).
func AccountAction(p *policy.Policy) Action {
	if r := p.Record("account"); r != nil && r.Erasure == policy.EraseAnonymise {
		return Anonymise
	}
	return Delete
}

// Kept lists the kinds the policy keeps after their subject's erasure for
// a legal obligation, with how long: the retention runner removes their
// records once that has passed.
func Kept(p *policy.Policy) []Entry {
	var out []Entry
	for i := range p.Records {
		if e := entry(p, p.Records[i].ID); e.Action == Keep && e.Until != nil {
			out = append(out, e)
		}
	}
	return out
}

// whole plans the erasure of whole subjects with the account row by
// account.
func whole(p *policy.Policy, account Action, at time.Time) Plan {
	pl := Plan{Account: account, Otherwise: Delete, At: at, Kinds: make([]Entry, 0, len(p.Records))}
	if account == Anonymise {
		pl.Statistics = Statistics(p)
	}
	for i := range p.Records {
		pl.Kinds = append(pl.Kinds, entry(p, p.Records[i].ID))
	}
	return pl
}

// entry is kind's own erasure in the policy; an undeclared kind is
// deleted (R4).
func entry(p *policy.Policy, kind string) Entry {
	rec := p.Record(kind)
	if rec == nil || rec.Erasure == "" {
		return Entry{Kind: kind, Action: Delete, Remote: Remote(p, kind)}
	}
	e := Entry{Kind: kind, Action: Action(rec.Erasure), Remote: Remote(p, kind)}
	if e.Action == Keep {
		e.Reason = LegalObligation
		if rec.Keep != nil {
			e.Until = &Until{Period: rec.Keep.Period, Since: rec.Keep.Since, Words: rec.Keep.Reason}
		}
	}
	return e
}

// Remote reports whether kind is the own account kind of a system other
// than the website's (IVM's lms_account, in system lms): the account that
// system — the learning environment — holds a copy of, under the OIDC
// subject Steward gave it. Its erasure, and a correction of its fields,
// must reach that system (Art. 17(2), Art. 19; issue 16 item 5).
func Remote(p *policy.Policy, kind string) bool {
	rec := p.Record(kind)
	if rec == nil || kind == "account" || GoesWith(p, kind) != kind {
		return false
	}
	if acc := p.Record("account"); acc != nil && acc.System == rec.System {
		return false
	}
	return true
}

// GoesWith returns the record kind whose erasure takes a record of kind
// along: the account kind of kind's system — the first record kind with
// subject account the policy declares in that system (IVM: lms_account
// for enrolments, learning results and accreditation, R10). A rule acting
// on that account kind erases the subject's records of every account kind
// of the system (ForSystem), and "My data" dates those records by that
// rule (the rights desk); this one answer serves both, so the date a
// person is shown is the date the runner acts. It returns "" for a kind
// the policy does not declare or whose subject is not an account.
func GoesWith(p *policy.Policy, kind string) string {
	rec := p.Record(kind)
	if rec == nil || rec.Subject != policy.SubjectAccount {
		return ""
	}
	for i := range p.Records {
		k := &p.Records[i]
		if k.System == rec.System && k.Subject == policy.SubjectAccount {
			return k.ID
		}
	}
	return ""
}
