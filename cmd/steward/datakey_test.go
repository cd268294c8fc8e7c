package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/clock"
	"steward/internal/testkit"
	"steward/store"
)

func TestKeygenWrites0600AndRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.key")
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, clock: clock.System{}}
	if code := a.main(context.Background(), []string{"keygen", "--out", path}); code != 0 {
		t.Fatalf("keygen: exit %d: %s", code, errb.String())
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v mode %v, want 0600", err, fi.Mode().Perm())
	}
	if code := a.main(context.Background(), []string{"keygen", "--out", path}); code != 1 || !strings.Contains(errb.String(), "refusing to overwrite") {
		t.Fatalf("second keygen: exit %d: %s", code, errb.String())
	}
}

func TestDataKeyRequiredForSensitivePolicy(t *testing.T) {
	p := testkit.Policy(t, "ivm")
	noEnv := &app{getenv: func(string) string { return "" }}
	// No key at all: refused, with a message that says what to do (R3).
	if _, err := loadDataKey(noEnv, p, ""); err == nil || !strings.Contains(err.Error(), "steward keygen") {
		t.Fatalf("no key: %v", err)
	}
	// A missing key file is not created before the database is checked.
	path := filepath.Join(t.TempDir(), "steward-data.key")
	if k, err := loadDataKey(noEnv, p, path); err != nil || k == nil || k.key != nil {
		t.Fatalf("missing key file: %+v, %v", k, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("loadDataKey created the key file (stat err %v)", err)
	}
	// A broken key is refused, never replaced.
	os.WriteFile(path, []byte("not a key"), 0o600)
	if _, err := loadDataKey(noEnv, p, path); err == nil {
		t.Fatal("a broken key file was accepted")
	}
	if data, _ := os.ReadFile(path); string(data) != "not a key" {
		t.Fatalf("the broken key file was changed: %q", data)
	}
	bad := &app{getenv: func(k string) string {
		if k == "STEWARD_DATA_KEY" {
			return "short"
		}
		return ""
	}}
	if _, err := loadDataKey(bad, p, path); err == nil {
		t.Fatal("a bad STEWARD_DATA_KEY was accepted")
	}
}

// TestDataKeyBoundToDatabase: a fresh database gets a new key file and
// remembers the key's id; a restart with the same key serves and opens
// what the first sealed; a missing key file or another key — from the file
// or STEWARD_DATA_KEY — is refused with one line naming the file and the
// key id the database needs, and changes nothing (R3, issue 4).
func TestDataKeyBoundToDatabase(t *testing.T) {
	p := testkit.Policy(t, "ivm")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_DB": dsn}
		s := openTestStore(t, env)
		noEnv := &app{getenv: func(string) string { return "" }}
		path := filepath.Join(t.TempDir(), "steward-data.key")
		start := func(a *app) (*account.Sealer, error) {
			t.Helper()
			k, err := loadDataKey(a, p, path)
			if err != nil {
				t.Fatalf("loadDataKey: %v", err)
			}
			return k.bind(ctx, s, now, log)
		}

		// A fresh database: the key file is created, 0600, and its id
		// (not the key) recorded.
		first, err := start(noEnv)
		if err != nil || first == nil {
			t.Fatalf("fresh database: %v", err)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("created key file: %v, mode %v", err, fi.Mode().Perm())
		}
		keyText, _ := os.ReadFile(path)
		key, _ := account.ParseKey(string(keyText))
		id := dataKeyID(key)
		if got, err := s.DataKeyID(ctx); err != nil || got != id {
			t.Fatalf("database's data key id %q, %v; want %q", got, err, id)
		}
		if strings.Contains(id, strings.TrimSpace(string(keyText))[:16]) {
			t.Fatalf("the key id %q shows the key", id)
		}
		sealed := first.Seal("12345678901", "a/lms_account/register_number")

		// A restart with the same key serves and opens what was sealed.
		again, err := start(noEnv)
		if err != nil {
			t.Fatalf("restart with the same key: %v", err)
		}
		if v, err := again.Open(sealed, "a/lms_account/register_number"); err != nil || v != "12345678901" {
			t.Fatalf("restart cannot open a sealed value: %q, %v", v, err)
		}

		oneLine := func(what string, err error, wants ...string) {
			t.Helper()
			if err == nil {
				t.Fatalf("%s: started", what)
			}
			msg := steward.ErrorMessage(err)
			if strings.Contains(msg, "\n") {
				t.Errorf("%s: more than one line: %q", what, msg)
			}
			for _, w := range append(wants, id, "restore", "'steward keygen'") {
				if !strings.Contains(msg, w) {
					t.Errorf("%s: %q does not mention %q", what, msg, w)
				}
			}
		}
		// The key file is gone (lost, or another working directory):
		// refused, and no new key is made.
		os.Remove(path)
		_, err = start(noEnv)
		oneLine("missing key file", err, path, "does not exist")
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("a refused start created a key file (stat err %v)", err)
		}

		// Another key in the file: refused, the file left as it is.
		other := account.NewKey()
		os.WriteFile(path, []byte(other+"\n"), 0o600)
		otherKey, _ := account.ParseKey(other)
		_, err = start(noEnv)
		oneLine("another key file", err, path, dataKeyID(otherKey))
		if data, _ := os.ReadFile(path); strings.TrimSpace(string(data)) != other {
			t.Fatal("a refused start changed the key file")
		}
		// Another key in STEWARD_DATA_KEY: refused as well.
		envKey := &app{getenv: func(k string) string {
			if k == "STEWARD_DATA_KEY" {
				return other
			}
			return ""
		}}
		_, err = start(envKey)
		oneLine("another STEWARD_DATA_KEY", err, "STEWARD_DATA_KEY")

		if got, err := s.DataKeyID(ctx); err != nil || got != id {
			t.Fatalf("after refused starts the database's data key id is %q, %v; want %q", got, err, id)
		}
		// The right key again, from the environment this time: serves.
		right := &app{getenv: func(k string) string {
			if k == "STEWARD_DATA_KEY" {
				return strings.TrimSpace(string(keyText))
			}
			return ""
		}}
		if _, err := start(right); err != nil {
			t.Fatalf("the database's own key from STEWARD_DATA_KEY: %v", err)
		}
	})
}

// TestDataKeyMissingWithSealedValuesRefused: a database used before key
// ids were recorded, holding a sealed value, does not get a new key when
// the key file is missing.
func TestDataKeyMissingWithSealedValuesRefused(t *testing.T) {
	p := testkit.Policy(t, "ivm")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		a := &account.Account{ID: "a-old", Email: "old@example.nl", Pseudonym: "ps_0123456789abcdef0123456789abcdef", CreatedAt: time.Now()}
		key, _ := account.ParseKey(account.NewKey())
		sealer, _ := account.NewSealer(key)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
			return tx.PutProfile(ctx, p, a.ID, "lms_account", account.Values{"register_number": sealer.Seal("12345678901", "x")}, time.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "steward-data.key")
		k, err := loadDataKey(&app{getenv: func(string) string { return "" }}, p, path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.bind(ctx, s, time.Now(), log)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "restore") {
			t.Fatalf("missing key file with sealed values: %v", err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("a refused start created a key file (stat err %v)", err)
		}
		if id, _ := s.DataKeyID(ctx); id != "" {
			t.Fatalf("a refused start recorded data key id %q", id)
		}
	})
}
