package retention

import (
	"strings"
	"time"

	"steward/message"
	"steward/policy"
	"steward/statement"
)

// ReasonKind says what a reason states; its words are the catalogue's
// "retention_reason.kind.KIND" in the reader's language, with the reason's
// arguments written in words (issue 13: no engine English on a page).
type ReasonKind string

// The reasons a plan gives, and the notes the runner adds to them.
const (
	// ReasonApplies: the rule's condition holds; the action falls due a
	// period after an anchor. Arguments: condition, action, period,
	// anchor, anchor_date, due.
	ReasonApplies ReasonKind = "applies"
	// ReasonNotApplicable: the rule's condition does not hold. Argument:
	// condition.
	ReasonNotApplicable ReasonKind = "not_applicable"
	// ReasonKept: a record kept after its subject's erasure for a legal
	// obligation, deleted when its keep period has passed. Arguments:
	// record, period, anchor, anchor_date, due.
	ReasonKept ReasonKind = "kept"
	// ReasonContract: a contract's period replaces the rule's. Arguments:
	// contract, organisation, rule_period.
	ReasonContract ReasonKind = "contract"
	// ReasonWarning: the rule warns first. Arguments: warn_before,
	// warn_date.
	ReasonWarning ReasonKind = "warning"
	// ReasonHeld: skipped, the subject is on legal hold. Argument: hold.
	ReasonHeld ReasonKind = "held"
	// ReasonWarnAgain: the earlier warning's mail failed; warned again.
	ReasonWarnAgain ReasonKind = "warn_again"
	// ReasonWaitMail: waiting until the warning mail has gone out.
	ReasonWaitMail ReasonKind = "wait_mail"
	// ReasonWarned: warned, acting once the warning has been out long
	// enough. Arguments: warned, acts.
	ReasonWarned ReasonKind = "warned"
)

// Arg is one named argument of a reason. Its value is typed — a
// time.Time (a day), a policy.Duration, policy.Anchor, policy.Action,
// Hold, Kind (a record kind), Condition, or a string that is data (a
// contract's reference) — and written in words only when read.
type Arg struct {
	Name  string
	Value any
}

// Kind is a record kind's policy id, written as the policy's name for it.
type Kind string

// Condition is which records a rule selects: the rule's kind and its
// condition, written in words ("account without order or download").
type Condition struct {
	Record string
	Where  policy.Condition
}

// Reason is why a target has its outcome: what it states and its named
// arguments, and the notes that follow it (a contract, a warning, a hold).
// The zero Reason states nothing.
type Reason struct {
	Kind ReasonKind
	Args []Arg
	Then []Reason
}

// IsZero reports whether r states nothing.
func (r Reason) IsZero() bool { return r.Kind == "" }

// Arg returns the value of the argument name, or nil.
func (r Reason) Arg(name string) any {
	for _, a := range r.Args {
		if a.Name == name {
			return a.Value
		}
	}
	return nil
}

// Note returns r followed by the note of kind with args (name/value
// pairs), leaving r itself as it was.
func (r Reason) Note(kind ReasonKind, args ...any) Reason {
	n := Reason{Kind: kind}
	for i := 0; i+1 < len(args); i += 2 {
		n.Args = append(n.Args, Arg{Name: args[i].(string), Value: args[i+1]})
	}
	r.Then = append(r.Then[:len(r.Then):len(r.Then)], n)
	return r
}

// Has reports whether r or one of its notes is of kind.
func (r Reason) Has(kind ReasonKind) bool {
	if r.Kind == kind {
		return true
	}
	for _, n := range r.Then {
		if n.Kind == kind {
			return true
		}
	}
	return false
}

// newReason is a reason of kind with args (name/value pairs).
func newReason(kind ReasonKind, args ...any) Reason {
	return Reason{}.Note(kind, args...).Then[0]
}

