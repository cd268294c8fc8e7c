// Package provider applies the oidc rules to the store and serves the
// OpenID Connect protocol through github.com/zitadel/oidc (issue 16 item
// 3): the client registry and signing keys the commands manage, the
// sign-in that binds a logged-in person to an authorisation request, and
// the storage the library's provider calls. It is the one package besides
// web that answers HTTP, because the protocol's endpoints are the
// library's; web mounts its handler and keeps the login pages.
package provider

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	learnservice "steward/learning/service"
	"steward/oidc"
	"steward/policy"
	"steward/store"
)

// Service is Steward's OpenID Connect provider. Built once in
// internal/wiring; Handler serves the protocol.
type Service struct {
	Policy   *policy.Policy
	Store    *store.Store
	Clock    clock.Clock
	Audit    *audit.Log
	Learning *learnservice.Service
	// Sealer seals the signing keys and opens sensitive claims (R3); the
	// provider refuses to sign anyone in without it.
	Sealer *account.Sealer
	// Issuer is the site's public address, the "iss" of every token.
	Issuer string
	Log    *slog.Logger

	mu      sync.Mutex
	keys    map[string]*rsa.PrivateKey // opened signing keys, by id
	handler *handler
}

// ErrUnavailable is the provider without a data key to seal its keys.
var ErrUnavailable = steward.Errorf(steward.EUNAVAILABLE, "error.oidc_unavailable")

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// NewClient is what 'steward clients add' registers.
type NewClient struct {
	Name         string
	Recipient    string
	RedirectURIs []string
	// Public registers a client without a secret (PKCE S256 required).
	Public bool
}

// AddClient registers a client for a recipient of the policy that
// declares claims, in one transaction with its audit entry. It returns
// the client and its secret, shown once (empty for a public client).
func (s *Service) AddClient(ctx context.Context, by audit.Actor, n NewClient) (*oidc.Client, string, error) {
	if err := oidc.CheckName(n.Name); err != nil {
		return nil, "", err
	}
	if _, err := oidc.Recipient(s.Policy, n.Recipient); err != nil {
		return nil, "", err
	}
	if len(n.RedirectURIs) == 0 {
		return nil, "", steward.FieldError("redirect_uri", "error.oidc_redirect_uri_required")
	}
	for _, u := range n.RedirectURIs {
		if err := oidc.CheckRedirectURI(u); err != nil {
			return nil, "", err
		}
	}
	now := s.Clock.Now()
	c := &oidc.Client{ID: account.NewID("cl_"), Name: n.Name, Recipient: n.Recipient, RedirectURIs: n.RedirectURIs, CreatedAt: now, SecretAt: now}
	secret := ""
	if !n.Public {
		secret, c.SecretHash = account.NewSecret()
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.OIDCClientByName(ctx, n.Name); err == nil {
			return steward.FieldError("name", "error.oidc_client_exists", "name", n.Name)
		} else if !errors.Is(err, store.ErrNoOIDCClient) {
			return err
		}
		if err := tx.InsertOIDCClient(ctx, c); err != nil {
			return err
		}
		fields := []string{"recipient." + n.Recipient, "redirect_uris"}
		if !n.Public {
			fields = append(fields, "secret")
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: audit.OIDCClientAdd, ObjectKind: "oidc_client", ObjectID: c.ID, Fields: fields})
	})
	if err != nil {
		return nil, "", fmt.Errorf("oidc: add client %s: %w", n.Name, err)
	}
	return c, secret, nil
}

// Clients lists the registered clients, revoked ones included.
func (s *Service) Clients(ctx context.Context) ([]*oidc.Client, error) {
	return s.Store.OIDCClients(ctx)
}

// RotateSecret gives a confidential client a new secret, shown once; the
// old one stops working at once.
func (s *Service) RotateSecret(ctx context.Context, by audit.Actor, name string) (string, error) {
	var secret string
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.OIDCClientByName(ctx, name)
		if err != nil {
			return err
		}
		if c.Revoked() {
			return store.ErrNoOIDCClient
		}
		if c.Public() {
			return steward.FieldError("name", "error.oidc_client_public", "name", name)
		}
		var hash string
		secret, hash = account.NewSecret()
		if err := tx.SetOIDCClientSecret(ctx, c.ID, hash, s.Clock.Now()); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: audit.OIDCClientSecret, ObjectKind: "oidc_client", ObjectID: c.ID, Fields: []string{"secret"}})
	})
	if err != nil {
		return "", fmt.Errorf("oidc: rotate secret of %s: %w", name, err)
	}
	return secret, nil
}

