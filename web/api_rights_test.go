package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// apiUser signs a Zorginspirator person up through the API, confirms the
// address by the link of the site's first mail and logs in; it returns
// the bearer token.
func apiUser(t *testing.T, st *site, b *browser, email string) string {
	t.Helper()
	resp, body := b.api("POST", "/api/v1/signup", "", `{"email":"`+email+`","password":"long enough pw","fields":{"account":{"username":"zee"},"profile":{"age":"34","postcode":"1234ab"}}}`)
	if resp.StatusCode != 202 {
		t.Fatalf("sign-up: %d %v", resp.StatusCode, body)
	}
	link, _ := st.mailLink(1)
	token := link[strings.Index(link, "token=")+len("token="):]
	if resp, body := b.api("POST", "/api/v1/verify", "", `{"token":"`+token+`"}`); resp.StatusCode != 200 {
		t.Fatalf("verify: %d %v", resp.StatusCode, body)
	}
	resp, body = b.api("POST", "/api/v1/login", "", `{"email":"`+email+`","password":"long enough pw"}`)
	bearer, _ := body["token"].(string)
	if resp.StatusCode != 200 || bearer == "" {
		t.Fatalf("login: %d %v", resp.StatusCode, body)
	}
	return bearer
}

// apiGet is a GET of path with the bearer token, for a body that is not
// JSON.
func apiGet(t *testing.T, b *browser, path, bearer string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", b.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	return req
}

