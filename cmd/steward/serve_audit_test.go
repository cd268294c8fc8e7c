package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"steward/internal/testkit"
)

// TestServeSignsTheAuditLog: what serve appends is signed with
// STEWARD_AUDIT_KEY, created at start with a message, so after a sign-up
// through the API 'audit verify' with that key — or with only its public
// key, as an auditor has it — finds every entry intact and the head signed
// (issue 5, G2). Before, serve left the head unsigned and verify said so.
func TestServeSignsTheAuditLog(t *testing.T) {
	env := map[string]string{"STEWARD_DB": testkit.SQLiteDSN(t), "STEWARD_POLICY": testkit.PolicyPath(t, "zorginspirator"),
		"STEWARD_ADDR": "127.0.0.1:0"}
	srv := startServe(t, env)
	if !strings.Contains(srv.Stderr.String(), "generated the audit signing key "+env["STEWARD_AUDIT_KEY"]) {
		t.Errorf("serve did not say where it wrote the new audit key:\n%s", srv.Stderr.String())
	}
	for _, email := range []string{"een@example.nl", "twee@example.nl"} {
		body := `{"email":"` + email + `","password":"correct horse battery","lang":"nl","fields":{}}`
		resp, err := http.Post(srv.Base+"/api/v1/signup", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("signup: %d", resp.StatusCode)
		}
	}
	srv.Stop(t)

	code, report, stderr := run(t, env, "audit", "verify")
	m := regexp.MustCompile(`checked (\d+) entries up to (\d+) .*\(signatures checked with key [0-9a-f]+, genesis at entry 1\).*: intact`).FindStringSubmatch(report)
	if code != 0 || m == nil || stderr != "" {
		t.Fatalf("audit verify after serve: exit %d\n%s%s", code, report, stderr)
	}
	if n, _ := strconv.Atoi(m[1]); n < 2 || m[1] != m[2] {
		t.Fatalf("verify checked %s entries up to %s, want every entry of two sign-ups", m[1], m[2])
	}
	code, pub, stderr := run(t, env, "audit", "pubkey")
	if code != 0 {
		t.Fatalf("audit pubkey: exit %d %s", code, stderr)
	}
	pubFile := filepath.Join(t.TempDir(), "audit.pub")
	if err := os.WriteFile(pubFile, []byte(pub), 0o644); err != nil {
		t.Fatal(err)
	}
	auditor := map[string]string{"STEWARD_DB": env["STEWARD_DB"]}
	if code, out, stderr := run(t, auditor, "audit", "verify", "--pubkey", pubFile); code != 0 || out != report[:strings.Index(report, " in ")]+out[strings.Index(out, " in "):] {
		t.Fatalf("audit verify --pubkey: exit %d\n%s%s\nwant the same report as with the key:\n%s", code, out, stderr, report)
	}
}
