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

	"steward/clock"
	"steward/internal/testkit"
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
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	noEnv := &app{getenv: func(string) string { return "" }}
	// No key at all: refused, with a message that says what to do (R3).
	if _, err := loadSealer(noEnv, p, "", log); err == nil || !strings.Contains(err.Error(), "steward keygen") {
		t.Fatalf("no key: %v", err)
	}
	// A missing key file is created, 0600, and then used.
	path := filepath.Join(t.TempDir(), "steward-data.key")
	s, err := loadSealer(noEnv, p, path, log)
	if err != nil || s == nil {
		t.Fatalf("first run: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("created key file mode %v", fi.Mode().Perm())
	}
	// A broken key is refused, never replaced.
	os.WriteFile(path, []byte("not a key"), 0o600)
	if _, err := loadSealer(noEnv, p, path, log); err == nil {
		t.Fatal("a broken key file was accepted")
	}
	bad := &app{getenv: func(k string) string {
		if k == "STEWARD_DATA_KEY" {
			return "short"
		}
		return ""
	}}
	if _, err := loadSealer(bad, p, path, log); err == nil {
		t.Fatal("a bad STEWARD_DATA_KEY was accepted")
	}
}

func TestStaffAddPrintsOneTimeLink(t *testing.T) {
	var out, errb bytes.Buffer
	env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key")}
	a := &app{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }, clock: clock.System{}}
	db := testkit.SQLiteDSN(t)
	pol := testkit.PolicyPath(t, "ivm")
	if code := a.main(context.Background(), []string{"staff", "add", "po@example.nl", "--role", "privacy_officer", "--db", db, "--policy", pol, "--base-url", "https://site.example"}); code != 0 {
		t.Fatalf("staff add: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "https://site.example/reset/confirm?token=") {
		t.Fatalf("no set-password link in %q", out.String())
	}
	errb.Reset()
	if code := a.main(context.Background(), []string{"staff", "add", "x@example.nl", "--role", "god", "--db", db, "--policy", pol}); code == 0 || !strings.Contains(errb.String(), "admin, privacy_officer, support") {
		t.Fatalf("unknown role: exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := a.main(context.Background(), []string{"staff", "add", "PO@example.nl", "--role", "support", "--db", db, "--policy", pol}); code == 0 {
		t.Fatal("a second account with the same address was created")
	}
}