// body2json is a decoded body written out again, to search it.
func body2json(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAPIOffersWhatMyDataOffers (issue 13, item 12): through the JSON API
// a person lists, gives and withdraws consents, makes and lists requests,
// objects, restricts processing, downloads the export and erases the
// account — the desk and consent service of the pages, audited alike; bad
// input is 400 and changes nothing (both stores).
func TestAPIOffersWhatMyDataOffers(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "zorginspirator")
		b := st.browser()
		bearer := apiUser(t, st, b, "z@example.nl")
		acct, err := s.AccountByEmail(ctx, "z@example.nl")
		if err != nil {
			t.Fatal(err)
		}
		who := audit.Pseudonym(acct.Pseudonym)

		if resp, _ := b.api("GET", "/api/v1/me/consents", "", ""); resp.StatusCode != 401 {
			t.Fatalf("consents without a login: %d", resp.StatusCode)
		}
		resp, body := b.api("GET", "/api/v1/me/consents", bearer, "")
		list, _ := body["consents"].([]any)
		if resp.StatusCode != 200 || len(list) != 2 {
			t.Fatalf("consents: %d %v", resp.StatusCode, body)
		}
		for _, c := range list {
			c := c.(map[string]any)
			if c["given"] != false || c["name"].(map[string]any)["en"] == "" {
				t.Errorf("consent before any answer: %v", c)
			}
		}

		// Consents: bad input changes nothing; give, then withdraw.
		since := testkit.AuditHead(t, s)
		for _, bad := range []struct{ path, body, field string }{
			{"/api/v1/me/consents/usability", `{"given":true}`, "purpose"},
			{"/api/v1/me/consents/newsletter", `{"lang":"en"}`, "given"},
			{"/api/v1/me/consents/newsletter", `{"given":"yes"}`, "given"},
		} {
			resp, body := b.api("PUT", bad.path, bearer, bad.body)
			e, _ := body["error"].(map[string]any)
			if resp.StatusCode != 400 || e["field"] != bad.field {
				t.Errorf("PUT %s %s: %d %v, want 400 on %s", bad.path, bad.body, resp.StatusCode, body, bad.field)
			}
		}
		testkit.AssertAudit(t, s, since)
		for _, given := range []string{"true", "false"} {
			since = testkit.AuditHead(t, s)
			resp, body = b.api("PUT", "/api/v1/me/consents/newsletter", bearer, `{"given":`+given+`,"lang":"en"}`)
			if resp.StatusCode != 200 || body["given"] != (given == "true") {
				t.Fatalf("consent given=%s: %d %v", given, resp.StatusCode, body)
			}
			action := audit.ConsentGive
			if given == "false" {
				action = audit.ConsentWithdraw
			}
			testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: action, Subject: who})
		}
		_, body = b.api("GET", "/api/v1/me/consents", bearer, "")
		for _, c := range body["consents"].([]any) {
			if c := c.(map[string]any); c["purpose"] == "newsletter" && (c["given"] != false || c["channel"] != "settings" || c["since"] == nil) {
				t.Errorf("newsletter after withdrawal: %v", c)
			}
		}

		// Requests: a bad type stores nothing; a rectification is made,
		// listed, and audited.
		since = testkit.AuditHead(t, s)
		if resp, body := b.api("POST", "/api/v1/me/requests", bearer, `{"type":"gossip"}`); resp.StatusCode != 400 {
			t.Fatalf("bad request type: %d %v", resp.StatusCode, body)
		}
		testkit.AssertAudit(t, s, since)
		resp, body = b.api("POST", "/api/v1/me/requests", bearer, `{"type":"rectification","details":"my postcode is 1234 AC"}`)
		id, _ := body["id"].(string)
		if resp.StatusCode != 201 || id == "" || body["type"] != "rectification" || body["channel"] != "self_service" || body["deadline"] == nil {
			t.Fatalf("new request: %d %v", resp.StatusCode, body)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.RequestCreate, Subject: who})
		resp, body = b.api("GET", "/api/v1/me/requests", bearer, "")
		reqs, _ := body["requests"].([]any)
		if resp.StatusCode != 200 || len(reqs) != 1 || reqs[0].(map[string]any)["id"] != id || strings.Contains(body2json(body), "1234 AC") {
			t.Fatalf("requests: %d %v", resp.StatusCode, body)
		}

		// Objection (Art. 21) to a legitimate-interest purpose; not to a
		// consent-based one.
		if resp, body := b.api("POST", "/api/v1/me/object", bearer, `{"purpose":"newsletter"}`); resp.StatusCode != 400 {
			t.Fatalf("objection to a consent purpose: %d %v", resp.StatusCode, body)
		}
		if resp, body := b.api("POST", "/api/v1/me/object", bearer, `{"purpose":"usability"}`); resp.StatusCode != 200 || body["status"] != "objected" {
			t.Fatalf("objection: %d %v", resp.StatusCode, body)
		}
		// Restriction (Art. 18): a reason is required.
		since = testkit.AuditHead(t, s)
		if resp, body := b.api("POST", "/api/v1/me/restrict", bearer, `{"reason":""}`); resp.StatusCode != 400 {
			t.Fatalf("restriction without a reason: %d %v", resp.StatusCode, body)
		}
		testkit.AssertAudit(t, s, since)
		if resp, body := b.api("POST", "/api/v1/me/restrict", bearer, `{"reason":"my age is wrong"}`); resp.StatusCode != 200 || body["status"] != "restricted" {
			t.Fatalf("restriction: %d %v", resp.StatusCode, body)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.AccountRestrict, Subject: who})
		_, body = b.api("GET", "/api/v1/me/data", bearer, "")
		limits, _ := body["processing_limits"].([]any)
		if len(limits) != 2 {
			t.Fatalf("processing limits after objection and restriction: %v", body["processing_limits"])
		}

		// The export and erasure, like the page's, need a login within
		// the last 15 minutes: refused after 16, and nothing recorded.
		st.clock.Advance(16 * time.Minute)
		since = testkit.AuditHead(t, s)
		if resp, _ := b.do(apiGet(t, b, "/api/v1/me/export", bearer)); resp.StatusCode != 401 {
			t.Fatalf("export 16 minutes after login: %d, want 401", resp.StatusCode)
		}
		if resp, body := b.api("POST", "/api/v1/me/erase", bearer, `{"confirm":true}`); resp.StatusCode != 401 || errCode(body) != "unauthorized" {
			t.Fatalf("erasure 16 minutes after login: %d %v", resp.StatusCode, body)
		}
		testkit.AssertAudit(t, s, since)
		resp, body = b.api("POST", "/api/v1/login", "", `{"email":"z@example.nl","password":"long enough pw"}`)
		if bearer, _ = body["token"].(string); resp.StatusCode != 200 || bearer == "" {
			t.Fatalf("login again: %d %v", resp.StatusCode, body)
		}

		// The export: the ZIP of My data, audited before it is sent.
		since = testkit.AuditHead(t, s)
		req := apiGet(t, b, "/api/v1/me/export", bearer)
		resp, raw := b.do(req)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		files := unzip(t, raw)
		if !strings.Contains(files["data.json"], acct.ID) {
			t.Fatalf("export's data.json lacks the subject id")
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ExportDownload, Subject: who})

		// Erasure: only when confirmed; then the token is dead.
		if resp, body := b.api("POST", "/api/v1/me/erase", bearer, `{}`); resp.StatusCode != 400 {
			t.Fatalf("erasure unconfirmed: %d %v", resp.StatusCode, body)
		}
		if _, err := s.AccountByID(ctx, acct.ID); err != nil {
			t.Fatalf("an unconfirmed erasure erased: %v", err)
		}
		if resp, body := b.api("POST", "/api/v1/me/erase", bearer, `{"confirm":true}`); resp.StatusCode != 200 || body["status"] != "erased" {
			t.Fatalf("erasure: %d %v", resp.StatusCode, body)
		}
		if resp, _ := b.api("GET", "/api/v1/me/data", bearer, ""); resp.StatusCode != 401 {
			t.Fatalf("after erasure: %d", resp.StatusCode)
		}
	})
}
