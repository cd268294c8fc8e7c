package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"steward/store"
)

// TestMain runs the package's tests, then fails the run if any of them
// left a key file in the package directory: a command run without its key
// paths in t.TempDir() (testkit.ServeEnv, STEWARD_AUDIT_KEY) writes its
// default ./steward-*.key there, into the repository.
func TestMain(m *testing.M) {
	before := keyFiles()
	code := m.Run()
	for f := range keyFiles() {
		if !before[f] {
			fmt.Fprintf(os.Stderr, "FAIL: a test wrote the key file %s into the repository (removed); give the command a key path in t.TempDir()\n", f)
			os.Remove(f)
			code = 1
		}
	}
	os.Exit(code)
}

func keyFiles() map[string]bool {
	files, _ := filepath.Glob("*.key")
	m := map[string]bool{}
	for _, f := range files {
		m[f] = true
	}
	return m
}

// openTestStore opens env's STEWARD_DB the way 'steward migrate' does —
// created, migrated, its audit key (env's STEWARD_AUDIT_KEY) created and
// recorded, and so is env's STEWARD_CONSENT_KEY_FILE when set — for a test to set data up and to look at what a command did.
// The store is closed when the test ends.
func openTestStore(t *testing.T, env map[string]string) *store.Store {
	t.Helper()
	if env["STEWARD_AUDIT_KEY"] == "" {
		t.Fatal("openTestStore: env needs STEWARD_AUDIT_KEY in t.TempDir(), or an append would write the key into the repository")
	}
	a, _, _ := testApp(env)
	s, _, _, err := a.makeStore(context.Background(), env["STEWARD_DB"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if f := env["STEWARD_CONSENT_KEY_FILE"]; f != "" {
		if _, err := a.consentKey(context.Background(), s, f, create); err != nil {
			t.Fatal(err)
		}
	}
	return s
}
