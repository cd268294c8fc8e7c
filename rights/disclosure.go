package rights

import (
	"slices"
	"strings"
	"time"

	"steward"
	"steward/policy"
)

// Disclosure records that a person's data went to a third party (R7: no
// data goes to third parties unless the law requires it, and every
// disclosure is recorded). The person sees it on "My data" unless the law
// forbids telling them (Art. 23 GDPR restrictions, e.g. while a criminal
// investigation runs): then Withheld is set with the reason.
type Disclosure struct {
	// ID is random and opaque ("dis_…").
	ID               string
	SubjectID        string
	SubjectPseudonym string
	// Ground is the id of the policy's disclosures entry it rests on.
	Ground     string
	Recipient  string
	LegalBasis policy.LegalBasis
	// Categories are the record kinds disclosed.
	Categories []string
	// Reference is the recipient's reference (order or case number);
	// RequestID the data-subject request it answered, if any.
	Reference      string
	RequestID      string
	DisclosedOn    time.Time
	Withheld       bool
	WithholdReason string
	RecordedAt     time.Time
	RecordedBy     string
}

// NewDisclosure is what staff enter.
type NewDisclosure struct {
	SubjectID      string
	Ground         string
	Recipient      string
	Categories     []string
	Reference      string
	RequestID      string
	DisclosedOn    time.Time
	Withheld       bool
	WithholdReason string
}

// Check validates a disclosure against the policy: it must rest on one of
// the policy's declared disclosure grounds (R7), disclose only record kinds
// that ground covers, not lie in the future, and carry a reason when it is
// withheld from the person. Nothing is stored when it fails (G3).
func (n *NewDisclosure) Check(p *policy.Policy, today time.Time) (*policy.Disclosure, error) {
	if n.SubjectID == "" {
		return nil, steward.FieldError("subject", "error.is_required")
	}
	var g *policy.Disclosure
	var ids []string
	for i := range p.Disclosures {
		ids = append(ids, p.Disclosures[i].ID)
		if p.Disclosures[i].ID == n.Ground {
			g = &p.Disclosures[i]
		}
	}
	if g == nil {
		if len(ids) == 0 {
			return nil, steward.FieldError("ground", "error.policy_declares_no_disclosures")
		}
		return nil, steward.FieldError("ground", "error.must_be_policy_disclosure", "join", strings.Join(ids, ", "))
	}
	n.Recipient = strings.TrimSpace(n.Recipient)
	if n.Recipient == "" {
		n.Recipient = g.Recipient.In("nl")
	}
	if len(n.Recipient) > 200 {
		return nil, steward.FieldError("recipient", "error.is_longer_than_200")
	}
	if len(n.Categories) == 0 {
		return nil, steward.FieldError("categories", "error.disclosure_needs_record")
	}
	for _, c := range n.Categories {
		if !slices.Contains(g.Records, c) {
			return nil, steward.FieldError("categories", "error.is_not_covered_ground", "c", c, "id", g.ID, "join", strings.Join(g.Records, ", "))
		}
	}
	if n.DisclosedOn.IsZero() {
		return nil, steward.FieldError("date", "error.is_required_yyyy_mm")
	}
	if n.DisclosedOn.After(today) {
		return nil, steward.FieldError("date", "error.lies_in_future")
	}
	n.WithholdReason = strings.TrimSpace(n.WithholdReason)
	if n.Withheld && n.WithholdReason == "" {
		return nil, steward.FieldError("withhold_reason", "error.is_required_when_disclosure")
	}
	if !n.Withheld && n.WithholdReason != "" {
		return nil, steward.FieldError("withhold_reason", "error.is_only_withheld_disclosure")
	}
	if len(n.Reference) > 200 || len(n.WithholdReason) > maxText {
		return nil, steward.FieldError("reference", "error.is_too_long")
	}
	return g, nil
}
