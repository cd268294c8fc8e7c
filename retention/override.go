package retention

import (
	"steward"
	"steward/policy"
)

// CheckOverride checks a contract override (R9, R10) against the policy
// before it is stored: the rule must exist and allow contract overrides,
// the organisation and contract must be named, the period must be
// positive and the validity must not end before it starts. Whether the
// organisation is known is the store's question (Tx.SetOverride).
func CheckOverride(p *policy.Policy, o Override) error {
	r := p.Rule(o.Rule)
	switch {
	case r == nil:
		return steward.FieldError("rule", "no retention rule %q in the policy", o.Rule)
	case !r.ContractOverride:
		return steward.FieldError("rule", "retention rule %q does not allow a contract override (contract_override is not set in the policy)", o.Rule)
	case o.Organisation == "":
		return steward.FieldError("organisation", "is required")
	case o.Period.IsZero() || o.Period.Years < 0 || o.Period.Months < 0 || o.Period.Days < 0:
		return steward.FieldError("period", "must be a positive ISO 8601 period such as P5Y")
	case o.ContractRef == "":
		return steward.FieldError("contract", "the contract reference is required")
	case o.ValidFrom.IsZero():
		return steward.FieldError("valid_from", "is required")
	case !o.ValidUntil.IsZero() && !o.ValidUntil.After(o.ValidFrom):
		return steward.FieldError("valid_until", "must be after valid_from")
	}
	return nil
}