// RevokeClient revokes a client and every token issued to it: it can no
// longer sign anyone in, and its id is never reused.
func (s *Service) RevokeClient(ctx context.Context, by audit.Actor, name string) error {
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.OIDCClientByName(ctx, name)
		if err != nil {
			return err
		}
		if err := tx.RevokeOIDCClient(ctx, c.ID, s.Clock.Now()); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: audit.OIDCClientRevoke, ObjectKind: "oidc_client", ObjectID: c.ID, Fields: []string{"revoked_at"}})
	})
	if err != nil {
		return fmt.Errorf("oidc: revoke client %s: %w", name, err)
	}
	return nil
}

// KeyRotation is what RotateKeys did.
type KeyRotation struct {
	// ID is the new signing key's id.
	ID string
	// Retired keys stay in the JWKS until what they signed has expired;
	// Dropped ones had been retired longer than that.
	Retired, Dropped int64
}

// RotateKeys makes a new signing key: the keys in use are retired (still
// published for oidc.KeyKept, so tokens they signed verify until they
// expire) and keys retired longer ago are dropped. The new private key is
// sealed with the data key before it is stored.
func (s *Service) RotateKeys(ctx context.Context, by audit.Actor) (KeyRotation, error) {
	var out KeyRotation
	k, err := s.newKey()
	if err != nil {
		return out, err
	}
	now := s.Clock.Now()
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if out.Retired, out.Dropped, err = tx.RetireOIDCKeys(ctx, now, now.Add(-oidc.KeyKept)); err != nil {
			return err
		}
		if err := tx.InsertOIDCKey(ctx, k); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: audit.OIDCKeyRotate, ObjectKind: "oidc_key", ObjectID: k.ID,
			Fields: []string{"retired." + strconv.FormatInt(out.Retired, 10), "dropped." + strconv.FormatInt(out.Dropped, 10)}})
	})
	if err != nil {
		return out, fmt.Errorf("oidc: rotate keys: %w", err)
	}
	out.ID = k.ID
	return out, nil
}

// newKey generates an RSA key (RS256: the algorithm every OpenID Connect
// relying party supports, OpenID Connect Core §15.1) and seals its
// private half, bound to its id.
func (s *Service) newKey() (*oidc.Key, error) {
	if s.Sealer == nil {
		return nil, ErrUnavailable
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("oidc: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("oidc: encode key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("oidc: encode key: %w", err)
	}
	id := strings.TrimPrefix(account.NewID("k"), "k")
	return &oidc.Key{ID: id, Algorithm: "RS256", Public: base64.StdEncoding.EncodeToString(pub),
		Private: s.Sealer.Seal(base64.StdEncoding.EncodeToString(der), keyAAD(id)), CreatedAt: s.Clock.Now()}, nil
}

// keyAAD binds a sealed signing key to its id.
func keyAAD(id string) string { return "oidc_key/" + id }

// signingKey returns the newest key not retired, opened, making the first
// one when there is none (a site's first sign-in).
func (s *Service) signingKey(ctx context.Context) (*oidc.Key, *rsa.PrivateKey, error) {
	keys, err := s.Store.OIDCKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			priv, err := s.open(k)
			return k, priv, err
		}
	}
	k, err := s.newKey()
	if err != nil {
		return nil, nil, err
	}
	if err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertOIDCKey(ctx, k); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.System("oidc"), Action: audit.OIDCKeyRotate, ObjectKind: "oidc_key", ObjectID: k.ID,
			Fields: []string{"retired.0", "dropped.0"}})
	}); err != nil {
		return nil, nil, fmt.Errorf("oidc: first key: %w", err)
	}
	priv, err := s.open(k)
	return k, priv, err
}

