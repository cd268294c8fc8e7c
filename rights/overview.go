package rights

import (
	"strings"
	"time"

	"steward/policy"
)

// ExportSchema is the version of the export's JSON document
// (docs/export-schema.md). Raise it when a field changes meaning or goes;
// adding a field keeps it.
const ExportSchema = "steward.export/v1"

// Overview is everything Steward holds about one person, as the "My data"
// page shows it and the export carries it (Art. 15, 20 GDPR; R13, Z8): the
// items of every record kind the policy declares, each with its purposes,
// legal bases, source, recipients and the day it will be deleted or
// anonymised; consents; requests; staff views; disclosures not withheld;
// restrictions and objections. It holds nothing about other people.
type Overview struct {
	Schema      string           `json:"schema"`
	GeneratedAt time.Time        `json:"generated_at"`
	Site        string           `json:"site"`
	Policy      string           `json:"policy_version"`
	SubjectID   string           `json:"subject_id"`
	Categories  []Category       `json:"categories"`
	Consents    []ConsentEntry   `json:"consents"`
	Requests    []RequestEntry   `json:"requests"`
	StaffViews  []StaffViewEntry `json:"staff_views"`
	Disclosures []DisclosureItem `json:"disclosures"`
	Limits      []LimitEntry     `json:"processing_limits"`
	// Organisations is the organisation the person belongs to (none or
	// one, R6), and Invitations the invitations they were sent.
	Organisations []OrganisationEntry `json:"organisations"`
	Invitations   []InvitationEntry   `json:"organisation_invitations"`
	// VoucherNotices are the vouchers the person redeemed, each with the
	// notice they saw and confirmed first (R6, issue 17): its hash,
	// language and policy version, like a consent record.
	VoucherNotices []VoucherNoticeEntry `json:"voucher_notices"`
}

// VoucherNoticeEntry is a redeemed voucher's confirmed notice: the
// voucher item it belongs to (its record id in the voucher category), the
// notice's SHA-256, language and policy version, and when.
type VoucherNoticeEntry struct {
	Item          int64     `json:"item"`
	Notice        string    `json:"notice"`
	Lang          string    `json:"lang"`
	PolicyVersion string    `json:"policy_version"`
	At            time.Time `json:"at"`
}

// OrganisationEntry is an organisation the person is a member of (R6,
// issue 16): its contract terms may set other retention periods.
type OrganisationEntry struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Since is when the person accepted the invitation; zero for a
	// membership from before invitations (issue 16's migration).
	Since time.Time `json:"since,omitzero"`
	// Deletion: the membership is part of the account and goes with it.
	Deletion Deletion `json:"deletion"`
}