// AppliesReason is the reason of an applicable decision: the rule's
// condition, action, period in force and anchor, the contract used and
// the warning.
func AppliesReason(d *Decision) Reason {
	r := d.Rule
	out := newReason(ReasonApplies, "condition", ConditionOf(r), "action", r.Action, "period", d.Period,
		"anchor", r.Since, "anchor_date", d.Anchor, "due", d.DueDate)
	if o := d.Override; o != nil {
		out = out.Note(ReasonContract, "contract", o.ContractRef, "organisation", o.Organisation, "rule_period", r.Period)
	}
	if !d.WarnDate.IsZero() {
		out = out.Note(ReasonWarning, "warn_before", r.WarnBefore, "warn_date", d.WarnDate)
	}
	return out
}

// KeptReason is the reason of a record kept for a legal obligation after
// its subject's erasure: deleted period after anchor, on due.
func KeptReason(kind string, period policy.Duration, anchor policy.Anchor, from, due time.Time) Reason {
	return newReason(ReasonKept, "record", Kind(kind), "period", period, "anchor", anchor, "anchor_date", from, "due", due)
}

// ConditionOf is the condition of rule r.
func ConditionOf(r *policy.Rule) Condition { return Condition{Record: r.Record, Where: r.Where} }

// Words writes r and its notes in lang from the catalogue, record kinds
// by their names in p: e.g. "Account without Order; delete 1 year after
// the last log-in (24 November 2026) on 24 November 2027; warning 30 days
// before, on 25 October 2027".
func (r Reason) Words(lang string, p *policy.Policy) string {
	if r.IsZero() {
		return ""
	}
	parts := make([]string, 0, 1+len(r.Then))
	for _, n := range append([]Reason{r}, r.Then...) {
		args := make([]any, 0, 2*len(n.Args))
		for _, a := range n.Args {
			args = append(args, a.Name, argWords(lang, p, a.Value))
		}
		parts = append(parts, message.Format(lang, "retention_reason.kind."+string(n.Kind), args...))
	}
	return strings.Join(parts, "; ")
}

// argWords writes one argument in lang.
func argWords(lang string, p *policy.Policy, v any) string {
	switch v := v.(type) {
	case time.Time:
		return statement.Date(lang, v)
	case policy.Duration:
		return statement.Period(lang, v)
	case policy.Anchor:
		// "after the last login": the privacy statement's words.
		return message.Text(lang, "statement.since."+string(v))
	case policy.Action:
		return message.Text(lang, "retention_reason.action."+string(v))
	case Hold:
		return message.Text(lang, "retention_reason.hold."+string(v))
	case Kind:
		return kindName(lang, p, string(v))
	case Condition:
		return conditionWords(lang, p, v)
	case string:
		return v
	}
	return ""
}

// kindName is the policy's name of a record kind in lang, or its id.
func kindName(lang string, p *policy.Policy, kind string) string {
	if p != nil {
		if rec := p.Record(kind); rec != nil && !rec.Name.IsZero() {
			return rec.Name.In(lang)
		}
	}
	return kind
}

// conditionWords says in lang which records a condition selects, e.g.
// "Account without Order or Download".
func conditionWords(lang string, p *policy.Policy, c Condition) string {
	// The privacy statement's words for the states (issue 13: use the
	// words /privacy uses).
	state := func(key string) string { return message.Text(lang, "statement.condition."+key) }
	parts := []string{kindName(lang, p, c.Record)}
	if v := c.Where.Confirmed; v != nil {
		parts = append(parts, state(map[bool]string{true: "confirmed", false: "unconfirmed"}[*v]))
	}
	if v := c.Where.Withdrawn; v != nil {
		parts = append(parts, state(map[bool]string{true: "withdrawn", false: "not_withdrawn"}[*v]))
	}
	kinds := func(ids []string) string {
		names := make([]string, len(ids))
		for i, id := range ids {
			names[i] = kindName(lang, p, id)
		}
		return strings.Join(names, " "+message.Text(lang, "retention_reason.condition.or")+" ")
	}
	if len(c.Where.HasAny) > 0 {
		parts = append(parts, message.Format(lang, "retention_reason.condition.with", "kinds", kinds(c.Where.HasAny)))
	}
	if len(c.Where.HasNone) > 0 {
		parts = append(parts, message.Format(lang, "retention_reason.condition.without", "kinds", kinds(c.Where.HasNone)))
	}
	return strings.Join(parts, " ")
}