// open opens a key's sealed private half, once per process.
func (s *Service) open(k *oidc.Key) (*rsa.PrivateKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if priv, ok := s.keys[k.ID]; ok {
		return priv, nil
	}
	if s.Sealer == nil {
		return nil, ErrUnavailable
	}
	b64, err := s.Sealer.Open(k.Private, keyAAD(k.ID))
	if err != nil {
		return nil, fmt.Errorf("oidc: open key %s: %w", k.ID, err)
	}
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("oidc: key %s: %w", k.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("oidc: key %s: %w", k.ID, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("oidc: key %s is not RSA", k.ID)
	}
	if s.keys == nil {
		s.keys = map[string]*rsa.PrivateKey{}
	}
	s.keys[k.ID] = priv
	return priv, nil
}

// publicKeys are the keys the JWKS publishes at now.
func (s *Service) publicKeys(ctx context.Context) ([]*oidc.Key, []*rsa.PublicKey, error) {
	keys, err := s.Store.OIDCKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := s.Clock.Now()
	var out []*oidc.Key
	var pubs []*rsa.PublicKey
	for _, k := range keys {
		if !k.Published(now) {
			continue
		}
		der, err := base64.StdEncoding.DecodeString(k.Public)
		if err != nil {
			return nil, nil, fmt.Errorf("oidc: key %s: %w", k.ID, err)
		}
		parsed, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return nil, nil, fmt.Errorf("oidc: key %s: %w", k.ID, err)
		}
		pub, ok := parsed.(*rsa.PublicKey)
		if !ok {
			return nil, nil, fmt.Errorf("oidc: key %s is not RSA", k.ID)
		}
		out, pubs = append(out, k), append(pubs, pub)
	}
	return out, pubs, nil
}

// CheckRedirect is the check before the authorisation endpoint runs: a
// known, live client and a redirect URI it registered. Failing it, the
// person sees an error page and is never redirected (RFC 6749 §3.1.2.4,
// §4.1.2.1): an unchecked redirect_uri would make Steward an open
// redirector.
func (s *Service) CheckRedirect(ctx context.Context, clientID, redirectURI string) error {
	c, err := s.Store.OIDCClient(ctx, clientID)
	if err != nil || c.Revoked() {
		return steward.Errorf(steward.EINVALID, "error.oidc_no_client")
	}
	if !c.Registered(redirectURI) {
		return steward.Errorf(steward.EINVALID, "error.oidc_redirect_not_registered")
	}
	return nil
}

// Pending returns an authorisation request waiting for its login, with
// what it asks of it (oidc.Prompt): Silent, and the password entry that
// Satisfies it.
func (s *Service) Pending(ctx context.Context, grantID string) (*oidc.Grant, error) {
	g, err := s.Store.OIDCGrant(ctx, grantID)
	if err != nil {
		return nil, err
	}
	if g.Done() || s.now().After(g.CreatedAt.Add(oidc.RequestLifetime)) {
		return nil, store.ErrNoOIDCGrant
	}
	return g, nil
}

// LoginRequired ends a silent request (prompt=none) that the browser's
// session cannot satisfy, without a page (OpenID Connect Core §3.1.2.6):
// the request is removed and the client told login_required, with its
// state, at its redirect URI, which it returns.
func (s *Service) LoginRequired(ctx context.Context, grantID string) (string, error) {
	g, err := s.Pending(ctx, grantID)
	if err != nil {
		return "", err
	}
	h, err := s.Handler()
	if err != nil {
		return "", err
	}
	if err := s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteOIDCGrant(ctx, g.ID) }); err != nil {
		return "", err
	}
	e := zoidc.ErrLoginRequired()
	e.State = g.State
	return op.AuthResponseURL(g.RedirectURI, zoidc.ResponseType(g.ResponseType), zoidc.ResponseMode(g.ResponseMode), e, h.(*handler).provider.Encoder())
}

