package testkit

import (
	"os"
	"path/filepath"
	"testing"

	"steward/policy"
)

// RepoRoot returns the directory holding go.mod, found by walking up from
// the test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testkit: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// PolicyPath returns the path of a real policy file, e.g. "ivm" or
// "zorginspirator".
func PolicyPath(t testing.TB, site string) string {
	return filepath.Join(RepoRoot(t), "policies", site+".yaml")
}

// Policy loads one of the real policy files. Tests use the real files so
// that what is tested is what the sites run.
func Policy(t testing.TB, site string) *policy.Policy {
	t.Helper()
	path := PolicyPath(t, site)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read policy: %v", err)
	}
	p, err := policy.Parse(path, data)
	if err != nil {
		t.Fatalf("policy %s: %v", site, err)
	}
	return p
}
