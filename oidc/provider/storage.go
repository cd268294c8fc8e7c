package provider

import (
	"context"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"slices"
	"strconv"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"steward/account"
	"steward/audit"
	"steward/oidc"
	"steward/store"
)

// storage is the op.Storage the library's provider calls: every method
// reads or changes the store through the one store style, in a
// transaction with its audit entry where it changes something.
type storage struct {
	s *Service
}

var _ op.Storage = (*storage)(nil)

// errUnsupported answers what Steward does not offer (refresh tokens,
// introspection, JWT profile grants).
var errUnsupported = zoidc.ErrUnsupportedGrantType()

// grant adapts an oidc.Grant to op.AuthRequest.
type grant struct{ *oidc.Grant }

func (g grant) GetID() string          { return g.ID }
func (g grant) GetACR() string         { return "" }
func (g grant) GetAMR() []string       { return nil }
func (g grant) GetAudience() []string  { return []string{g.ClientID} }
func (g grant) GetAuthTime() time.Time { return g.AuthAt }
func (g grant) GetClientID() string    { return g.ClientID }
func (g grant) GetCodeChallenge() *zoidc.CodeChallenge {
	if g.CodeChallenge == "" {
		return nil
	}
	return &zoidc.CodeChallenge{Challenge: g.CodeChallenge, Method: zoidc.CodeChallengeMethod(g.CodeMethod)}
}
func (g grant) GetNonce() string                    { return g.Nonce }
func (g grant) GetRedirectURI() string              { return g.RedirectURI }
func (g grant) GetResponseType() zoidc.ResponseType { return zoidc.ResponseType(g.ResponseType) }
func (g grant) GetResponseMode() zoidc.ResponseMode { return zoidc.ResponseMode(g.ResponseMode) }
func (g grant) GetScopes() []string                 { return g.Scopes }
func (g grant) GetState() string                    { return g.State }
func (g grant) GetSubject() string                  { return g.Subject }
func (g grant) Done() bool                          { return g.Grant.Done() }

// CreateAuthRequest stores a new authorisation request. A public client
// must send a PKCE challenge; every client that sends one must use S256
// (RFC 7636 §4.4.1, RFC 9700 §2.1.1): "plain" protects nothing the
// redirect does not already expose.
func (st *storage) CreateAuthRequest(ctx context.Context, req *zoidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s := st.s
	c, err := s.Store.OIDCClient(ctx, req.ClientID)
	if err != nil || c.Revoked() {
		return nil, zoidc.ErrInvalidClient()
	}
	switch {
	case req.CodeChallenge == "" && c.Public():
		return nil, zoidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method S256 is required")
	case req.CodeChallenge != "" && req.CodeChallengeMethod != zoidc.CodeChallengeMethodS256:
		return nil, zoidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	now := s.now()
	silent, authAfter, ok := oidc.Prompt(req.Prompt, req.MaxAge, now)
	if !ok {
		return nil, zoidc.ErrInvalidRequest().WithDescription("prompt must be none alone, or login, consent or select_account")
	}
	g := &oidc.Grant{ID: account.NewID("gr_"), ClientID: c.ID, RedirectURI: req.RedirectURI, Scopes: req.Scopes, State: req.State,
		Nonce: req.Nonce, ResponseType: string(req.ResponseType), ResponseMode: string(req.ResponseMode),
		CodeChallenge: req.CodeChallenge, CodeMethod: string(req.CodeChallengeMethod), Silent: silent, AuthAfter: authAfter, CreatedAt: now}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		// Grants older than their tokens go, with whom they name.
		if err := tx.PruneOIDC(ctx, now.Add(-oidc.GrantKept)); err != nil {
			return err
		}
		return tx.InsertOIDCGrant(ctx, g)
	})
	if err != nil {
		return nil, err
	}
	return grant{g}, nil
}

// AuthRequestByID returns a request still waiting for its login or code.
func (st *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	g, err := st.s.Store.OIDCGrant(ctx, id)
	if err != nil {
		return nil, err
	}
	if g.CodeHash != "" || st.s.now().After(g.CreatedAt.Add(oidc.RequestLifetime)) {
		return nil, store.ErrNoOIDCGrant
	}
	return grant{g}, nil
}

