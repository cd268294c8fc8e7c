// Package apikey is the keys a client system authenticates with on
// Steward's machine API (issue 16 item 4, R8: "learning results and
// vouchers flow between site and LMS through an authenticated API"). A
// key belongs to one of the policy's processors (the recipient, e.g.
// IVM's avetica) and carries one scope; its secret is shown once and
// only its SHA-256 is kept, so a copy of the database lets nobody in. A
// key can be rotated (a new secret, the same id), can expire, and can be
// revoked. The package is pure: apikey/service stores and checks keys.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"slices"
	"time"

	"steward"
	"steward/policy"
)

// Scope is what a key may do.
type Scope string

// ScopeXAPI lets a key post xAPI statements (POST/PUT /xapi/statements).
const ScopeXAPI Scope = "xapi"

// Scopes are the scopes a key can have.
var Scopes = []Scope{ScopeXAPI}

// Key is a stored key: never its secret.
type Key struct {
	ID string
	// Processor is the id of the policy's processors entry the key
	// belongs to; everything it sends is that processor's.
	Processor string
	Scope     Scope
	// SecretHash is the hex SHA-256 of the secret.
	SecretHash string
	CreatedAt  time.Time
	RotatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time
}

// State says whether a key works at a time.
func (k *Key) State(now time.Time) string {
	switch {
	case !k.RevokedAt.IsZero():
		return "revoked"
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return "expired"
	default:
		return "active"
	}
}

// Usable reports whether the key authenticates at now.
func (k *Key) Usable(now time.Time) bool { return k.State(now) == "active" }

// Matches compares secret with the stored hash in constant time.
func (k *Key) Matches(secret string) bool {
	h := Hash(secret)
	return subtle.ConstantTimeCompare([]byte(h), []byte(k.SecretHash)) == 1
}

// StillValid reports whether stored — this key's row as read in the
// transaction that uses the key — still lets the key in at now: the same
// secret (not rotated since), not revoked, not expired. A key recognised
// from memory (apikey/service's Recognise) is confirmed so, so that a
// rotation or revocation by any process stops it at once.
func (k *Key) StillValid(stored *Key, now time.Time) bool {
	return stored != nil && stored.ID == k.ID &&
		subtle.ConstantTimeCompare([]byte(stored.SecretHash), []byte(k.SecretHash)) == 1 && stored.Usable(now)
}

var idRE = regexp.MustCompile(`^ak_[0-9a-f]{16}$`)

// ValidID reports whether id has the form of a key id (ak_ and 16 hex
// digits); anything else is refused before the database is asked.
func ValidID(id string) bool { return idRE.MatchString(id) }

// NewID returns a new key id.
func NewID() string {
	var b [8]byte
	rand.Read(b[:])
	return "ak_" + hex.EncodeToString(b[:])
}

// NewSecret returns a new secret: 256 random bits, URL-safe base64. With
// that much entropy a plain SHA-256 is enough to keep it (no password
// hash: nothing to guess), and a check costs microseconds.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Hash is the hex SHA-256 of a secret, as stored.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CheckNew refuses a key for a recipient the policy does not declare as
// a processor, or a scope that does not exist, or a scope the processor's
// declared records do not allow: an xapi key sends learning results, so
// its processor must be declared for the learning_result records.
func CheckNew(p *policy.Policy, processor string, scope Scope) error {
	var proc *policy.Processor
	for i := range p.Processors {
		if p.Processors[i].ID == processor {
			proc = &p.Processors[i]
		}
	}
	if proc == nil {
		return steward.FieldError("recipient", "error.api_key_recipient", "recipient", processor)
	}
	if !slices.Contains(Scopes, scope) {
		return steward.FieldError("scope", "error.api_key_scope", "scope", string(scope))
	}
	if scope == ScopeXAPI && !slices.Contains(proc.Records, "learning_result") {
		return steward.FieldError("scope", "error.api_key_scope_records", "recipient", processor, "kind", "learning_result")
	}
	return nil
}
