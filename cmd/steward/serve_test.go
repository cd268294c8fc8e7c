package main

import (
	"context"
	"net"
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

// TestServeRefusesAnotherDataKey: after a first start has sealed the
// database to its data key, serve without the key file — or with a new
// one from 'steward keygen' — exits 1 with one line naming the file and
// the key the database needs, and creates no key (R3, issue 4).
func TestServeRefusesAnotherDataKey(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		env := map[string]string{"STEWARD_DB": dsn, "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_ADDR": "127.0.0.1:0"}
		startServe(t, env).Stop(t)
		keyFile := env["STEWARD_KEY_FILE"]
		s := openTestStore(t, env)
		id, err := s.DataKeyID(context.Background())
		if err != nil || id == "" {
			t.Fatalf("the first start recorded no data key id: %q, %v", id, err)
		}
		if err := os.Remove(keyFile); err != nil {
			t.Fatal(err)
		}
		refused := func(what string) {
			t.Helper()
			code, out, errOut := run(t, env, "serve")
			if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("%s: exit %d, stdout %q, stderr %q; want exit 1 and one line", what, code, out, errOut)
			}
			for _, w := range []string{"steward serve: ", keyFile, id, "restore"} {
				if !strings.Contains(errOut, w) {
					t.Errorf("%s: %q does not mention %q", what, errOut, w)
				}
			}
		}
		refused("missing key file")
		if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
			t.Fatalf("serve created a key file for a database sealed with another (stat err %v)", err)
		}
		if code, _, errOut := run(t, env, "keygen", "--out", keyFile); code != 0 {
			t.Fatalf("keygen: exit %d: %s", code, errOut)
		}
		refused("a new key from keygen")
	})
}

// TestServeWarnsOfReadableDatabase: serve starts on a database file others
// can read, as before, but says so at start with the fix (issue 14,
// finding 11).
func TestServeWarnsOfReadableDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "steward.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, map[string]string{"STEWARD_DB": "sqlite:" + db, "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_ADDR": "127.0.0.1:0"})
	srv.Stop(t)
	if log := srv.Stderr.String(); !strings.Contains(log, "mode 0644") || !strings.Contains(log, "chmod 600") {
		t.Fatalf("no warning about the file's mode in the log:\n%s", log)
	}
}

// TestServeHTTPSBaseURLSendsHSTS: serve on plain HTTP behind a TLS proxy
// it does not know, with an https base URL: pages carry HSTS, since the
// browser reached the site over HTTPS (issue 14, finding 8).
func TestServeHTTPSBaseURLSendsHSTS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := startServe(t, map[string]string{"STEWARD_DB": testkit.SQLiteDSN(t), "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"),
		"STEWARD_ADDR": addr, "STEWARD_BASE_URL": "https://www.medicijngebruik.example"})
	defer srv.Stop(t)
	resp, err := http.Get("http://" + addr + "/privacy")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("GET /privacy: no Strict-Transport-Security")
	}
}
