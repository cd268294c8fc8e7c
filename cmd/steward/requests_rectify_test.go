package main

import (
	"context"
	"strings"
	"testing"
)

// TestRequestsRectify (issue 13, Art. 16): 'requests rectify' corrects the
// person's record for a verified rectification request by the profile's
// rules, and only then does 'requests complete' close it as done. Bad
// input exits 1 or 2 with one line and changes nothing.
func TestRequestsRectify(t *testing.T) {
	env, person := requestsEnv(t)
	code, out, errOut := run(t, env, "requests", "add", "--email", "jan@example.org", "--type", "rectification", "--channel", "letter",
		"--received", "2026-11-20", "--details", "my surname is Visser")
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	id := strings.TrimSpace(out)
	if code, _, errOut = run(t, env, "requests", "rectify", id, "--set", "account.last_name=Visser"); code != 1 || !strings.Contains(errOut, "not verified") {
		t.Fatalf("rectify unverified: exit %d, %q", code, errOut)
	}
	if code, _, errOut = run(t, env, "requests", "verify", id, "--note", "called back on the number we hold"); code != 0 {
		t.Fatalf("verify: exit %d: %s", code, errOut)
	}
	if code, _, errOut = run(t, env, "requests", "complete", id, "--outcome", "corrected"); code != 1 || !strings.Contains(errOut, "Nothing has been corrected") {
		t.Fatalf("complete before a correction: exit %d, %q", code, errOut)
	}
	for _, bad := range [][]string{
		{"--set", "account.last_name=" + strings.Repeat("V", 101)},
		{"--set", "account.shoe_size=44"},
		{"--set", "account.email=other@example.org"},
	} {
		code, _, errOut := run(t, env, append([]string{"requests", "rectify", id}, bad...)...)
		if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("rectify %v: exit %d, %q; want 1 and one line", bad, code, errOut)
		}
	}
	if code, _, _ = run(t, env, "requests", "rectify", id, "--set", "last_name"); code != 2 {
		t.Errorf("rectify with a malformed --set: exit %d, want 2", code)
	}
	s := openTestStore(t, env)
	if got, _ := s.Profile(context.Background(), person.ID, "account"); len(got) != 0 {
		t.Fatalf("a refused correction stored %v", got)
	}
	code, out, errOut = run(t, env, "requests", "rectify", id, "--set", "account.last_name=Visser", "--set", "account.first_name=Jan")
	if code != 0 || strings.TrimSpace(out) != id+": corrected account.first_name, account.last_name" {
		t.Fatalf("rectify: exit %d, %q %q", code, out, errOut)
	}
	got, err := s.Profile(context.Background(), person.ID, "account")
	if err != nil || got["last_name"] != "Visser" || got["first_name"] != "Jan" {
		t.Fatalf("record after rectify: %v %v", got, err)
	}
	if code, out, errOut = run(t, env, "requests", "complete", id, "--outcome", "surname corrected"); code != 0 || !strings.Contains(out, "completed") {
		t.Fatalf("complete after the correction: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = run(t, env, "requests", "show", id)
	if code != 0 || !strings.Contains(out, "rectified") || !strings.Contains(out, "account.last_name") {
		t.Fatalf("show: exit %d:\n%s", code, out)
	}
	var n int
	if err := s.Read().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'profile.update' AND actor = 'staff:a-officer'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("profile.update entries by the officer: %d %v", n, err)
	}
}
