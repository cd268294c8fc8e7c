package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
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
		resp, body = b.api("POST", "/api/v1/signup", "", `{"email":"z@example.nl","password":"long enough pw","fields":{"account":{"username":"zee"},"profile":{"age":"34","postcode":"1234ab"}}}`)
		if resp.StatusCode != 202 {
			t.Fatalf("sign-up: %d %v", resp.StatusCode, body)
		}
		link, _ := st.mailLink(1)
		token := link[strings.Index(link, "token=")+len("token="):]
		if resp, body := b.api("POST", "/api/v1/verify", "", `{"token":"`+token+`"}`); resp.StatusCode != 200 {
			t.Fatalf("verify: %d %v", resp.StatusCode, body)
		}
		resp, body = b.api("POST", "/api/v1/login", "", `{"email":"z@example.nl","password":"long enough pw"}`)
		bearer, _ := body["token"].(string)
		if resp.StatusCode != 200 || bearer == "" {
			t.Fatalf("login: %d %v", resp.StatusCode, body)
		}
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
