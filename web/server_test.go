package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/store"
	"steward/web"
)

func newServer(t *testing.T, s *store.Store, site string) (*httptest.Server, *testkit.LogCapture) {
	t.Helper()
	log := testkit.Log(t)
	h := web.NewForTest(t, web.Config{Policy: testkit.Policy(t, site), Store: s, Log: log.Logger,
		Clock: clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))}, wiring.Config{})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, log
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHealthAndReadiness(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		srv, _ := newServer(t, s, "ivm")
		for _, path := range []string{"/healthz", "/readyz"} {
			if resp, body := get(t, srv.URL+path); resp.StatusCode != 200 {
				t.Errorf("%s: %d %s", path, resp.StatusCode, body)
			}
		}
		s.Close()
		if resp, _ := get(t, srv.URL+"/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("/readyz with a closed database: %d, want 503", resp.StatusCode)
		}
	})
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	srv, _ := newServer(t, testkit.SQLite(t), "ivm")
	for _, path := range []string{"/", "/nope", "/healthz", "/static/style.css"} {
		resp, _ := get(t, srv.URL+path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Request-Id") == "" {
			t.Errorf("%s: missing security headers: %v", path, h)
		}
	}
}

func TestHomeWorksWithoutAccountAndSetsNoCookie(t *testing.T) {
	srv, _ := newServer(t, testkit.SQLite(t), "zorginspirator")
	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, `<html lang="nl">`) {
		t.Fatalf("GET /: %d\n%s", resp.StatusCode, body)
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("home page set cookies for an anonymous visitor without a choice: %v", c)
	}
}

func TestLanguageSwitchKeepsThePage(t *testing.T) {
	srv, _ := newServer(t, testkit.SQLite(t), "ivm")
	_, body := get(t, srv.URL+"/?lang=en")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, `href="/" hreflang="nl"`) {
		t.Fatalf("English page lacks lang or a switch back to Dutch:\n%s", body)
	}
	resp, body := get(t, srv.URL+"/?lang=fr")
	if resp.StatusCode != 400 || !strings.Contains(body, "unknown language") {
		t.Fatalf("lang=fr: %d\n%s", resp.StatusCode, body)
	}
}

func TestNotFoundIsAPage(t *testing.T) {
	srv, _ := newServer(t, testkit.SQLite(t), "ivm")
	resp, body := get(t, srv.URL+"/no/such/page")
	if resp.StatusCode != 404 || !strings.Contains(body, "Deze pagina bestaat niet.") {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
	// It says "not found", not "something went wrong" (issue 13).
	if !strings.Contains(body, "<h1>Niet gevonden</h1>") || strings.Contains(body, "Er ging iets mis") {
		t.Fatalf("404 page title:\n%s", mainOf(t, body))
	}
}

func TestAPIErrorsAreJSON(t *testing.T) {
	srv, _ := newServer(t, testkit.SQLite(t), "ivm")
	resp, body := get(t, srv.URL+"/api/v1/no-such-thing")
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != "not_found" || e.Error.Message == "" {
		t.Fatalf("body %q (%v)", body, err)
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	srv, _ := newServer(t, testkit.SQLite(t), "ivm")
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader("x=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: %d, want 403", resp.StatusCode)
	}
}

func TestOversizeBodyIsRefused(t *testing.T) {
	srv, _ := newServer(t, testkit.SQLite(t), "ivm")
	resp, err := http.Post(srv.URL+"/api/v1/anything", "application/json", strings.NewReader(strings.Repeat("x", 1<<20)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("1 MiB body: %d, want 413", resp.StatusCode)
	}
}

func TestAccessLogHoldsNoQueryStrings(t *testing.T) {
	srv, log := newServer(t, testkit.SQLite(t), "ivm")
	get(t, srv.URL+"/nope?email=jan.jansen@example.org&token=s3cr3t")
	log.AssertNoValues(t, "jan.jansen@example.org", "s3cr3t")
	if !strings.Contains(log.String(), `"path":"/nope"`) {
		t.Fatalf("access log lacks the path: %s", log.String())
	}
}

// TestFavicon: the page links an icon that is served, and /favicon.ico,
// which browsers ask for anyway, leads to it (issue 13).
func TestFavicon(t *testing.T) {
	srv, _ := newServer(t, testkit.SQLite(t), "ivm")
	if _, body := get(t, srv.URL+"/"); !strings.Contains(body, `<link rel="icon" href="/static/favicon.svg"`) {
		t.Fatal("the page links no icon")
	}
	for _, path := range []string{"/static/favicon.svg", "/favicon.ico"} {
		resp, body := get(t, srv.URL+path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}
