package runner

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"steward"
	"steward/audit"
	"steward/erasure"
	"steward/policy"
	"steward/retention"
	"steward/store"
)

// KeepPrefix starts the id of the runner's rule for a record kind kept
// after erasure for a legal obligation: "keep:invoice" removes IVM's invoices
// once their seven years of bookkeeping (Art. 52 AWR) have passed.
const KeepPrefix = "keep:"

// rule is one rule a plan or run evaluates: a policy retention rule, or
// the keep rule of a record kind kept after its subject's erasure.
type rule struct {
	*policy.Rule
	// Kept is set for a keep rule: the erasure planner's entry of the kept
	// kind, saying why it is kept and for how long. nil for a policy rule.
	Kept *erasure.Entry
}

// keepRules returns a rule for every record kind the erasure planner keeps
// after its subject's erasure (erasure.Kept: a legal obligation, Art.
// 17(3)(b) GDPR): the record goes when its keep period, counted from its
// anchor, has passed. Only records whose subject has no account left are its
// candidates (store.DueQuery.Kept): while the account exists, its own rules
// decide, and an erasure keeps the record from then on. Its id is
// KeepPrefix and the kind, for --rule and reports.
func keepRules(p *policy.Policy) []rule {
	var out []rule
	for _, e := range erasure.Kept(p) {
		out = append(out, rule{Rule: &policy.Rule{ID: KeepPrefix + e.Kind, Record: e.Kind, Since: e.Until.Since,
			Period: e.Until.Period, Action: policy.ActionDelete}, Kept: &e})
	}
	return out
}

// allRules returns the policy's retention rules in policy order, then the
// keep rules in record order.
func allRules(e *retention.Engine) []rule {
	p := e.Policy()
	out := make([]rule, 0, len(p.Retention))
	for i := range p.Retention {
		out = append(out, rule{Rule: &p.Retention[i]})
	}
	return append(out, keepRules(p)...)
}

// RuleIDs lists the ids a plan or run can be limited to: the policy's
// rules, then "keep:KIND" for each kind kept for a legal obligation.
func RuleIDs(e *retention.Engine) []string {
	var ids []string
	for _, ru := range allRules(e) {
		ids = append(ids, ru.ID)
	}
	return ids
}

// ForRules returns a runner like r limited to rules (every rule when
// none is given): the staff page and the commands that ask about one rule
// share the wired runner's store, engine and holds instead of building
// their own.
func (r *Runner) ForRules(rules ...string) *Runner {
	c := *r
	c.Rules = rules
	return &c
}

// CheckRule returns an error naming the ids there are unless id is one of
// RuleIDs (for --rule and the staff page's filter).
func CheckRule(e *retention.Engine, id string) error {
	for _, ru := range allRules(e) {
		if ru.ID == id {
			return nil
		}
	}
	return steward.Errorf(steward.ENOTFOUND, "error.no_retention_rule_policy_rules", "id", id, "e", RuleIDs(e))
}

// keepDecision decides a kept record: it applies always, and is due when
// the keep period has passed since its anchor.
func keepDecision(ru *rule, f *retention.Facts, asOf time.Time, reasons bool) retention.Decision {
	d := retention.Decision{Rule: ru.Rule, Applies: true, Anchor: f.Anchor(ru.Since), Period: ru.Period}
	d.DueDate = d.Period.AddTo(d.Anchor)
	d.Due = !d.DueDate.After(asOf)
	if reasons {
		explain(ru, &d)
	}
	return d
}

// explain sets and returns the reason of a decision made without one:
// a keep rule's words, or the engine's for a policy rule.
func explain(ru *rule, d *retention.Decision) retention.Reason {
	if ru.Kept == nil {
		return d.Explain()
	}
	if d.Reason.IsZero() {
		d.Reason = retention.KeptReason(ru.Record, ru.Period, ru.Since, d.Anchor, d.DueDate)
	}
	return d.Reason
}

// deleteKept removes a page's kept records whose keep period has passed,
// one statement per table, with a retention.delete entry per record on
// the record kind (G2). The subject is gone, so no pseudonym is named.
func (r *Runner) deleteKept(ctx context.Context, tx *store.Tx, fs []retention.Facts) error {
	ids := make([]int64, len(fs))
	entries := make([]audit.Entry, len(fs))
	for i, f := range fs {
		id, err := strconv.ParseInt(f.Target, 10, 64)
		if err != nil {
			return fmt.Errorf("kept %s %q: %w", f.Kind, f.Target, err)
		}
		ids[i] = id
		entries[i] = audit.Entry{Actor: actor, Action: audit.RetentionDelete, ObjectKind: f.Kind, ObjectID: f.Target, Fields: []string{f.Kind}}
	}
	if err := tx.DeleteRecords(ctx, ids); err != nil {
		return err
	}
	return r.Audit.Record(ctx, tx, entries...)
}
