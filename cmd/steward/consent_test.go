package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/audit"
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
	if code != 0 || errOut != "" {
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

// TestConsentReceiptIsAudited: 'consent receipt' records export.download
// by system:cli on the subject's receipt before it writes it (R12), to
// stdout or to --out, on both stores; a subject that is no opaque id or an
// --out that cannot be written is exit 1 with one line, and records
// nothing.
func TestConsentReceiptIsAudited(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		env, person := requestsEnvOn(t, dsn)
		dir := t.TempDir()
		env["STEWARD_CONSENT_KEY_FILE"] = filepath.Join(dir, "consent.key")
		if _, _, err := consent.LoadOrCreateKey(env["STEWARD_CONSENT_KEY_FILE"]); err != nil {
			t.Fatal(err)
		}
		s := openTestStore(t, env)
		if err := consent.NewService(testkit.Policy(t, "ivm"), s, testkitClock()).Give(ctx, person.ID, "newsletter", policy.ChannelSettings, "nl"); err != nil {
			t.Fatal(err)
		}
		want := testkit.AuditWant{Action: audit.ExportDownload, Actor: audit.System("cli"), ObjectKind: "consent_receipt",
			ObjectID: person.ID, Subject: audit.Pseudonym(person.Pseudonym), Fields: []string{"consent_history", "notice_texts"}}

		since := testkit.AuditHead(t, s)
		for _, args := range [][]string{
			{"consent", "receipt", "--subject", "jan@example.org"},
			{"consent", "receipt", "--subject", person.ID, "--out", filepath.Join(dir, "missing", "receipt.json")},
		} {
			code, out, errOut := run(t, env, args...)
			if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "jan@") {
				t.Fatalf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line", args, code, out, errOut)
			}
		}
		testkit.AssertAudit(t, s, since)

		code, out, errOut := run(t, env, "consent", "receipt", "--subject", person.ID)
		if code != 0 || !strings.Contains(out, `"signature"`) {
			t.Fatalf("receipt: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		testkit.AssertAudit(t, s, since, want)

		since = testkit.AuditHead(t, s)
		file := filepath.Join(dir, "receipt.json")
		if code, out, errOut := run(t, env, "consent", "receipt", "--subject", person.ID, "--out", file); code != 0 || out != "wrote "+file+"\n" {
			t.Fatalf("receipt --out: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		testkit.AssertAudit(t, s, since, want)
		if code, out, _ := run(t, env, "consent", "verify-receipt", file); code != 0 || !strings.Contains(out, "valid: 1 records") {
			t.Fatalf("verify the written receipt: exit %d, %q", code, out)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".consent-receipt-*")); len(left) != 0 {
			t.Errorf("temporary files left behind: %v", left)
		}
	})
}
