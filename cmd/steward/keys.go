package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"steward"
	"steward/audit"
	"steward/consent"
	"steward/keyfile"
	"steward/store"
)

// Issue 13: a command run in another directory must not make keys of its
// own. A new audit key made there made 'audit verify' in the server's
// directory report a false tamper alarm; a new consent key made every
// unsubscribe link a newsletter mailed invalid. So a database records the
// id of each key it was first used with (settings, never the key), keys
// are created only by 'steward keygen' or by the first 'serve' or
// 'migrate' of a database that has none, and every other command that
// needs a key loads it, never creates it, and refuses in one line naming
// the file and the key id the database expects when the file is not there
// or holds another key.

// siteKey is one of the installation's ed25519 keys: where its file is and
// the settings row that records its id.
type siteKey struct {
	what    string // "audit signing key", as keyfile names it in messages
	file    string
	setting store.KeySetting
	// how names the flag or environment variable that gives the file.
	how string
}

// auditKey is the audit signing key STEWARD_AUDIT_KEY names.
func (a *app) auditKey() siteKey {
	return auditKeyAt(a.env("STEWARD_AUDIT_KEY", audit.DefaultKeyFile))
}

// auditKeyAt is the audit signing key at file.
func auditKeyAt(file string) siteKey {
	return siteKey{what: "audit signing key", file: file, setting: store.AuditKeySetting, how: "STEWARD_AUDIT_KEY"}
}

// consentKeyAt is the consent key at file.
func consentKeyAt(file string) siteKey {
	return siteKey{what: "consent key", file: file, setting: store.ConsentKeySetting, how: "--consent-key or STEWARD_CONSENT_KEY_FILE"}
}

// expected returns the id of the key the database expects, "" when it
// expects none yet. The audit key of a database from before key ids were
// recorded is the one that sealed its genesis (migration 0015).
func (k siteKey) expected(ctx context.Context, s *store.Store) (string, error) {
	id, err := s.KeyID(ctx, k.setting)
	if err != nil || id != "" || k.setting != store.AuditKeySetting {
		return id, err
	}
	g, err := s.Audit().Genesis(ctx)
	if err != nil {
		return "", err
	}
	if g.State == audit.GenesisSealed {
		return g.KeyID, nil
	}
	return "", nil
}

// keyUse says what load may do besides reading the key file.
type keyUse uint8

const (
	// checkOnly: compare with the id the database expects; write nothing.
	checkOnly keyUse = iota
	// claim: as checkOnly, and a database that expects no key yet records
	// this one's id.
	claim
	// create: as claim, and a missing file is created when the database
	// expects no key yet — only 'serve' and 'migrate' do this.
	create
)

// load reads the key and checks it is the one the database expects; see
// keyUse for what else it may do. created tells the caller to say where a
// new key was written.
func (k siteKey) load(ctx context.Context, s *store.Store, now time.Time, use keyUse) (priv ed25519.PrivateKey, created bool, err error) {
	want, err := k.expected(ctx, s)
	if err != nil {
		return nil, false, err
	}
	priv, err = keyfile.Load(k.file, k.what)
	switch {
	case steward.ErrorCode(err) == steward.ENOTFOUND && use == create && want == "":
		priv, created, err = keyfile.LoadOrCreate(k.file, k.what)
		if err != nil {
			return nil, false, err
		}
	case steward.ErrorCode(err) == steward.ENOTFOUND && want == "":
		return nil, false, steward.Errorf(steward.EINVALID, "error.key_missing_none_recorded", "what", k.what, "file", k.file, "how", k.how)
	case steward.ErrorCode(err) == steward.ENOTFOUND:
		return nil, false, steward.Errorf(steward.EINVALID, "error.key_missing_expected", "what", k.what, "file", k.file, "want", want, "how", k.how)
	case err != nil:
		return nil, false, err
	}
	id := keyfile.ID(priv.Public().(ed25519.PublicKey))
	if want == "" && use != checkOnly {
		// Another process may claim the database at the same moment: the
		// id recorded first is the one that counts.
		if want, err = s.ClaimKey(ctx, k.setting, id, now); err != nil {
			if created {
				os.Remove(k.file)
			}
			return nil, false, err
		}
	}
	if want != "" && want != id {
		if created {
			os.Remove(k.file)
		}
		return nil, false, steward.Errorf(steward.EINVALID, "error.key_not_expected", "what", k.what, "file", k.file, "got", id, "want", want, "how", k.how)
	}
	return priv, created, nil
}

// auditSigner loads the audit signing key of s (see load).
func (a *app) auditSigner(ctx context.Context, s *store.Store, k siteKey, use keyUse) (*audit.Signer, error) {
	priv, created, err := k.load(ctx, s, a.clock.Now(), use)
	if err != nil {
		return nil, err
	}
	signer := audit.NewSigner(priv)
	if created {
		fmt.Fprintf(a.stderr, "steward: generated the audit signing key %s (ed25519, key id %s, mode 0600).\n"+
			"  Keep a copy outside the database and never commit it: without it, forged or cut-off\n"+
			"  audit entries cannot be told from real ones. Public key: %s\n",
			k.file, signer.KeyID(), hex.EncodeToString(signer.Public()))
	}
	return signer, nil
}

// consentKey loads the consent key of s (see load).
func (a *app) consentKey(ctx context.Context, s *store.Store, file string, use keyUse) (*consent.Key, error) {
	priv, created, err := consentKeyAt(file).load(ctx, s, a.clock.Now(), use)
	if err != nil {
		return nil, err
	}
	k := consent.NewKey(priv)
	if created {
		fmt.Fprintf(a.stderr, "steward: created a new consent signing key in %s (key id %s); keep it safe and back it up: receipts and unsubscribe links depend on it\n", file, k.ID())
	}
	return k, nil
}