// AuthRequestByCode returns the request a code was issued for. A code
// used before is refused, and the tokens issued from it are revoked (RFC
// 6749 §4.1.2): someone else holds it. An expired code is refused.
func (st *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s := st.s
	g, err := s.Store.OIDCGrantByCode(ctx, account.HashSecret(code))
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !g.ExchangedAt.IsZero() {
		err := s.Store.InTx(ctx, func(tx *store.Tx) error {
			n, err := tx.RevokeOIDCTokens(ctx, g.ID, now)
			if err != nil {
				return err
			}
			return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.System("oidc"), Action: audit.OIDCCodeReplay, ObjectKind: "oidc_grant", ObjectID: g.ID,
				Fields: []string{"client." + g.ClientID, "revoked." + strconv.FormatInt(n, 10)}})
		})
		if err != nil {
			return nil, err
		}
		s.log().Warn("oidc: authorisation code replayed; its tokens revoked", "grant", g.ID, "client", g.ClientID)
		return nil, store.ErrNoOIDCGrant
	}
	if now.After(g.CodeAt.Add(oidc.CodeLifetime)) {
		return nil, store.ErrNoOIDCGrant
	}
	return grant{g}, nil
}

// SaveAuthCode keeps the hash of the code issued for a signed-in request.
func (st *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return st.s.Store.InTx(ctx, func(tx *store.Tx) error {
		return tx.SetOIDCCode(ctx, id, account.HashSecret(code), st.s.now())
	})
}

// DeleteAuthRequest removes a request never exchanged; an exchanged one
// stays until pruned, so its code is recognised if replayed.
func (st *storage) DeleteAuthRequest(ctx context.Context, id string) error {
	return st.s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteOIDCGrant(ctx, id) })
}

// CreateAccessToken exchanges a code: in one transaction the grant is
// marked exchanged (a second exchange racing this one loses), the token's
// hash stored, the sign-in recorded on the learning-environment account
// record (its last_login, the anchor of the R10 rule
// lms_account_inactive) and audited. The token handed out is a random
// secret; only its hash is kept.
func (st *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	s := st.s
	g, ok := req.(grant)
	if !ok {
		return "", time.Time{}, errUnsupported
	}
	subject, err := strconv.ParseInt(g.Subject, 10, 64)
	if err != nil {
		return "", time.Time{}, zoidc.ErrInvalidGrant()
	}
	now := s.now()
	secret, hash := account.NewSecret()
	t := &oidc.Token{ID: hash, GrantID: g.ID, ClientID: g.ClientID, AccountID: g.AccountID, Subject: g.Subject, Scopes: g.Scopes,
		CreatedAt: now, ExpiresAt: now.Add(oidc.TokenLifetime)}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		won, err := tx.ExchangeOIDCGrant(ctx, g.ID, now)
		if err != nil {
			return err
		}
		if !won {
			return zoidc.ErrInvalidGrant()
		}
		if err := tx.InsertOIDCToken(ctx, t); err != nil {
			return err
		}
		if err := tx.RecordRecordLogin(ctx, subject, now); err != nil {
			return err
		}
		a, err := tx.AccountByID(ctx, g.AccountID)
		if err != nil {
			return err
		}
		kind := s.lmsKind()
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), Action: audit.OIDCSignIn,
			ObjectKind: kind, ObjectID: g.Subject, Subject: audit.Pseudonym(a.Pseudonym), Fields: []string{kind + ".last_login", "client." + g.ClientID}})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	// The library turns the expiry into expires_in against the wall clock
	// (as it dates the ID token); the store keeps the site clock's.
	return secret, time.Now().Add(t.ExpiresAt.Sub(now)), nil
}

// CreateAccessAndRefreshTokens is not offered: no client gets the
// refresh_token grant (the learning environment keeps its own session).
func (st *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errUnsupported
}

