package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPolicyCheckRefusesWhatIsNoFile: /dev/zero ran 'policy check' out of
// memory and a FIFO made it hang where SIGTERM did not reach it (issue 14,
// finding 9). Each is refused at once with one line naming the file.
func TestPolicyCheckRefusesWhatIsNoFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "policy.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, maxPolicyFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"/dev/zero", "not a regular file"},
		{fifo, "not a regular file"},
		{dir, "not a regular file"},
		{big, "more than the"},
	} {
		done := make(chan struct{})
		var code int
		var errOut string
		go func() {
			defer close(done)
			code, _, errOut = run(t, nil, "policy", "check", tc.path)
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("policy check %s still running after 30 s", tc.path)
		}
		if code != 1 || !strings.Contains(errOut, tc.path) || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("policy check %s: exit %d, stderr %q; want exit 1 and one line saying %q", tc.path, code, errOut, tc.want)
		}
	}
}
