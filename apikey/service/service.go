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
		return nil, denied
	}
	if err != nil {
		return nil, err
	}
	if !k.Matches(secret) || !k.Usable(s.Clock.Now()) {
		return nil, denied
	}
	if k.Scope != scope || apikey.CheckNew(s.Policy, k.Processor, scope) != nil {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.api_key_scope_denied")
	}
	return k, nil
}