// InvitationEntry is an invitation to join an organisation the person
// received, with what became of it.
type InvitationEntry struct {
	ID               string    `json:"id"`
	Organisation     string    `json:"organisation"`
	OrganisationName string    `json:"organisation_name"`
	InvitedAt        time.Time `json:"invited_at"`
	ExpiresAt        time.Time `json:"expires_at"`
	// State is open, expired, accepted, declined or withdrawn.
	State      string    `json:"state"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	// Deletion: an invitation goes with the account.
	Deletion Deletion `json:"deletion"`
}

// Category is one record kind of the policy with the person's items of it.
type Category struct {
	Kind       string        `json:"kind"`
	Name       policy.Text   `json:"name"`
	System     string        `json:"system,omitempty"`
	Purposes   []PurposeInfo `json:"purposes"`
	Recipients []Recipient   `json:"recipients"`
	Erasure    string        `json:"erasure"`
	KeepReason policy.Text   `json:"keep_reason,omitzero"`
	KeepPeriod string        `json:"keep_period,omitempty"`
	Fields     []FieldInfo   `json:"fields"`
	Items      []Item        `json:"items"`
	record     *policy.Record
}

// Record returns the policy record kind of the category.
func (c *Category) Record() *policy.Record { return c.record }

// PurposeInfo is a purpose with its legal basis (Art. 13(1)(c)).
type PurposeInfo struct {
	ID         string      `json:"id"`
	Name       policy.Text `json:"name"`
	LegalBasis string      `json:"legal_basis"`
	Article    string      `json:"article"`
}

// Recipient is a processor or recipient of a record kind (Art. 13(1)(e)).
type Recipient struct {
	ID   string      `json:"id"`
	Name string      `json:"name"`
	Kind string      `json:"kind"`
	Task policy.Text `json:"task"`
}

// FieldInfo describes one field of a kind: where its value comes from
// (Art. 14(2)(f)) and why it is held.
type FieldInfo struct {
	ID        string      `json:"id"`
	Name      policy.Text `json:"name"`
	Source    string      `json:"source"`
	Purposes  []string    `json:"purposes"`
	Sensitive bool        `json:"sensitive,omitempty"`
}

// Item is one record of the person: its values and when it goes.
type Item struct {
	ID        string            `json:"id"`
	CreatedAt time.Time         `json:"created_at,omitzero"`
	Values    map[string]string `json:"values"`
	// Titles are, for the fields that reference a catalogue (a course's
	// slug, policy.Field.References), the entry's title for "My data" to
	// show instead of the key; the export carries the stored value only.
	Titles map[string]policy.Text `json:"-"`
	// Deletion says when and how the record will be deleted or anonymised
	// under the retention rules, as the retention engine computes it.
	Deletion Deletion `json:"deletion"`
}

// Deletion is the retention engine's answer for one item.
type Deletion struct {
	// Date is the day the record falls due; zero when no rule applies and
	// the record is kept while the account exists.
	Date time.Time `json:"date,omitzero"`
	// Action is delete or anonymise.
	Action string `json:"action,omitempty"`
	// Rule is the retention rule that decides, and Reason says why in
	// words: the rule's description from the policy, or for a record kept
	// for a legal obligation, that obligation.
	Rule   string      `json:"rule,omitempty"`
	Reason policy.Text `json:"reason,omitzero"`
	// Via names the record whose rule decides when the record goes with
	// it (an order goes with its account).
	Via string `json:"via,omitempty"`
}

// ConsentEntry is one record of the person's consent history.
type ConsentEntry struct {
	Purpose string `json:"purpose"`
	// PurposeName is the policy's name of the purpose, so a reader needs
	// no policy file to know what was consented to.
	PurposeName policy.Text `json:"purpose_name,omitzero"`
	Given       bool        `json:"given"`
	Channel     string      `json:"channel"`
	At          time.Time   `json:"at"`
	Notice      string      `json:"notice_sha256"`
}

// RequestEntry is one of the person's requests as they see it.
type RequestEntry struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Channel    string    `json:"channel"`
	Status     string    `json:"status"`
	ReceivedOn time.Time `json:"received_on"`
	Deadline   time.Time `json:"deadline,omitzero"`
	ClosedOn   time.Time `json:"closed_on,omitzero"`
	Extension  string    `json:"extension,omitempty"`
	Reason     string    `json:"extension_reason,omitempty"`
}

// StaffViewEntry says which staff member saw which fields, and when.
type StaffViewEntry struct {
	At     time.Time `json:"at"`
	Staff  string    `json:"staff"`
	Fields []string  `json:"fields"`
	// Role is the staff member's role when their account still exists,
	// for My data to name ("Privacy officer"); not part of the export.
	Role string `json:"-"`
	// FieldNames are the policy's names of Fields, in the same order.
	FieldNames []policy.Text `json:"field_names,omitempty"`
}

// DisclosureItem is a disclosure the person may be told about (R7).
type DisclosureItem struct {
	ID         string    `json:"id"`
	On         time.Time `json:"disclosed_on"`
	Recipient  string    `json:"recipient"`
	LegalBasis string    `json:"legal_basis"`
	// Article is the legal basis's article of Art. 6(1), e.g. "6(1)(c)".
	Article    string   `json:"article,omitempty"`
	Categories []string `json:"categories"`
	// CategoryNames are the policy's names of Categories, in order.
	CategoryNames []policy.Text `json:"category_names,omitempty"`
	Reference     string        `json:"reference,omitempty"`
}

// LimitEntry is a restriction (Art. 18) or objection (Art. 21) in force.
type LimitEntry struct {
	Kind    string `json:"kind"`
	Purpose string `json:"purpose"`
	// PurposeName is the policy's name of Purpose (none for a restriction
	// of all processing).
	PurposeName policy.Text `json:"purpose_name,omitzero"`
	Since       time.Time   `json:"since"`
	Reason      string      `json:"reason,omitempty"`
}

// NewCategory describes record kind r from the policy, without items.
func NewCategory(p *policy.Policy, r *policy.Record) Category {
	c := Category{Kind: r.ID, Name: r.Name, System: r.System, Erasure: string(r.Erasure), record: r,
		Purposes: []PurposeInfo{}, Recipients: []Recipient{}, Fields: []FieldInfo{}, Items: []Item{}}
	if r.Keep != nil {
		c.KeepReason, c.KeepPeriod = r.Keep.Reason, r.Keep.Period.String()
	}
	seen := map[string]bool{}
	for _, f := range r.Fields {
		c.Fields = append(c.Fields, FieldInfo{ID: f.ID, Name: f.Name, Source: string(f.Source), Purposes: f.Purposes, Sensitive: f.Sensitive})
		for _, id := range f.Purposes {
			if pu := p.Purpose(id); pu != nil && !seen[id] {
				seen[id] = true
				c.Purposes = append(c.Purposes, PurposeInfo{ID: id, Name: pu.Name, LegalBasis: string(pu.LegalBasis), Article: pu.LegalBasis.Article()})
			}
		}
	}
	for _, pr := range p.RecipientsOf(r.ID) {
		c.Recipients = append(c.Recipients, Recipient{ID: pr.ID, Name: pr.Name, Kind: string(pr.Kind), Task: pr.Task})
	}
	return c
}

// Exported reports whether a field's value leaves in the export and shows
// on the page: everything the person gave or the system recorded about
// them, except secrets that are not data about them (a password hash).
func Exported(f *policy.Field) bool { return f.ID != "password" }

// PurposeName is the policy's name of purpose id, or the id itself in both
// languages when the policy no longer declares it (an old consent record).
func PurposeName(p *policy.Policy, id string) policy.Text {
	if pu := p.Purpose(id); pu != nil {
		return pu.Name
	}
	return policy.Text{NL: id, EN: id}
}

// RecordName is the policy's name of record kind id, or the id itself.
func RecordName(p *policy.Policy, id string) policy.Text {
	if r := p.Record(id); r != nil {
		return r.Name
	}
	return policy.Text{NL: id, EN: id}
}

// FieldName is the policy's name of a field reference: "kind.field", or a
// bare field id of the account record (staff views written before fields
// carried their kind); the reference itself when the policy lacks it.
func FieldName(p *policy.Policy, ref string) policy.Text {
	kind, field, ok := strings.Cut(ref, ".")
	if !ok {
		kind, field = "account", ref
	}
	if r := p.Record(kind); r != nil {
		if f := r.Field(field); f != nil {
			return f.Name
		}
	}
	return policy.Text{NL: ref, EN: ref}
}
