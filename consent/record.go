// Package consent keeps what people agreed to and enforces it (issue 6:
// R2, R11, Z3, Z4, Z5, Z8; Art. 7 GDPR): an append-only history of consent
// records with the exact wording each one was given to, the current state
// derived from that history, the purpose gate every processing for a
// purpose asks first, and signed consent receipts.
//
// Logs and audit entries name subjects by id or pseudonym and purposes by
// id; never an address, a name or the text of a choice.
package consent

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"steward/policy"
)

// Record is one entry of a person's consent history: for which purpose
// consent was given or withdrawn, when, where, and the hash of the exact
// notice text they saw (Art. 7(1): the controller must be able to
// demonstrate that the person consented, and to what).
type Record struct {
	ID            int64
	Subject       string
	Purpose       string
	Given         bool
	Channel       policy.Channel
	NoticeHash    string
	At            time.Time
	PolicyVersion string
}

// Change is a choice to record: subject gives (Given) or withdraws consent
// for Purpose through Channel, having read the notice in Lang.
type Change struct {
	// Subject is an opaque id: an account id, a visitor id or a newsletter
	// sign-up id. Never an e-mail address.
	Subject string
	Purpose string
	Given   bool
	Channel policy.Channel
	// Lang is the language the notice was shown in ("nl" or "en").
	Lang string
	// NoticeHash, when set, is the hash of the wording the person was
	// shown before this moment and that is already kept in
	// consent_notices: a double opt-in records consent at confirmation
	// with the words agreed to at submission, even if the policy's notice
	// changed in between (Art. 7(1)). Empty means the policy's current
	// notice in Lang, shown now.
	NoticeHash string
}

// NoticeHash returns the SHA-256 of a notice's exact text in hex: the
// fingerprint a record keeps of the words agreed to.
func NoticeHash(text string) string {
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:])
}

// Notice returns the exact wording consent for p is asked with in lang.
func Notice(p *policy.Purpose, lang string) string {
	if p.Consent == nil {
		return ""
	}
	return p.Consent.Notice.In(lang)
}

// Status is the current state of one subject's consent for one purpose.
type Status struct {
	Purpose string
	// Given is true while consent stands.
	Given bool
	// Since is when the newest record was made; zero when there is none.
	Since time.Time
	// Record is the newest record; nil when the person was never asked.
	Record *Record
}

// State is a subject's current consent, derived from their history.
type State map[string]Status

// Derive computes the current state from a history in any order: per
// purpose the newest record wins (the highest id; ids grow with time).
// The history itself is never rewritten.
func Derive(history []Record) State {
	s := State{}
	for i := range history {
		r := &history[i]
		cur, ok := s[r.Purpose]
		if ok && cur.Record.ID > r.ID {
			continue
		}
		s[r.Purpose] = Status{Purpose: r.Purpose, Given: r.Given, Since: r.At, Record: r}
	}
	return s
}

// Given reports whether consent for purpose stands in s.
func (s State) Given(purpose string) bool { return s[purpose].Given }
