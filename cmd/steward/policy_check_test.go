package main

import (
	"strings"
	"testing"

	"steward/internal/testkit"
)

// TestPolicyCheckStrictListsEveryUnconfirmedValue: --strict fails while a
// value the seed does not give is marked !unconfirmed, one line per value
// with its position (issue 20); without --strict the policy is valid and
// the ok line counts them.
func TestPolicyCheckStrictListsEveryUnconfirmedValue(t *testing.T) {
	for _, site := range []string{"ivm", "zorginspirator"} {
		path := testkit.PolicyPath(t, site)
		code, out, errOut := run(t, nil, "policy", "check", path)
		if code != 0 || !strings.Contains(out, "unconfirmed values)") {
			t.Fatalf("%s without --strict: exit %d\n%s%s", site, code, out, errOut)
		}
		code, out, errOut = run(t, nil, "policy", "check", "--strict", path)
		if code != 1 || strings.Contains(out, ": ok (") {
			t.Fatalf("%s --strict: exit %d, want 1\n%s", site, code, out)
		}
		p := testkit.Policy(t, site)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if len(lines) != len(p.Unconfirmed) {
			t.Fatalf("%s --strict: %d lines for %d unconfirmed values:\n%s", site, len(lines), len(p.Unconfirmed), errOut)
		}
		for i, u := range p.Unconfirmed {
			if !strings.HasPrefix(lines[i], path+":") || !strings.Contains(lines[i], u.Path+": ") || !strings.Contains(lines[i], "marked !unconfirmed") {
				t.Errorf("%s line %d: %q; want %s at its position", site, i, lines[i], u.Path)
			}
		}
	}
}
