package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"steward/oidc"
)

// The paths Steward serves the protocol on, under the issuer (the site's
// address): discovery at /.well-known/openid-configuration
// (OpenID Connect Discovery 1.0 §4), the rest under /oidc/.
const (
	AuthorizePath = "/oidc/authorize"
	CallbackPath  = AuthorizePath + "/callback"
	TokenPath     = "/oidc/token"
	UserinfoPath  = "/oidc/userinfo"
	KeysPath      = "/oidc/keys"
	RevokePath    = "/oidc/revoke"
	// LoginPath is Steward's own page of the authorisation endpoint: the
	// logged-in person is bound to the request there (web/oidc.go).
	LoginPath = "/oidc/login"
)

// handler is the library's protocol handler and the provider it wraps.
type handler struct {
	http.Handler
	provider op.OpenIDProvider
}

// Handler serves the protocol endpoints: discovery, authorisation (until
// the login), its callback, token, userinfo, JWKS and revocation. It is
// built once; it fails without a data key (the signing keys are sealed
// with it) or with an issuer that is not https (http only on a loopback
// host, for development and tests).
func (s *Service) Handler() (http.Handler, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handler != nil {
		return s.handler, nil
	}
	if s.Sealer == nil {
		return nil, ErrUnavailable
	}
	u, err := url.Parse(s.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && oidc.Loopback(u.Hostname()))) {
		return nil, fmt.Errorf("oidc: the issuer %q must be an https address (http only on localhost)", s.Issuer)
	}
	cfg := &op.Config{
		// Access tokens are opaque: the token's id, encrypted under a key
		// every process of the site derives from the data key.
		CryptoKey:               s.Sealer.Derive("oidc-access-token"),
		CodeMethodS256:          true,
		AuthMethodPost:          true,
		AuthMethodPrivateKeyJWT: false,
		GrantTypeRefreshToken:   false,
		RequestObjectSupported:  false,
		SupportedScopes:         oidc.Scopes,
		SupportedClaims:         s.supportedClaims(),
	}
	opts := []op.Option{}
	if u.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure())
	}
	p, err := op.NewProvider(cfg, &storage{s: s}, op.StaticIssuer(s.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: provider: %w", err)
	}
	endpoints := op.Endpoints{
		Authorization: op.NewEndpoint(AuthorizePath),
		Token:         op.NewEndpoint(TokenPath),
		Userinfo:      op.NewEndpoint(UserinfoPath),
		JwksURI:       op.NewEndpoint(KeysPath),
		Revocation:    op.NewEndpoint(RevokePath),
	}
	srv := &server{LegacyServer: op.NewLegacyServer(p, endpoints)}
	s.handler = &handler{Handler: op.RegisterLegacyServer(srv, op.AuthorizeCallbackHandler(p)), provider: p}
	return s.handler, nil
}

// supportedClaims are the claims discovery lists: the protocol's and
// those the policy declares for any recipient.
func (s *Service) supportedClaims() []string {
	out := []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash", "azp"}
	for _, pr := range s.Policy.Processors {
		for _, c := range pr.Claims {
			out = append(out, c.Name)
		}
	}
	return out
}

// callbackURL is where SignIn sends the browser: the library's callback,
// which issues the code and redirects to the client.
func (s *Service) callbackURL(_ context.Context, grantID string) string {
	return CallbackPath + "?id=" + url.QueryEscape(grantID)
}

// server is the library's LegacyServer with a stricter code exchange.
type server struct {
	*op.LegacyServer
}

// CodeExchange is the library's, with PKCE checked for every client that
// sent a challenge (RFC 9700 §2.1.1, §4.8.2: a confidential client that
// sent a code_challenge must send its code_verifier, or a code stolen
// with its challenge would be exchangeable without it) and every PKCE
// failure answered invalid_grant (RFC 7636 §4.6).
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[zoidc.AccessTokenRequest]) (*op.Response, error) {
	p := s.Provider()
	authReq, err := op.AuthRequestByCode(ctx, p.Storage(), r.Data.Code)
	if err != nil {
		return nil, err
	}
	if err := checkPKCE(authReq.GetCodeChallenge(), r.Data.CodeVerifier, r.Client.AuthMethod() == zoidc.AuthMethodNone); err != nil {
		return nil, err
	}
	if r.Client.GetID() != authReq.GetClientID() {
		return nil, zoidc.ErrInvalidGrant()
	}
	if r.Data.RedirectURI != authReq.GetRedirectURI() {
		return nil, zoidc.ErrInvalidGrant().WithDescription("redirect_uri does not correspond")
	}
	resp, err := op.CreateTokenResponse(ctx, authReq, r.Client, p, true, r.Data.Code, "")
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// VerifyClient is the library's, with a failed client authentication
// answered 401 (RFC 6749 §5.2: the client may have used the
// Authorization header, and then 401 is required).
func (s *server) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	c, err := s.LegacyServer.VerifyClient(ctx, r)
	var e *zoidc.Error
	if errors.As(err, &e) && e.ErrorType == zoidc.InvalidClient {
		return nil, op.NewStatusError(e, http.StatusUnauthorized)
	}
	return c, err
}

// checkPKCE: a challenge needs its verifier, a verifier needs a challenge,
// and a public client needs both.
func checkPKCE(challenge *zoidc.CodeChallenge, verifier string, public bool) error {
	switch {
	case challenge == nil && public:
		return zoidc.ErrInvalidGrant().WithDescription("PKCE required")
	case challenge == nil && verifier != "":
		return zoidc.ErrInvalidGrant().WithDescription("code_verifier without code_challenge")
	case challenge == nil:
		return nil
	case verifier == "":
		return zoidc.ErrInvalidGrant().WithDescription("code_verifier required")
	case !zoidc.VerifyCodeChallenge(challenge, verifier):
		return zoidc.ErrInvalidGrant().WithDescription("invalid code_verifier")
	}
	return nil
}
