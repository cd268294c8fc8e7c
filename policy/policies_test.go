package policy_test

import (
	"os"
	"path/filepath"
	"testing"

	"steward/policy"
)

// realPolicies lists the policy files the sites run; tests load them from
// the repository so that what is tested is what is deployed.
var realPolicies = []string{"../policies/ivm.yaml", "../policies/zorginspirator.yaml"}

func loadFile(t testing.TB, path string) *policy.Policy {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(filepath.Base(path), data)
	if err != nil {
		t.Fatalf("%s:\n%v", path, err)
	}
	return p
}

func TestRealPoliciesLoadWithoutProblems(t *testing.T) {
	for _, path := range realPolicies {
		t.Run(filepath.Base(path), func(t *testing.T) {
			loadFile(t, path)
		})
	}
}
