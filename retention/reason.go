package retention

import (
	"fmt"
	"strings"
	"time"

	"steward/policy"
)

// ConditionWords says in words which records a rule selects, e.g. "account
// without order or newsletter_subscription" or "lms_account never
// confirmed". Kinds are named by their policy ids so a reader can find them
// in the policy file.
func ConditionWords(r *policy.Rule) string {
	parts := []string{r.Record}
	if c := r.Where.Confirmed; c != nil {
		if *c {
			parts = append(parts, "confirmed")
		} else {
			parts = append(parts, "never confirmed")
		}
	}
	if c := r.Where.Withdrawn; c != nil {
		if *c {
			parts = append(parts, "whose consent was withdrawn")
		} else {
			parts = append(parts, "whose consent stands")
		}
	}
	if len(r.Where.HasAny) > 0 {
		parts = append(parts, "with "+strings.Join(r.Where.HasAny, " or "))
	}
	if len(r.Where.HasNone) > 0 {
		parts = append(parts, "without "+strings.Join(r.Where.HasNone, " or "))
	}
	return strings.Join(parts, " ")
}

// anchorWords names an anchor as the reason reads it.
func anchorWords(a policy.Anchor) string {
	switch a {
	case policy.SinceLastLogin:
		return "last login"
	case policy.SinceLastActivity:
		return "last activity"
	case policy.SinceWithdrawn:
		return "withdrawal of consent"
	default:
		return "creation"
	}
}

// reason is the human reason of an applicable decision: rule id, condition,
// period and anchor, the contract used and the dates, e.g.
// "account_idle: account without order or newsletter_subscription; delete
// P1Y after creation (2024-02-29) on 2025-02-28".
func reason(d *Decision) string {
	r := d.Rule
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s; %s %s after %s (%s)", r.ID, ConditionWords(r), r.Action, d.Period, anchorWords(r.Since), day(d.Anchor))
	if o := d.Override; o != nil {
		fmt.Fprintf(&b, " under contract %s of organisation %s (rule period %s)", o.ContractRef, o.Organisation, r.Period)
	}
	fmt.Fprintf(&b, " on %s", day(d.DueDate))
	if !d.WarnDate.IsZero() {
		fmt.Fprintf(&b, ", warning %s before on %s", r.WarnBefore, day(d.WarnDate))
	}
	return b.String()
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
