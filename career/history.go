package career

import (
	"time"

	"steward"
	"steward/account"
	"steward/policy"
)

// The career profile's repeatable items (issue 18 item 5, Z2): the kinds
// the policy marks repeatable, such as Zorginspirator's job_history (role,
// kind of organisation, from, to) and education_history (course,
// institution, level, year). Each item is a record of its kind holding
// only the fields the policy declares.

// MaxHistory is how many items of one kind a person keeps.
const MaxHistory = 50

// HistoryKinds are the repeatable kinds a person keeps, in policy order.
func HistoryKinds(p *policy.Policy) []*policy.Record {
	var out []*policy.Record
	for i := range p.Records {
		r := &p.Records[i]
		if r.Repeatable && r.Subject == policy.SubjectAccount && len(account.InputFields(r)) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// HistoryKind returns the repeatable kind id, or nil.
func HistoryKind(p *policy.Policy, id string) *policy.Record {
	for _, r := range HistoryKinds(p) {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// CheckItem validates one item of a repeatable kind: only the fields the
// policy declares for the person to fill in, each by its rules (length,
// choices, bounds, a date that exists), and a "from" date not after the
// "to" date. Every problem is returned at once.
func CheckItem(rec *policy.Record, in map[string]string) (account.Values, error) {
	vals, err := account.Validate(rec, in, false)
	var errs account.FieldErrors
	if fe := account.AsFieldErrors(err); fe != nil {
		errs = fe
	} else if err != nil {
		return nil, err
	}
	dates := map[string]time.Time{}
	for _, f := range account.InputFields(rec) {
		if f.Type != policy.TypeDate || vals[f.ID] == "" {
			continue
		}
		d, perr := time.Parse(time.DateOnly, vals[f.ID])
		if perr != nil {
			errs = append(errs, steward.FieldError(f.ID, "error.must_be_a_date_as"))
			continue
		}
		dates[f.ID] = d
	}
	if from, ok := dates["from"]; ok {
		if to, ok := dates["to"]; ok && to.Before(from) {
			errs = append(errs, steward.FieldError("to", "error.history_dates_order"))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return vals, nil
}
