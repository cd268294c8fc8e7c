// Package audit is Steward's tamper-evident audit log (G2, R7, R12, Z7): the
// entry and its closed action vocabulary, the canonical encoding that is
// hashed into a chain, signed checkpoints, subject pseudonyms and the
// verification that finds any change, deletion, reordering, truncation or
// forgery. It holds no SQL and no HTTP; package store keeps the entries.
//
// The log never holds personal values: an entry names a person by a
// pseudonym, an object by an opaque id, and a change by the names of the
// fields it touched. Validate enforces this so a value cannot slip in.
package audit

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward"
)

// Hash is a SHA-256 digest: an entry's hash or the hash it links to.
type Hash [32]byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the all-zero hash that the first entry links to.
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash reads a hash written by String.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("audit: %q is not a 64-digit hex SHA-256", s)
	}
	copy(h[:], b)
	return h, nil
}

// Entry is one record of the audit log. The store sets Seq, PrevHash and
// Hash when it links the entry into the chain; the caller sets the rest.
type Entry struct {
	// Seq numbers the entries 1, 2, 3, ... without gaps.
	Seq uint64
	// Time comes from the injected clock; the log keeps milliseconds.
	Time time.Time
	// Actor is who did it: staff, a subject or a system job.
	Actor Actor
	// Action is what was done.
	Action Action
	// ObjectKind and ObjectID name what it was done to ("account", "a_123").
	ObjectKind string
	ObjectID   string
	// Subject is the person the entry is about, if any, by pseudonym.
	Subject Pseudonym
	// Fields are the names of the fields touched, never their values.
	Fields []string
	// PolicyVersion is the policy version in force.
	PolicyVersion string
	// RequestID correlates the entries of one web request or job run.
	RequestID string
	// Format is the version of the canonical encoding the hash covers.
	Format uint8
	// PrevHash is the previous entry's Hash (zero for the first entry).
	PrevHash Hash
	// Hash is SHA-256 over the canonical encoding of all of the above.
	Hash Hash
}

// Actor says who did something, as "staff:<id>", "subject:<pseudonym>" or
// "system:<job>" — never by name or e-mail address.
type Actor string

// Staff returns the actor for a staff member's account id.
func Staff(id string) Actor { return Actor("staff:" + id) }

// SubjectActor returns the actor for a data subject acting themselves.
func SubjectActor(p Pseudonym) Actor { return Actor("subject:" + string(p)) }

// System returns the actor for an automated job ("retention", "mailer").
func System(job string) Actor { return Actor("system:" + job) }

// Validate checks the actor's form; the id after the colon must be opaque.
func (a Actor) Validate() error {
	kind, id, ok := strings.Cut(string(a), ":")
	switch {
	case !ok:
		return steward.FieldError("actor", "error.must_be_an_actor")
	case kind == "subject":
		return Pseudonym(id).Validate()
	case kind == "staff":
		return opaque("actor", id)
	case kind == "system":
		if !fieldName.MatchString(id) {
			return steward.FieldError("actor", "error.system_job_must_match", "field_name", fieldName)
		}
		return nil
	default:
		return steward.FieldError("actor", "error.kind_is_not_staff", "kind", kind)
	}
}

// fieldName is what a field name, object kind or job name looks like,
// ^[a-z][a-z0-9_.]*$: a name, never a value (G2: the log holds no personal
// values). Hand-written rather than a regexp: it runs for every entry.
type namePattern struct{}

func (namePattern) MatchString(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (namePattern) String() string { return "^[a-z][a-z0-9_.]*$" }

var fieldName namePattern

// isOpaqueID tells whether s looks like an id: ASCII letters, digits and a
// few separators, starting with a letter or digit, so no e-mail address
// ('@'), name (spaces, accents) or free text can pass for one.
func isOpaqueID(s string) bool {
	if s == "" || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && !strings.ContainsRune("._:/+=-", rune(c)) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// maxLen bounds every text column of an entry.
const maxLen = 128

func opaque(field, s string) error {
	if len(s) > maxLen {
		return steward.FieldError(field, "error.longer_than_bytes", "max_len", maxLen)
	}
	if !isOpaqueID(s) {
		return steward.FieldError(field, "error.must_be_opaque_id")
	}
	return nil
}

// Normalize puts e in the form that is hashed and stored: time in UTC
// milliseconds, fields sorted without duplicates, the current format.
func (e *Entry) Normalize() {
	e.Time = time.UnixMilli(e.Time.UnixMilli()).UTC()
	if len(e.Fields) > 0 {
		f := slices.Clone(e.Fields)
		slices.Sort(f)
		e.Fields = slices.Compact(f)
	}
	if e.Format == 0 {
		e.Format = FormatV1
	}
}

// Validate checks that e can be appended: a known action and format, a
// well-formed actor, and only names and opaque ids in every text column,
// so that no personal value can enter the log (G2).
func (e *Entry) Validate() error {
	if e.Time.IsZero() {
		return steward.FieldError("time", "error.is_not_set")
	}
	if !e.Action.Valid() {
		return steward.FieldError("action", "error.is_not_audit_vocabulary", "action", e.Action)
	}
	if e.Format != FormatV1 {
		return steward.FieldError("format", "error.unknown_encoding_format", "format", e.Format)
	}
	if err := e.Actor.Validate(); err != nil {
		return err
	}
	if e.ObjectKind != "" || e.ObjectID != "" {
		if len(e.ObjectKind) > maxLen || !fieldName.MatchString(e.ObjectKind) {
			return steward.FieldError("object_kind", "error.must_match", "field_name", fieldName)
		}
		if err := opaque("object_id", e.ObjectID); err != nil {
			return err
		}
	}
	if e.Subject != "" {
		if err := e.Subject.Validate(); err != nil {
			return err
		}
	}
	for _, f := range e.Fields {
		if len(f) > maxLen || !fieldName.MatchString(f) {
			return steward.FieldError("fields", "error.field_names_must_match", "field_name", fieldName)
		}
	}
	if e.PolicyVersion != "" {
		if err := opaque("policy_version", e.PolicyVersion); err != nil {
			return err
		}
	}
	if e.RequestID != "" {
		if err := opaque("request_id", e.RequestID); err != nil {
			return err
		}
	}
	return nil
}
