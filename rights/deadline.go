package rights

import (
	"time"

	"steward"
	"steward/policy"
)

// A Date is a calendar day, held as midnight UTC of that day. Deadlines are
// counted in whole days (Art. 12(3) GDPR speaks of months, not hours), so a
// request received at any time on 31 January is due on 28 February.
//
// Day turns a moment into the Date it falls on in loc.
func Day(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// defaultResponse is the answer period when a policy leaves it out:
// Art. 12(3) GDPR allows one month at most.
var defaultResponse = policy.Duration{Months: 1}

// DueSoonWithin is how close to its deadline a request is flagged "due
// soon" in the queue when the caller does not choose another window.
const DueSoonWithin = 7 * 24 * time.Hour

// Clock is where a request's deadline counts from and what it is. It is
// pure arithmetic on dates; Request.Deadline and the queue use it.
type Clock struct {
	// Response is the answer period, one month (Art. 12(3); R13).
	Response policy.Duration
	// MaxExtension is the most one extension may add, two months.
	MaxExtension policy.Duration
	// FromIdentityProof makes the period run from the day proof of
	// identity arrived instead of from receipt, when proof had to be
	// asked for (the policy's rights.deadline_from).
	FromIdentityProof bool
}

// ClockFor returns the deadline rules the policy declares.
func ClockFor(r policy.Rights) Clock {
	c := Clock{Response: r.Response, MaxExtension: r.Extension, FromIdentityProof: r.DeadlineFrom == policy.FromIdentityProof}
	if c.Response.IsZero() {
		c.Response = defaultResponse
	}
	return c
}

// Start returns the day the deadline counts from, and false while it does
// not run yet: under deadline_from identity_proof, a request whose identity
// had to be verified starts on the day the proof arrived, and has no
// deadline until it does. Otherwise it starts on the day of receipt.
func (c Clock) Start(received, identityAsked, identityProof time.Time) (time.Time, bool) {
	if c.FromIdentityProof && !identityAsked.IsZero() {
		if identityProof.IsZero() {
			return time.Time{}, false
		}
		return identityProof, true
	}
	return received, true
}

// Deadline returns the day by which the request must be answered: one
// calendar month after start, or the last day of that month when the day
// does not exist in it (31 January → 28 or 29 February, Art. 12(3) GDPR
// as counted under Regulation 1182/71). An extension adds its months to the
// whole period, counted again from start, so 31 January with two further
// months ends on 30 April, not on 28 April.
func (c Clock) Deadline(start time.Time, extension policy.Duration) time.Time {
	total := policy.Duration{
		Years:  c.Response.Years + extension.Years,
		Months: c.Response.Months + extension.Months,
		Days:   c.Response.Days + extension.Days,
	}
	return total.AddTo(start)
}

// CheckExtension says whether a request whose deadline started on start may
// be extended by ext on day today. Art. 12(3) GDPR: once, by at most two
// further months, with the reasons, and the person must be told within one
// month of receipt — so an extension after the first deadline has passed is
// refused, as is a second one. already is the extension granted before, if
// any. Every refusal is a *steward.Error the queue shows as is.
func (c Clock) CheckExtension(start, today time.Time, already, ext policy.Duration, reason string) error {
	maxExt := c.MaxExtension
	if maxExt.IsZero() {
		return steward.Errorf(steward.ECONFLICT, "error.policy_allows_no_extension")
	}
	if !already.IsZero() {
		return steward.Errorf(steward.ECONFLICT, "error.request_already_extended_once")
	}
	if ext.IsZero() || ext.Years < 0 || ext.Months < 0 || ext.Days < 0 {
		return steward.FieldError("extension", "error.must_be_positive_period")
	}
	if ext.AddTo(start).After(maxExt.AddTo(start)) {
		return steward.FieldError("extension", "error.may_be_at_most", "max_ext", maxExt)
	}
	if reason == "" {
		return steward.FieldError("reason", "error.required_extension_reason")
	}
	if first := c.Deadline(start, policy.Duration{}); today.After(first) {
		return steward.Errorf(steward.ECONFLICT, "error.too_late_extend_first", "date_only", first.Format(time.DateOnly))
	}
	return nil
}

// Overdue reports whether a request due on deadline is late on day today:
// the deadline day itself still counts as in time.
func Overdue(deadline, today time.Time) bool {
	return !deadline.IsZero() && today.After(deadline)
}

// DueSoon reports whether a request due on deadline is not overdue but due
// within the given window from today.
func DueSoon(deadline, today time.Time, within time.Duration) bool {
	return !deadline.IsZero() && !today.After(deadline) && !deadline.After(today.Add(within))
}
