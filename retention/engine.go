// Package retention carries out the policy's retention rules by themselves
// (R9, R10, Z9): it decides, for each record a rule may act on, whether the
// rule applies, when the record falls due, when the person is warned, and
// why — in words a privacy officer can read back against the statement.
//
// The Engine is pure: it reads a *policy.Policy and Facts and does no I/O.
// The runner (run.go) feeds it from the store and acts on its decisions;
// the "My data" page (the rights issue) asks the same Engine "when will this
// be deleted?" through DeletionDate, so the date a person is shown and the
// date the runner acts on come from one implementation.
package retention

import (
	"slices"
	"time"

	"steward"
	"steward/policy"
)

// Facts is what the engine knows about one record a rule may act on (the
// target): its anchors, whether its subject confirmed it, how many records
// of each kind the subject has, and the contract overrides of the subject's
// organisation. For a rule on the account kind the target is the account
// itself; for a rule on another kind (IVM's LMS account) it is that record.
type Facts struct {
	// Subject is the account id of the person the target belongs to.
	Subject string
	// Kind is the policy record kind of the target ("account", "lms_account").
	Kind string
	// Target is the id of the target record; for an account, its id.
	Target string
	// CreatedAt is when the target was created.
	CreatedAt time.Time
	// LastLoginAt is the last login; zero when the person never logged in,
	// in which case the period runs from CreatedAt (an account nobody ever
	// used is as idle as it can be).
	LastLoginAt time.Time
	// LastActivityAt is the last activity; zero falls back to the last
	// login, then to CreatedAt.
	LastActivityAt time.Time
	// Confirmed reports whether the subject confirmed the target (e-mail
	// address of an account, double opt-in of a sign-up).
	Confirmed bool
	// WithdrawnAt is when the subject withdrew the consent the target
	// rests on (a sign-up's unsubscribe); zero while it stands or for a
	// target without one.
	WithdrawnAt time.Time
	// Counts holds the number of records of each kind the subject has; a
	// missing kind counts as zero (has_any / has_none, R9, R10).
	Counts map[string]int
	// Organisation is the subject's organisation id, "" for none.
	Organisation string
	// Overrides are the contract overrides of the subject's organisation
	// (R9, R10: "unless a contract says otherwise"). Overrides of other
	// organisations, and ones not valid at the moment asked, are ignored.
	Overrides []Override
}

// Anchor returns the moment a rule with the given anchor counts from.
func (f *Facts) Anchor(a policy.Anchor) time.Time {
	switch a {
	case policy.SinceWithdrawn:
		if !f.WithdrawnAt.IsZero() {
			return f.WithdrawnAt
		}
	case policy.SinceLastActivity:
		if !f.LastActivityAt.IsZero() {
			return f.LastActivityAt
		}
		fallthrough
	case policy.SinceLastLogin:
		if !f.LastLoginAt.IsZero() {
			return f.LastLoginAt
		}
	}
	return f.CreatedAt
}

// Override is a per-organisation contract that sets another period for a
// rule that allows it (R9, R10: contract_override: true).
type Override struct {
	Organisation string
	Rule         string
	Period       policy.Duration
	// ContractRef names the contract, e.g. "IVM-2025-014"; shown in reasons.
	ContractRef string
	// ValidFrom and ValidUntil bound the contract: it applies at a moment t
	// with ValidFrom <= t and (ValidUntil zero or t < ValidUntil).
	ValidFrom, ValidUntil time.Time
}

// ValidAt reports whether the override is in force at t.
func (o *Override) ValidAt(t time.Time) bool {
	return !t.Before(o.ValidFrom) && (o.ValidUntil.IsZero() || t.Before(o.ValidUntil))
}

// Decision is the engine's answer for one rule and one target.
type Decision struct {
	Rule *policy.Rule
	// Applies reports whether the rule's condition holds for the target.
	// The fields below are set only when it does.
	Applies bool
	// Anchor is the moment the period counts from.
	Anchor time.Time
	// Period is the period in force: the rule's, or the override's.
	Period policy.Duration
	// Override is the contract override used, nil for the rule's period.
	Override *Override
	// DueDate is when the action falls due: Period.AddTo(Anchor). The
	// record is deleted or anonymised at the first run at or after it — for
	// a rule that warns, not before the warning has been out WarnBefore long.
	DueDate time.Time
	// WarnDate is when the warning goes out (Z9); zero for a rule that does
	// not warn.
	WarnDate time.Time
	// Due and WarnDue report whether DueDate and WarnDate have come at the
	// moment asked.
	Due, WarnDue bool
	// Reason is why, typed (Reason.Words writes it in a language), for
	// plans, the staff page and the audit trail's reader.
	Reason Reason
}

// Action returns what the rule does when due.
func (d *Decision) Action() policy.Action { return d.Rule.Action }

// Engine evaluates a policy's retention rules. It is safe for concurrent use.
type Engine struct {
	policy *policy.Policy
}

// New returns the engine for p. It refuses a rule on a record kind the
// policy does not declare (G3: a rule that can never act must not look as
// if it did); Validate catches that too, New guards policies built in code.
func New(p *policy.Policy) (*Engine, error) {
	for i := range p.Retention {
		r := &p.Retention[i]
		if p.Record(r.Record) == nil {
			return nil, steward.Errorf(steward.EINVALID, "error.retention_rule_record_kind", "id", r.ID, "record", r.Record)
		}
	}
	return &Engine{policy: p}, nil
}

// Policy returns the policy the engine evaluates.
func (e *Engine) Policy() *policy.Policy { return e.policy }

