// Package oidc holds the rules of Steward as an OpenID Connect provider
// for the learning environment (issue 16 item 3, R3, R8, R10): registered
// clients and their secrets, the redirect URIs they may use, which claims
// a client receives (only those the policy declares for its recipient),
// the signing keys' lifetimes, and the lifetimes of codes and tokens. It
// does no I/O and speaks no HTTP: oidc/provider applies these rules to the
// store and hands the protocol to github.com/zitadel/oidc.
package oidc

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"steward"
	"steward/policy"
)

// Lifetimes of what the provider hands out. A code is exchanged by the
// client's server within seconds (RFC 6749 §4.1.2 recommends at most ten
// minutes); an authorisation request waits for a login with a second
// factor; tokens live an hour, after which the learning environment's own
// session carries on.
const (
	CodeLifetime    = time.Minute
	RequestLifetime = 30 * time.Minute
	TokenLifetime   = time.Hour
	// GrantKept is how long a grant is kept after it was made: longer than
	// its tokens live, so a replayed code is recognised while they could
	// still be used; then it is pruned.
	GrantKept = 24 * time.Hour
	// KeyKept is how long a retired signing key stays in the JWKS: longer
	// than any ID token or access token it signed lives.
	KeyKept = 2 * TokenLifetime
)

// Client is a registered relying party, bound to one recipient of the
// policy (a processors entry) that decides which claims it may receive.
type Client struct {
	// ID is the client_id: random and opaque ("cl_…").
	ID string
	// Name is the operator's label ("lms"), unique.
	Name string
	// Recipient is the id of the policy's processors entry.
	Recipient string
	// SecretHash is the SHA-256 of the secret, shown once; empty for a
	// public client, which must use PKCE with S256.
	SecretHash   string
	RedirectURIs []string
	CreatedAt    time.Time
	// SecretAt is when the current secret was made.
	SecretAt  time.Time
	RevokedAt time.Time
}

// Public reports whether the client has no secret (a native or browser
// application): it must prove its code with PKCE S256 (RFC 7636).
func (c *Client) Public() bool { return c.SecretHash == "" }

// Revoked reports whether the client may no longer sign anyone in.
func (c *Client) Revoked() bool { return !c.RevokedAt.IsZero() }

// Registered reports whether uri is one of the client's redirect URIs,
// compared exactly (OpenID Connect Core §3.1.2.1; RFC 9700 §4.1.1).
func (c *Client) Registered(uri string) bool { return slices.Contains(c.RedirectURIs, uri) }

// CheckName validates a client's label: like an id, lower-case letters,
// digits, '-' and '_', at most 64.
func CheckName(name string) error {
	if name == "" || len(name) > 64 {
		return steward.FieldError("name", "error.oidc_client_name")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return steward.FieldError("name", "error.oidc_client_name")
		}
	}
	return nil
}

// CheckRedirectURI validates a redirect URI at registration: absolute,
// https (or http on a loopback host, for development: RFC 8252 §7.3), no
// fragment (RFC 6749 §3.1.2), no user info.
func CheckRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || u.User != nil || raw != strings.TrimSpace(raw) {
		return steward.FieldError("redirect_uri", "error.oidc_redirect_uri", "uri", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if Loopback(u.Hostname()) {
			return nil
		}
	}
	return steward.FieldError("redirect_uri", "error.oidc_redirect_uri", "uri", raw)
}

// Loopback reports whether host is the local machine.
func Loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// Recipient returns the policy's processors entry a client may be bound
// to: one that declares claims (policy check has validated them).
func Recipient(p *policy.Policy, id string) (*policy.Processor, error) {
	for i := range p.Processors {
		if pr := &p.Processors[i]; pr.ID == id {
			if len(pr.Claims) == 0 {
				return nil, steward.FieldError("recipient", "error.oidc_recipient_no_claims", "recipient", id)
			}
			return pr, nil
		}
	}
	return nil, steward.FieldError("recipient", "error.oidc_recipient_unknown", "recipient", id)
}

// Scope claims are the standard claims a scope asks for (OpenID Connect
// Core §5.4). A declared claim with a standard name is released only when
// its scope was granted; the site's own claims (register_number) come
// with "openid" alone, since no standard scope asks for them.
var scopeClaims = map[string]string{
	"name": "profile", "family_name": "profile", "given_name": "profile", "middle_name": "profile",
	"nickname": "profile", "preferred_username": "profile", "profile": "profile", "picture": "profile",
	"website": "profile", "gender": "profile", "birthdate": "profile", "zoneinfo": "profile", "locale": "profile",
	"email":        "email",
	"address":      "address",
	"phone_number": "phone",
}

// Scopes are the scopes the provider supports.
var Scopes = []string{"openid", "profile", "email"}

// Release is what a client receives at one sign-in: the claims and the
// declared fields they come from.
type Release struct {
	Claims []policy.Claim
}

// Releasable returns the claims of recipient pr that scopes allow, in the
// policy's order (issue 16: a client receives only the claims the policy
// declares for its recipient, and of those only what it asked for).
func Releasable(pr *policy.Processor, scopes []string) Release {
	var out Release
	if !slices.Contains(scopes, "openid") {
		return out
	}
	for _, c := range pr.Claims {
		if s, std := scopeClaims[c.Name]; std && !slices.Contains(scopes, s) {
			continue
		}
		out.Claims = append(out.Claims, c)
	}
	return out
}

