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
		return steward.FieldError("rule", "error.no_retention_rule_policy", "rule", o.Rule)
	case !r.ContractOverride:
		return steward.FieldError("rule", "error.retention_rule_no_contract_override", "rule", o.Rule)
	case o.Organisation == "":
		return steward.FieldError("organisation", "error.is_required")
	case o.Period.IsZero() || o.Period.Years < 0 || o.Period.Months < 0 || o.Period.Days < 0:
		return steward.FieldError("period", "error.must_be_positive_iso")
	case o.ContractRef == "":
		return steward.FieldError("contract", "error.contract_reference_is_required")
	case o.ValidFrom.IsZero():
		return steward.FieldError("valid_from", "error.is_required")
	case !o.ValidUntil.IsZero() && !o.ValidUntil.After(o.ValidFrom):
		return steward.FieldError("valid_until", "error.must_be_after_valid")
	}
	return nil
}