// Rule returns the rule with the given id, or an ENOTFOUND error naming the
// rules there are (for --rule and the staff page's filter).
func (e *Engine) Rule(id string) (*policy.Rule, error) {
	if r := e.policy.Rule(id); r != nil {
		return r, nil
	}
	ids := make([]string, len(e.policy.Retention))
	for i := range e.policy.Retention {
		ids[i] = e.policy.Retention[i].ID
	}
	return nil, steward.Errorf(steward.ENOTFOUND, "error.no_retention_rule_policy_rules", "id", id, "ids", ids)
}

// Kinds returns the record kinds some rule acts on, in policy order.
func (e *Engine) Kinds() []string {
	var out []string
	for i := range e.policy.Retention {
		if k := e.policy.Retention[i].Record; !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// Evaluate answers, for every rule on the target's kind, whether it applies
// and when it falls due, as of asOf. Rules come in policy order.
func (e *Engine) Evaluate(f Facts, asOf time.Time) []Decision {
	var out []Decision
	for i := range e.policy.Retention {
		r := &e.policy.Retention[i]
		if r.Record != f.Kind {
			continue
		}
		out = append(out, e.decide(r, &f, asOf))
	}
	return out
}

// Decisive returns the decision that governs a target, without its
// Reason: of the rules on its kind that apply, the one due first (ties:
// policy order); ok is false when none applies. It is the runner's
// question for every candidate: it acts on dates and conditions and needs
// words only for what it reports (Decision.Explain) — building every
// candidate's reason was a tenth of a run's time — and it keeps no slice
// of every rule's decision (an allocation per candidate).
func (e *Engine) Decisive(f *Facts, asOf time.Time) (best Decision, ok bool) {
	for i := range e.policy.Retention {
		r := &e.policy.Retention[i]
		if r.Record != f.Kind {
			continue
		}
		if d := e.decideTerse(r, f, asOf); d.Applies && (!ok || d.DueDate.Before(best.DueDate)) {
			best, ok = d, true
		}
	}
	return best, ok
}

// Explain sets and returns the decision's Reason, for a decision made by
// Decisive; a decision that has one keeps it.
func (d *Decision) Explain() Reason {
	if d.Reason.IsZero() {
		if d.Applies {
			d.Reason = AppliesReason(d)
		} else {
			d.Reason = newReason(ReasonNotApplicable, "condition", ConditionOf(d.Rule))
		}
	}
	return d.Reason
}

// EvaluateRule is Evaluate for one rule.
func (e *Engine) EvaluateRule(r *policy.Rule, f Facts, asOf time.Time) Decision {
	return e.decide(r, &f, asOf)
}

// DeletionDate answers "when will this be deleted or anonymised?" for the
// target (the "My data" page): the applicable decision with the earliest
// due date, as of asOf (which picks the contract overrides in force). ok is
// false when no rule applies, which the page shows as "kept while the
// account exists".
func (e *Engine) DeletionDate(f Facts, asOf time.Time) (d Decision, ok bool) {
	for _, c := range e.Evaluate(f, asOf) {
		if c.Applies && (!ok || c.DueDate.Before(d.DueDate)) {
			d, ok = c, true
		}
	}
	return d, ok
}

// Matches reports whether the rule's condition holds for the facts.
func Matches(r *policy.Rule, f *Facts) bool {
	w := r.Where
	if w.Confirmed != nil && *w.Confirmed != f.Confirmed {
		return false
	}
	if w.Withdrawn != nil && *w.Withdrawn != !f.WithdrawnAt.IsZero() {
		return false
	}
	if len(w.HasAny) > 0 && !slices.ContainsFunc(w.HasAny, func(k string) bool { return f.Counts[k] > 0 }) {
		return false
	}
	return !slices.ContainsFunc(w.HasNone, func(k string) bool { return f.Counts[k] > 0 })
}

// OverrideFor returns the override of f's organisation for rule r in force
// at t, or nil. Only rules with contract_override accept one (R9, R10); of
// several in force the one that started last wins, as the newer contract.
func OverrideFor(r *policy.Rule, f *Facts, t time.Time) *Override {
	if !r.ContractOverride || f.Organisation == "" {
		return nil
	}
	var best *Override
	for i := range f.Overrides {
		o := &f.Overrides[i]
		if o.Rule != r.ID || o.Organisation != f.Organisation || !o.ValidAt(t) {
			continue
		}
		if best == nil || o.ValidFrom.After(best.ValidFrom) {
			best = o
		}
	}
	return best
}

func (e *Engine) decide(r *policy.Rule, f *Facts, asOf time.Time) Decision {
	d := e.decideTerse(r, f, asOf)
	d.Explain()
	return d
}

func (e *Engine) decideTerse(r *policy.Rule, f *Facts, asOf time.Time) Decision {
	d := Decision{Rule: r}
	if !Matches(r, f) {
		return d
	}
	d.Applies = true
	d.Anchor = f.Anchor(r.Since)
	d.Period = r.Period
	if o := OverrideFor(r, f, asOf); o != nil {
		d.Override, d.Period = o, o.Period
	}
	d.DueDate = d.Period.AddTo(d.Anchor)
	if !r.WarnBefore.IsZero() {
		d.WarnDate = Before(r.WarnBefore, d.DueDate)
		d.WarnDue = !d.WarnDate.After(asOf)
	}
	d.Due = !d.DueDate.After(asOf)
	return d
}

// Before returns t minus the calendar period p (the warning date of a rule
// with warn_before p that falls due at t).
func Before(p policy.Duration, t time.Time) time.Time {
	return policy.Duration{Years: -p.Years, Months: -p.Months, Days: -p.Days}.AddTo(t)
}