// Fields lists the "record.field" names the release carries, for the
// audit entry (names only, never values).
func (r Release) Fields() []string {
	var out []string
	for _, c := range r.Claims {
		out = append(out, c.Field)
	}
	return out
}

// Sensitive returns the released fields the policy declares sensitive:
// their values are opened only for this release, and the release is
// recorded as a disclosure to the recipient (R3, R7).
func (r Release) Sensitive(p *policy.Policy) []policy.Claim {
	var out []policy.Claim
	for _, c := range r.Claims {
		rec, field, _ := strings.Cut(c.Field, ".")
		if r := p.Record(rec); r != nil {
			if f := r.Field(field); f != nil && f.Sensitive {
				out = append(out, c)
			}
		}
	}
	return out
}

// Records lists the record kinds the release carries.
func (r Release) Records() []string {
	var out []string
	for _, c := range r.Claims {
		rec, _, _ := strings.Cut(c.Field, ".")
		if !slices.Contains(out, rec) {
			out = append(out, rec)
		}
	}
	return out
}

// LegalBasis is the legal basis a release of the sensitive claims rests
// on, for its disclosure record: that of the first purpose the field
// serves (the policy's reason to hold it).
func LegalBasis(p *policy.Policy, field string) policy.LegalBasis {
	rec, fid, _ := strings.Cut(field, ".")
	if r := p.Record(rec); r != nil {
		if f := r.Field(fid); f != nil {
			for _, id := range f.Purposes {
				if pu := p.Purpose(id); pu != nil {
					return pu.LegalBasis
				}
			}
		}
	}
	return policy.Contract
}

// Key is a signing key for ID tokens: RS256, its private half sealed at
// rest.
type Key struct {
	ID        string
	Algorithm string
	// Public is the PKIX DER of the public key, base64.
	Public string
	// Private is the PKCS #8 DER of the private key sealed with the data
	// key (account.Sealer, bound to "oidc_key/<id>").
	Private   string
	CreatedAt time.Time
	RetiredAt time.Time
}

// Published reports whether the key belongs in the JWKS at now: the
// signing key, and a retired one until whatever it signed has expired.
func (k *Key) Published(now time.Time) bool {
	return k.RetiredAt.IsZero() || now.Before(k.RetiredAt.Add(KeyKept))
}

// Grant is one authorisation request, from the redirect to the exchange
// of its code.
type Grant struct {
	ID            string
	ClientID      string
	RedirectURI   string
	Scopes        []string
	State         string
	Nonce         string
	ResponseType  string
	ResponseMode  string
	CodeChallenge string
	CodeMethod    string
	// Silent is prompt=none: no page may be shown; a request the session
	// cannot satisfy fails with login_required.
	Silent bool
	// AuthAfter is the earliest password entry that satisfies the request
	// (Prompt); zero for any.
	AuthAfter time.Time
	// AccountID and Subject are set once the person has logged in:
	// Subject is the id of their learning-environment account record, the
	// only identifier the client sees. AuthAt is when they last entered
	// their password (the ID token's auth_time).
	AccountID   string
	Subject     string
	AuthAt      time.Time
	CodeHash    string
	CodeAt      time.Time
	ExchangedAt time.Time
	CreatedAt   time.Time
}

// Prompt values (OpenID Connect Core §3.1.2.1).
const (
	PromptNone          = "none"
	PromptLogin         = "login"
	PromptConsent       = "consent"
	PromptSelectAccount = "select_account"
)

// Prompt reads a request's prompt and max_age (seconds; nil when not
// sent) made at now: whether it is silent (prompt=none), and the earliest
// password entry that satisfies it, zero for any. prompt=login asks for
// the password again, whatever the session; so does select_account, since
// a session holds one account and choosing another is logging in as it.
// consent asks nothing more: the learning environment is the site's
// processor, and what it receives is what the policy declares, not what
// the person agrees to on a screen. max_age=N asks for a password entered
// at most N seconds before the request (0: after it). "none" with another
// value, or a value the specification does not define, is invalid (ok
// false: the client is answered invalid_request).
func Prompt(prompt []string, maxAge *uint, now time.Time) (silent bool, authAfter time.Time, ok bool) {
	for _, p := range prompt {
		switch p {
		case PromptNone:
			if len(prompt) > 1 {
				return false, time.Time{}, false
			}
			silent = true
		case PromptLogin, PromptSelectAccount:
			authAfter = now
		case PromptConsent:
		default:
			return false, time.Time{}, false
		}
	}
	if maxAge != nil {
		if after := now.Add(-time.Duration(min(*maxAge, uint(1<<31))) * time.Second); after.After(authAfter) {
			authAfter = after
		}
	}
	return silent, authAfter, true
}

// Satisfied reports whether a session whose password was last entered at
// authAt may sign in for the request without asking for it again.
func (g *Grant) Satisfied(authAt time.Time) bool {
	return g.AuthAfter.IsZero() || !authAt.Before(g.AuthAfter)
}

// Done reports whether the person has logged in for this request.
func (g *Grant) Done() bool { return g.Subject != "" }

// Token is an access token's record: only the SHA-256 of the token.
type Token struct {
	ID        string
	GrantID   string
	ClientID  string
	AccountID string
	Subject   string
	Scopes    []string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// Valid reports whether the token may still be used at now.
func (t *Token) Valid(now time.Time) bool { return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt) }
