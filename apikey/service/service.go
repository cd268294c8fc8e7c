// Package service keeps the machine API's keys (issue 16 item 4, R8):
// creating one for a policy processor and scope (the secret returned
// once), listing, rotating (a new secret for the same id; the old one
// stops at once), revoking, and checking a key id and secret a request
// presents. Every change is one transaction with its audit entry (the
// key's id and the processor's id only). Built once in internal/wiring.
package service

import (
	"context"
	"fmt"
	"sync"
	"time"

	"steward"
	"steward/apikey"
	"steward/audit"
	"steward/clock"
	"steward/policy"
	"steward/store"
)

// Service is the key service.
type Service struct {
	Policy *policy.Policy
	Store  *store.Store
	Clock  clock.Clock
	Audit  *audit.Log

	mu sync.Mutex
	// known are the keys this process has authenticated, by id, as they
	// were read then (Recognise).
	known map[string]apikey.Key
}

// Created is a new or rotated key with its secret, which is never shown
// again.
type Created struct {
	Key    apikey.Key
	Secret string
}

// Create makes a key for processor with scope; expires zero never
// expires.
func (s *Service) Create(ctx context.Context, by audit.Actor, processor string, scope apikey.Scope, expires time.Time) (*Created, error) {
	if err := apikey.CheckNew(s.Policy, processor, scope); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	if !expires.IsZero() && !expires.After(now) {
		return nil, steward.FieldError("expires", "error.api_key_expiry_past")
	}
	secret := apikey.NewSecret()
	k := apikey.Key{ID: apikey.NewID(), Processor: processor, Scope: scope, SecretHash: apikey.Hash(secret), CreatedAt: now, ExpiresAt: expires}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAPIKey(ctx, &k); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: audit.APIKeyCreate, ObjectKind: "api_key", ObjectID: k.ID,
			Fields: []string{"processor." + processor, "scope." + string(scope)}})
	})
	if err != nil {
		return nil, fmt.Errorf("apikey: create: %w", err)
	}
	return &Created{Key: k, Secret: secret}, nil
}

// List returns every key (never a secret).
func (s *Service) List(ctx context.Context) ([]apikey.Key, error) { return s.Store.APIKeys(ctx) }

// Rotate gives key id a new secret: the old one is refused from now on.
// A revoked key cannot be rotated back to life.
func (s *Service) Rotate(ctx context.Context, by audit.Actor, id string) (*Created, error) {
	var out *Created
	err := s.change(ctx, by, id, audit.APIKeyRotate, func(k *apikey.Key, now time.Time) error {
		if !k.RevokedAt.IsZero() {
			return steward.Errorf(steward.ECONFLICT, "error.api_key_revoked", "id", id)
		}
		secret := apikey.NewSecret()
		k.SecretHash, k.RotatedAt = apikey.Hash(secret), now
		out = &Created{Key: *k, Secret: secret}
		return nil
	})
	return out, err
}

// Revoke stops key id for good. Revoking a revoked key changes nothing.
func (s *Service) Revoke(ctx context.Context, by audit.Actor, id string) (*apikey.Key, error) {
	var out apikey.Key
	err := s.change(ctx, by, id, audit.APIKeyRevoke, func(k *apikey.Key, now time.Time) error {
		if k.RevokedAt.IsZero() {
			k.RevokedAt = now
		}
		out = *k
		return nil
	})
	return &out, err
}

func (s *Service) change(ctx context.Context, by audit.Actor, id string, action audit.Action, fn func(*apikey.Key, time.Time) error) error {
	if !apikey.ValidID(id) {
		return steward.Errorf(steward.ENOTFOUND, "error.api_key_not_found", "id", id)
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		k, err := tx.APIKey(ctx, id)
		if err != nil {
			return err
		}
		was := *k
		if err := fn(k, s.Clock.Now()); err != nil {
			return err
		}
		if *k == was {
			return nil
		}
		if err := tx.UpdateAPIKey(ctx, k); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: action, ObjectKind: "api_key", ObjectID: k.ID,
			Fields: []string{"processor." + k.Processor}})
	})
	if err != nil {
		return fmt.Errorf("apikey: %s %s: %w", action, id, err)
	}
	return nil
}

// Authenticate checks a key id and secret for scope: an unknown id, a
// wrong secret, a revoked or expired key all answer EUNAUTHORIZED alike
// (401, nothing told about which); a working key without the scope, or
// whose processor the policy no longer declares for it, EFORBIDDEN.
func (s *Service) Authenticate(ctx context.Context, id, secret string, scope apikey.Scope) (*apikey.Key, error) {
	denied := steward.Errorf(steward.EUNAUTHORIZED, "error.api_key_denied")
	if !apikey.ValidID(id) || secret == "" {
		return nil, denied
	}
	k, err := s.Store.APIKey(ctx, id)
	if steward.ErrorCode(err) == steward.ENOTFOUND {
		s.forget(id)
		return nil, denied
	}
	if err != nil {
		return nil, err
	}
	if !k.Usable(s.Clock.Now()) {
		s.forget(id)
		return nil, denied
	}
	if !k.Matches(secret) {
		// Another secret than the key's: the key is kept in memory
		// unless it was rotated since.
		s.mu.Lock()
		if m, ok := s.known[id]; ok && m.SecretHash != k.SecretHash {
			delete(s.known, id)
		}
		s.mu.Unlock()
		return nil, denied
	}
	if k.Scope != scope || apikey.CheckNew(s.Policy, k.Processor, scope) != nil {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.api_key_scope_denied")
	}
	s.mu.Lock()
	if s.known == nil {
		s.known = map[string]apikey.Key{}
	}
	s.known[id] = *k
	s.mu.Unlock()
	return k, nil
}

// Recognise checks a key id and secret for scope as Authenticate does,
// but without reading the database when this process has authenticated
// the key before: the same id, a secret that hashes to the one it had
// then, not expired by the clock, the same scope (issue 16: the read was
// 7% of a single xAPI statement's CPU, and on PostgreSQL a round trip of
// its own). Anything else is Authenticate.
//
// A key recognised from memory may have been rotated or revoked since,
// by this process or another. The caller must confirm it in the
// transaction that uses it (Key.StillValid against the key's row read
// there, as xapi/service does) and call Authenticate before any answer
// that transaction does not give, so a revoked key is refused at once
// and told 401 whatever else is wrong with its request.
func (s *Service) Recognise(ctx context.Context, id, secret string, scope apikey.Scope) (*apikey.Key, error) {
	s.mu.Lock()
	k, ok := s.known[id]
	s.mu.Unlock()
	if ok && k.Scope == scope && k.Matches(secret) && k.Usable(s.Clock.Now()) {
		return &k, nil
	}
	return s.Authenticate(ctx, id, secret, scope)
}

// forget drops a key Authenticate found no longer working.
func (s *Service) forget(id string) {
	s.mu.Lock()
	delete(s.known, id)
	s.mu.Unlock()
}
