package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
)

func TestConsentReceiptVerifyAndTamper(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"STEWARD_DB":               "sqlite:" + filepath.Join(dir, "s.db"),
		"STEWARD_POLICY":           testkit.PolicyPath(t, "zorginspirator"),
		"STEWARD_CONSENT_KEY_FILE": filepath.Join(dir, "consent.key"),
		"STEWARD_AUDIT_KEY":        filepath.Join(dir, "audit.key"),
	}
	s := openTestStore(t, env)
	svc := consent.NewService(testkit.Policy(t, "zorginspirator"), s, testkitClock())
	if err := svc.Give(context.Background(), "acc1", "research_panel", policy.ChannelSignup, "nl"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	file := filepath.Join(dir, "receipt.json")
	code, _, errOut := run(t, env, "consent", "receipt", "--subject", "acc1", "--out", file)
	if code != 0 || !strings.Contains(errOut, "created a new consent signing key") {
		t.Fatalf("receipt: exit %d, stderr %q", code, errOut)
	}
	code, out, _ := run(t, env, "consent", "verify-receipt", file)
	if code != 0 || !strings.Contains(out, "valid: 1 records") {
		t.Fatalf("verify: exit %d, %q", code, out)
	}
	data, _ := os.ReadFile(file)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, bytes.Replace(data, []byte(`research_panel`), []byte(`newsletter`), 1), 0o600)
	code, out, _ = run(t, env, "consent", "verify-receipt", bad)
	if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "NOT valid") {
		t.Fatalf("tampered: exit %d, %q", code, out)
	}
}

func testkitClock() *clock.Fixed {
	return clock.NewFixed(time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC))
}
