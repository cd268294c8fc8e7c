package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"steward/internal/testkit"
)

// TestServeSendsSignupMailOverSMTP proves serve's wiring: a sign-up through
// the API reaches a real SMTP server without anyone running 'mail send-due'.
func TestServeSendsSignupMailOverSMTP(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	env := map[string]string{"STEWARD_DB": testkit.SQLiteDSN(t), "STEWARD_POLICY": testkit.PolicyPath(t, "zorginspirator"),
		"STEWARD_ADDR": "127.0.0.1:0", "STEWARD_SMTP_HOST": smtp.Host(), "STEWARD_SMTP_PORT": strconv.Itoa(smtp.Port()),
		"STEWARD_SMTP_TLS": "none", "STEWARD_MAIL_FROM": "Zorginspirator <noreply@zorginspirator.nl>"}
	srv := startServe(t, env)

	body := `{"email":"serve.test@example.nl","password":"correct horse battery","lang":"nl","fields":{}}`
	resp, err := http.Post(srv.Base+"/api/v1/signup", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("signup: %d", resp.StatusCode)
	}
	msgs := smtp.WaitFor(t, 1)
	if len(msgs) != 1 || !strings.Contains(strings.Join(msgs[0].EnvelopeTo, ","), "serve.test@example.nl") {
		t.Fatalf("captured %+v", msgs)
	}
	srv.Stop(t)
}

// TestServeRefusesBadTrustedProxy: a malformed --trusted-proxy (flag or
// STEWARD_TRUSTED_PROXIES) is one line on stderr, exit 1, and nothing is
// created (G3).
func TestServeRefusesBadTrustedProxy(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "steward.db")
	env := map[string]string{"STEWARD_DB": "sqlite:" + db, "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_ADDR": "127.0.0.1:0"}
	for _, args := range [][]string{{"serve", "--trusted-proxy", "10.0.0.0/8,proxy.local"}, {"serve", "--trusted-proxy=10.0.0.0/40"}} {
		code, _, errOut := run(t, env, args...)
		if code != 1 || !strings.Contains(errOut, "--trusted-proxy") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	env["STEWARD_TRUSTED_PROXIES"] = "not-a-cidr"
	if code, _, errOut := run(t, env, "serve"); code != 1 || !strings.Contains(errOut, "not-a-cidr") {
		t.Errorf("env: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("a bad proxy list created the database (stat err %v)", err)
	}
}
