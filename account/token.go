package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// TokenKind says what a single-use token is for.
type TokenKind string

// Token kinds, each with its own lifetime.
const (
	TokenVerify      TokenKind = "verify"       // e-mail verification
	TokenReset       TokenKind = "reset"        // password reset
	TokenSetPassword TokenKind = "set_password" // a new staff member's first password
)

// TokenLifetime is how long a token of each kind can be used.
func TokenLifetime(k TokenKind) time.Duration {
	switch k {
	case TokenVerify:
		return 48 * time.Hour
	case TokenSetPassword:
		return 72 * time.Hour
	default:
		return time.Hour
	}
}

// EmailChangeLifetime is how long the link that confirms a new login
// address works.
const EmailChangeLifetime = 24 * time.Hour

// NewSecret returns a random secret for a session cookie, bearer token or
// e-mailed link, and its hash: only the hash is stored, so a copy of the
// database does not let anyone log in or use a link.
func NewSecret() (secret, hash string) {
	var b [32]byte
	rand.Read(b[:])
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret)
}

// HashSecret returns the stored form of a secret: SHA-256 in hex. The
// secrets have 256 bits of entropy, so a fast hash is enough.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Session timeouts (R12). A session ends after IdleTimeout without a
// request or AbsoluteTimeout after login, whichever comes first.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	// ReauthWindow is how recent a login must be for privileged staff
	// actions.
	ReauthWindow = 15 * time.Minute
)

// Session is a server-side login session. Its ID is the hash of the secret
// in the cookie.
type Session struct {
	ID        string
	AccountID string
	CreatedAt time.Time
	LastSeen  time.Time
	// AuthAt is the last time the person entered their password in this
	// session (login or re-authentication).
	AuthAt time.Time
	// CSRF is the per-session token forms carry, in addition to the
	// origin check.
	CSRF string
	// API marks a bearer-token session for the JSON API.
	API bool
	// SecondFactor says the session was opened with a second factor (or
	// proved one at enrolment); staff pages need it (ASVS 4.3.1).
	SecondFactor bool
}

// Expired reports whether the session has timed out at now.
func (s *Session) Expired(now time.Time) bool {
	return now.Sub(s.LastSeen) >= IdleTimeout || now.Sub(s.CreatedAt) >= AbsoluteTimeout
}

// RecentlyAuthenticated reports whether the password was entered within
// ReauthWindow of now.
func (s *Session) RecentlyAuthenticated(now time.Time) bool {
	return now.Sub(s.AuthAt) < ReauthWindow
}
