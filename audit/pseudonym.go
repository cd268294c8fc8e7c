package audit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"steward"
)

// Pseudonym names a data subject in the log (G2, Z9): stable for one
// person, meaningless without the site's secret. Erasing or anonymising the
// person removes what links the pseudonym to them, and the log — which
// holds only the pseudonym — stays intact and verifiable, so it never needs
// erasing itself.
type Pseudonym string

// Validate checks that p has the form every pseudonym has ("ps_" and 32 hex
// digits), so that no e-mail address or name can pass for one.
func (p Pseudonym) Validate() error {
	if len(p) != 35 || p[:3] != "ps_" || !isLowerHex(string(p[3:])) {
		return steward.FieldError("subject", "error.is_not_pseudonym_ps")
	}
	return nil
}

// Pseudonymizer derives a subject's pseudonym as HMAC-SHA256 of the
// subject's account id under a site secret. The secret stays outside the
// database: whoever reads the log, or a copy of the database, cannot tell
// which pseudonym is whose.
type Pseudonymizer struct {
	secret []byte
}

// NewPseudonymizer returns a Pseudonymizer with the given secret, which
// must be at least 32 random bytes.
func NewPseudonymizer(secret []byte) (*Pseudonymizer, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("audit: pseudonym secret has %d bytes, want at least 32", len(secret))
	}
	return &Pseudonymizer{secret: append([]byte(nil), secret...)}, nil
}

// Of returns the pseudonym of the subject with the given account id.
func (p *Pseudonymizer) Of(subjectID string) Pseudonym {
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte(subjectID))
	return Pseudonym("ps_" + hex.EncodeToString(m.Sum(nil)[:16]))
}

// NewPseudonym returns a random pseudonym, for a site that stores each
// account's pseudonym with the account instead of deriving it.
func NewPseudonym() Pseudonym {
	var b [16]byte
	rand.Read(b[:])
	return Pseudonym("ps_" + hex.EncodeToString(b[:]))
}

func isLowerHex(s string) bool {
	for i := range len(s) {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
