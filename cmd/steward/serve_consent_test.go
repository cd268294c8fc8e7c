package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"steward/internal/testkit"
)

// TestServeKeepsCookieChoiceAcrossRestart: serve loads the site's consent
// key (issue 6), creating it on first start with a message, so a cookie
// choice signed before a restart is still honoured after it. With an
// ephemeral key the notice would come back and the visitor's answer would
// be lost.
func TestServeKeepsCookieChoiceAcrossRestart(t *testing.T) {
	env := map[string]string{"STEWARD_DB": testkit.SQLiteDSN(t), "STEWARD_POLICY": testkit.PolicyPath(t, "zorginspirator"),
		"STEWARD_ADDR": "127.0.0.1:0"}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	home := func(base string, cookies ...*http.Cookie) string {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}

	srv := startServe(t, env)
	base := srv.Base
	keyFile := env["STEWARD_CONSENT_KEY_FILE"]
	if !strings.Contains(srv.Stderr.String(), "created a new consent signing key in "+keyFile) {
		t.Errorf("first start does not say it created the consent key: %s", srv.Stderr.String())
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("consent key file: %v %v, want mode 0600", fi, err)
	}
	resp, err := noRedirect.PostForm(base+"/cookies", url.Values{"choice": {"none"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var choice *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "steward_consent" {
			choice = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || choice == nil {
		t.Fatalf("POST /cookies: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if strings.Contains(home(base, choice), `id="cookie-notice"`) {
		t.Fatal("the notice is shown right after the choice")
	}
	srv.Stop(t)

	srv = startServe(t, env)
	base = srv.Base
	if strings.Contains(srv.Stderr.String(), "created a new consent signing key") || strings.Contains(srv.Stderr.String(), "no consent key configured") {
		t.Errorf("second start did not reuse the key: %s", srv.Stderr.String())
	}
	if strings.Contains(home(base, choice), `id="cookie-notice"`) {
		t.Error("after a restart the cookie choice is no longer honoured: serve does not pass the consent key to the web server")
	}
}