// SignIn binds the logged-in person to an authorisation request (the
// login step of the authorisation endpoint; consent is not asked: the
// learning environment is the site's processor, and what it receives is
// what the policy declares). authAt is when they last entered their
// password, the ID token's auth_time; it must satisfy the request's
// prompt and max_age (oidc.Prompt). Their learning-environment account
// record is created if they have none; its id is the subject the client
// sees. It returns where to continue: the library's callback, which
// issues the code.
func (s *Service) SignIn(ctx context.Context, grantID string, acct *account.Account, authAt time.Time) (string, error) {
	if acct.IsStaff() {
		return "", steward.Errorf(steward.EFORBIDDEN, "error.oidc_staff")
	}
	now := s.Clock.Now()
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		g, err := tx.OIDCGrant(ctx, grantID)
		if err != nil {
			return err
		}
		if g.Done() || now.After(g.CreatedAt.Add(oidc.RequestLifetime)) || !g.Satisfied(authAt) {
			return store.ErrNoOIDCGrant
		}
		c, err := tx.OIDCClient(ctx, g.ClientID)
		if err != nil || c.Revoked() {
			return steward.Errorf(steward.EINVALID, "error.oidc_no_client")
		}
		id, created, err := s.Learning.LMSAccountTx(ctx, tx, acct)
		if err != nil {
			return err
		}
		if err := tx.SignInOIDCGrant(ctx, g.ID, acct.ID, strconv.FormatInt(id, 10), authAt); err != nil {
			return err
		}
		kind := s.lmsKind()
		filled, err := s.fillLMSAccount(ctx, tx, acct, kind, now)
		if err != nil {
			return err
		}
		if created || len(filled) > 0 {
			return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.SubjectActor(audit.Pseudonym(acct.Pseudonym)), Action: audit.LMSAccountCreate,
				ObjectKind: kind, ObjectID: strconv.FormatInt(id, 10), Subject: audit.Pseudonym(acct.Pseudonym), Fields: append([]string{kind}, filled...)})
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("oidc: sign in: %w", err)
	}
	return s.callbackURL(ctx, grantID), nil
}

// fillLMSAccount gives the learning-environment account the values it
// requires and does not have yet from the website account's fields of the
// same name (the login e-mail address, first and last name): the person
// signs in to the LMS as who they are on the site, and sees and changes
// the copy on their account page. A value already there is never
// replaced, a sensitive one never copied (the register number is theirs
// to give). It returns the "record.field" names it filled.
func (s *Service) fillLMSAccount(ctx context.Context, tx *store.Tx, acct *account.Account, kind string, now time.Time) ([]string, error) {
	rec, site := s.Policy.Record(kind), s.Policy.Record(account.RecordID)
	if rec == nil || site == nil || kind == account.RecordID {
		return nil, nil
	}
	have, err := tx.Profile(ctx, acct.ID, kind)
	if err != nil {
		return nil, err
	}
	var from account.Values
	vals := account.Values{}
	for _, f := range account.InputFields(rec) {
		if !f.Required || f.Sensitive || have[f.ID] != "" {
			continue
		}
		sf := site.Field(f.ID)
		if sf == nil || sf.Sensitive || sf.Type != f.Type {
			continue
		}
		v := ""
		if ef := account.EmailField(site); ef != nil && ef.ID == f.ID {
			v = acct.Email
		} else {
			if from == nil {
				if from, err = tx.Profile(ctx, acct.ID, account.RecordID); err != nil {
					return nil, err
				}
			}
			v = from[f.ID]
		}
		if v != "" {
			vals[f.ID] = v
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	if err := tx.PutProfile(ctx, s.Policy, acct.ID, kind, vals, now); err != nil {
		return nil, err
	}
	var out []string
	for _, f := range account.InputFields(rec) {
		if _, ok := vals[f.ID]; ok {
			out = append(out, kind+"."+f.ID)
		}
	}
	return out, nil
}

// SignedInAs reports whether the grant was signed in by accountID: the
// library's callback issues a code only to the browser whose session
// made the sign-in, so a request started by someone else and signed in by
// a victim cannot be finished by its starter (session fixation).
func (s *Service) SignedInAs(ctx context.Context, grantID, accountID string) bool {
	g, err := s.Store.OIDCGrant(ctx, grantID)
	return err == nil && g.Done() && g.AccountID == accountID
}

// lmsKind is the record kind of the learning-environment account.
func (s *Service) lmsKind() string {
	for _, pr := range s.Policy.Processors {
		for _, c := range pr.Claims {
			rec, _, _ := strings.Cut(c.Field, ".")
			return rec
		}
	}
	return ""
}

// now is the provider's clock.
func (s *Service) now() time.Time { return s.Clock.Now() }