// TokenRequestByRefreshToken: no refresh tokens.
func (st *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

// TerminateSession: Steward offers no end_session endpoint.
func (st *storage) TerminateSession(context.Context, string, string) error { return errUnsupported }

// RevokeToken revokes one of the client's access tokens (RFC 7009).
func (st *storage) RevokeToken(ctx context.Context, tokenID, _, clientID string) *zoidc.Error {
	err := st.s.Store.InTx(ctx, func(tx *store.Tx) error {
		return tx.RevokeOIDCToken(ctx, account.HashSecret(tokenID), clientID, st.s.now())
	})
	if err != nil {
		return zoidc.ErrServerError()
	}
	return nil
}

// GetRefreshTokenInfo: no refresh tokens.
func (st *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// rsaKey adapts a signing key to op.SigningKey and op.Key.
type rsaKey struct {
	id   string
	priv *rsa.PrivateKey
	pub  *rsa.PublicKey
}

func (k rsaKey) ID() string                                  { return k.id }
func (k rsaKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k rsaKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k rsaKey) Use() string                                 { return "sig" }
func (k rsaKey) Key() any {
	if k.priv != nil {
		return k.priv
	}
	return k.pub
}

// SigningKey is the newest key not retired.
func (st *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	k, priv, err := st.s.signingKey(ctx)
	if err != nil {
		return nil, err
	}
	return rsaKey{id: k.ID, priv: priv}, nil
}

// SignatureAlgorithms: RS256 only.
func (st *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet is the JWKS: the signing key and the retired ones whose tokens
// may not have expired yet.
func (st *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, pubs, err := st.s.publicKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, len(keys))
	for i, k := range keys {
		out[i] = rsaKey{id: k.ID, pub: pubs[i]}
	}
	return out, nil
}

// GetClientByClientID returns a live client; a revoked one is not found,
// so every endpoint answers it invalid_client.
func (st *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := st.s.Store.OIDCClient(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Revoked() {
		return nil, store.ErrNoOIDCClient
	}
	return client{c}, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret against
// its hash (constant time).
func (st *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := st.s.Store.OIDCClient(ctx, id)
	if err != nil {
		return err
	}
	if c.Revoked() || c.Public() || subtle.ConstantTimeCompare([]byte(account.HashSecret(secret)), []byte(c.SecretHash)) != 1 {
		return errors.New("oidc: client secret does not match")
	}
	return nil
}

// SetUserinfoFromScopes sets the subject only: the ID token carries no
// claims about the person beyond it; the client reads them from the
// userinfo endpoint, where each release is recorded.
func (st *storage) SetUserinfoFromScopes(_ context.Context, info *zoidc.UserInfo, subject, _ string, _ []string) error {
	info.Subject = subject
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint for a live token:
// the claims the policy declares for the client's recipient (release.go).
func (st *storage) SetUserinfoFromToken(ctx context.Context, info *zoidc.UserInfo, tokenID, subject, _ string) error {
	return st.s.release(ctx, info, account.HashSecret(tokenID), subject)
}

// SetIntrospectionFromToken: no introspection endpoint.
func (st *storage) SetIntrospectionFromToken(context.Context, *zoidc.IntrospectionResponse, string, string, string) error {
	return errUnsupported
}

// GetPrivateClaimsFromScopes adds nothing to the tokens.
func (st *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID: no JWT client authentication.
func (st *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnsupported
}

// ValidateJWTProfileScopes: no JWT profile grant.
func (st *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnsupported
}

// Health checks the database.
func (st *storage) Health(ctx context.Context) error { return st.s.Store.Ping(ctx) }

// client adapts an oidc.Client to op.Client.
type client struct{ *oidc.Client }

func (c client) GetID() string                    { return c.ID }
func (c client) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string { return nil }
func (c client) ApplicationType() op.ApplicationType {
	if c.Public() {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}
func (c client) AuthMethod() zoidc.AuthMethod {
	if c.Public() {
		return zoidc.AuthMethodNone
	}
	return zoidc.AuthMethodBasic
}
func (c client) ResponseTypes() []zoidc.ResponseType {
	return []zoidc.ResponseType{zoidc.ResponseTypeCode}
}
func (c client) GrantTypes() []zoidc.GrantType       { return []zoidc.GrantType{zoidc.GrantTypeCode} }
func (c client) LoginURL(id string) string           { return LoginPath + "?id=" + id }
func (c client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c client) IDTokenLifetime() time.Duration      { return oidc.TokenLifetime }
func (c client) DevMode() bool                       { return false }
func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) IsScopeAllowed(scope string) bool     { return slices.Contains(oidc.Scopes, scope) }
func (c client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c client) ClockSkew() time.Duration             { return 0 }
