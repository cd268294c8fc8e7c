package main

import (
	"path/filepath"
	"strings"
	"testing"

	"steward/internal/testkit"
)

func TestRetentionCommandsRefuseBadInput(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "r.db")
	pol := testkit.PolicyPath(t, "ivm")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"retention", "plan", "--db", db, "--policy", pol, "--as-of", "2024-13-01"}, `--as-of "2024-13-01": must be a date YYYY-MM-DD`},
		{[]string{"retention", "run", "--db", db, "--policy", pol, "--as-of", "1-1-2024"}, "must be a date"},
		{[]string{"retention", "plan", "--db", db, "--policy", pol, "--rule", "nope"}, `no retention rule "nope"`},
		{[]string{"retention", "plan", "--db", db, "--policy", pol, "--format", "xml"}, "must be table or json"},
	} {
		code, _, stderr := run(t, nil, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
	code, stdout, stderr := run(t, nil, "retention", "plan", "--db", db, "--policy", pol, "--as-of", "2030-01-01", "--format", "json")
	if code != 0 || !strings.Contains(stdout, `"website_account_inactive"`) {
		t.Fatalf("plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
