package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/store"
	"steward/web"
)

func (b *browser) api(method, path, token, body string) (*http.Response, map[string]any) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, raw := b.do(req)
	var out map[string]any
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			b.t.Fatalf("%s %s: not JSON: %q", method, path, raw)
		}
	}
	return resp, out
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestAPISelfService(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "zorginspirator")
		b := st.browser()
		// Unknown JSON fields are refused and nothing is created.
		resp, body := b.api("POST", "/api/v1/signup", "", `{"email":"z@example.nl","password":"long enough pw","shoe":"42"}`)
		if resp.StatusCode != 400 || errCode(body) != "invalid" {
			t.Fatalf("unknown field: %d %v", resp.StatusCode, body)
		}
		// Every bad field at once.
		resp, body = b.api("POST", "/api/v1/signup", "", `{"email":"nope","password":"short","fields":{"profile":{"age":"7","postcode":"x"}}}`)
		if errs, _ := body["errors"].([]any); resp.StatusCode != 400 || len(errs) != 4 {
			t.Fatalf("bad sign-up: %d %v", resp.StatusCode, body)
		}
		bearer := apiUser(t, st, b, "z@example.nl")
		resp, body = b.api("GET", "/api/v1/profile", bearer, "")
		fields, _ := body["fields"].(map[string]any)
		prof, _ := fields["profile"].(map[string]any)
		if resp.StatusCode != 200 || prof["postcode"] != "1234 AB" {
			t.Fatalf("profile: %d %v", resp.StatusCode, body)
		}
		if resp, body := b.api("PATCH", "/api/v1/profile", bearer, `{"fields":{"profile":{"religion":"x"}}}`); resp.StatusCode != 400 {
			t.Fatalf("undeclared field: %d %v", resp.StatusCode, body)
		}
		if resp, body := b.api("PATCH", "/api/v1/profile", bearer, `{"fields":{"profile":{"age":40}}}`); resp.StatusCode != 400 {
			t.Fatalf("wrong type: %d %v", resp.StatusCode, body)
		}
		if resp, body := b.api("PATCH", "/api/v1/profile", bearer, `{"fields":{"profile":{"age":"40"}}}`); resp.StatusCode != 200 {
			t.Fatalf("edit: %d %v", resp.StatusCode, body)
		}
		since := testkit.AuditHead(t, s)
		if resp, _ := b.api("POST", "/api/v1/logout", bearer, ""); resp.StatusCode != 204 {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		a, _ := s.AccountByEmail(context.Background(), "z@example.nl")
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.SessionLogout, ObjectKind: "account", ObjectID: a.ID})
		if resp, body := b.api("GET", "/api/v1/profile", bearer, ""); resp.StatusCode != 401 || errCode(body) != "unauthorized" {
			t.Fatalf("after logout: %d %v", resp.StatusCode, body)
		}
	})
}

// TestSignupRateLimitKeysOnTheForwardedClient: behind a trusted proxy
// (here the test's own loopback peer) each forwarded client has its own
// bucket and cannot pick another by writing X-Forwarded-For itself; with
// no trusted proxy the header is ignored and every request shares the
// peer's bucket (issue 4, item 3).
func TestSignupRateLimitKeysOnTheForwardedClient(t *testing.T) {
	// A body that passes decoding and the limit, then fails validation:
	// 400 while the bucket has tokens, 429 once it is empty.
	const body = `{"email":"not an address","password":"x"}`
	post := func(base string, xff ...string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/api/v1/signup", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for _, v := range xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	start := func(proxies string) string {
		trusted, err := web.ParseTrustedProxies(proxies)
		if err != nil {
			t.Fatal(err)
		}
		h := web.NewForTest(t, web.Config{Policy: testkit.Policy(t, "zorginspirator"), Store: testkit.SQLite(t), Log: testkit.Log(t).Logger,
			Clock: clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)), TrustedProxies: trusted}, wiring.Config{})
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}

	t.Run("no_trusted_proxy_ignores_the_header", func(t *testing.T) {
		base := start("")
		for i := range 5 {
			if got := post(base, "198.51.100."+strconv.Itoa(i+1)); got != 400 {
				t.Fatalf("request %d: %d, want 400", i+1, got)
			}
		}
		if got := post(base, "198.51.100.99"); got != http.StatusTooManyRequests {
			t.Fatalf("sixth request with a fresh X-Forwarded-For: %d, want 429 (the header must be ignored)", got)
		}
	})
	t.Run("trusted_proxy_gives_each_client_its_bucket", func(t *testing.T) {
		base := start("127.0.0.0/8, ::1/128")
		for i := range 5 {
			if got := post(base, "198.51.100.7"); got != 400 {
				t.Fatalf("request %d: %d, want 400", i+1, got)
			}
		}
		// The client writes another address to the left; the proxy
		// appends the real one, which is still out of tokens.
		if got := post(base, "203.0.113.1, 198.51.100.7"); got != http.StatusTooManyRequests {
			t.Fatalf("spoofed header: %d, want 429", got)
		}
		if got := post(base, "198.51.100.8"); got != 400 {
			t.Fatalf("another client behind the proxy: %d, want 400 (its own bucket)", got)
		}
	})
}
