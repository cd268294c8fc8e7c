package retention

import "steward/policy"

// GoesWith returns the record kind whose erasure takes a record of kind
// along: the account kind of kind's system — the first record kind with
// subject account the policy declares in that system (IVM: lms_account
// for enrolments, learning results and accreditation, R10). A rule acting
// on that account kind erases the subject's records of every account kind
// of the system (the runner), and "My data" dates those records by that
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
