// Package career is Zorginspirator's career platform for the person
// (issue 18: Z1, Z2, Z4): the functies and opleidingen a visitor saves,
// with or without an account, the basic questions (basisvragen) whose
// answers rank the catalogue, and the career profile's repeatable items
// (job and education history).
//
// Without an account nothing is kept on the server: a visitor's saved
// items and answers are a Visit, which the web layer carries in the
// signed session cookie the policy declares and which ends with the
// browser session. With an account they are records of the kinds the
// policy declares (saved_item, job_history, education_history), shown,
// exported and erased like every record.
//
// The package is pure: no SQL, no HTTP, no clock of its own. The service
// that applies it to the store is career/service.
package career

import (
	"encoding/json"
	"slices"

	"steward"
	"steward/catalogue"
	"steward/policy"
)

// SavedKind is the policy's record kind of a saved functie or opleiding,
// and its fields: kind (job or course), item (the catalogue's id of the
// item) and saved_at (the day).
const (
	SavedKind        = "saved_item"
	SavedFieldKind   = "kind"
	SavedFieldItem   = "item"
	SavedFieldSaveAt = "saved_at"
)

// Saving reports whether the policy declares saved items: the kind with
// its kind and item fields. Without it nothing can be kept with an
// account, and the pages offer no saving.
func Saving(p *policy.Policy) bool {
	rec := p.Record(SavedKind)
	return rec != nil && rec.Subject == policy.SubjectAccount && rec.Field(SavedFieldKind) != nil && rec.Field(SavedFieldItem) != nil
}

// Ref names one catalogue item: its kind and the catalogue's id.
type Ref struct {
	Kind catalogue.Kind `json:"k"`
	ID   string         `json:"i"`
}

// Valid reports whether r could name an item: a known kind and an id of
// the catalogue's form.
func (r Ref) Valid() bool {
	return r.Kind.Valid() && catalogue.ValidID(r.ID)
}

// MaxVisitSaved is how many items a visitor without an account can save:
// the session cookie that holds them must stay small (browsers keep about
// 4 kB a cookie). An account keeps any number.
const MaxVisitSaved = 25

// MaxSaved is how many items an account keeps; saving more is refused.
const MaxSaved = 500

// Visit is what a visitor without an account keeps in their session:
// the items they saved and their answers to the basic questions. It
// lives only in the signed session cookie, never in a table (Z1), and
// ends with the browser session.
type Visit struct {
	Saved   []Ref             `json:"s,omitempty"`
	Answers map[string]string `json:"a,omitempty"`
}

// Empty reports whether the visit holds nothing.
func (v *Visit) Empty() bool { return len(v.Saved) == 0 && len(v.Answers) == 0 }

// Has reports whether the visit saved r.
func (v *Visit) Has(r Ref) bool { return slices.Contains(v.Saved, r) }

// Save adds r, once; more than MaxVisitSaved is refused.
func (v *Visit) Save(r Ref) error {
	if v.Has(r) {
		return nil
	}
	if len(v.Saved) >= MaxVisitSaved {
		return steward.Errorf(steward.ECONFLICT, "error.saved_visit_full", "max", MaxVisitSaved)
	}
	v.Saved = append(v.Saved, r)
	return nil
}

// Remove drops r.
func (v *Visit) Remove(r Ref) {
	v.Saved = slices.DeleteFunc(v.Saved, func(x Ref) bool { return x == r })
}

// Encode is the visit as the cookie's body (before signing).
func (v *Visit) Encode() []byte {
	b, _ := json.Marshal(v)
	return b
}

// DecodeVisit reads a visit the cookie carried (after its signature was
// checked); anything malformed is an empty visit.
func DecodeVisit(b []byte) Visit {
	var v Visit
	if json.Unmarshal(b, &v) != nil {
		return Visit{}
	}
	v.Saved = slices.DeleteFunc(v.Saved, func(r Ref) bool { return !r.Valid() })
	if len(v.Saved) > MaxVisitSaved {
		v.Saved = v.Saved[:MaxVisitSaved]
	}
	return v
}
