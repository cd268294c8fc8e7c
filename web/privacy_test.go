package web_test

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/web"
)

// update rewrites web/testdata/*.golden: go test ./web -update (review the diff).
var update = flag.Bool("update", false, "rewrite web/testdata/*.golden from the current output")

// privacyServer serves one real site's policy through the real router and
// middleware.
func privacyServer(t *testing.T, site string) *httptest.Server {
	t.Helper()
	h := web.NewForTest(t, web.Config{Policy: testkit.Policy(t, site), Store: testkit.SQLite(t), Log: slog.New(slog.DiscardHandler)}, wiring.Config{})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestPrivacyPage: /privacy is the statement rendered from the policy in
// force, Dutch by default and English on request (G1), readable without
// JavaScript and without any cookie.
func TestPrivacyPage(t *testing.T) {
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			p := testkit.Policy(t, site)
			srv := privacyServer(t, site)
			for _, tc := range []struct {
				query, lang, title string
			}{
				{"", "nl", "Privacyverklaring " + p.Site.Name},
				{"?lang=nl", "nl", "Privacyverklaring " + p.Site.Name},
				{"?lang=en", "en", "Privacy statement " + p.Site.Name},
			} {
				resp, body := fetch(t, srv.URL+"/privacy"+tc.query)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET /privacy%s: %d\n%s", tc.query, resp.StatusCode, body)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("GET /privacy%s: Content-Type %q", tc.query, ct)
				}
				if !strings.Contains(body, `<html lang="`+tc.lang+`">`) || !strings.Contains(body, `<article class="statement" lang="`+tc.lang+`"`) {
					t.Errorf("GET /privacy%s: not in %s", tc.query, tc.lang)
				}
				if !strings.Contains(body, "<title>"+tc.title) || !strings.Contains(body, `<h1 id="statement-title">`+tc.title+"</h1>") {
					t.Errorf("GET /privacy%s: title %q missing", tc.query, tc.title)
				}
				for _, want := range []string{p.Rights.Complaint.Authority, `href="` + p.Rights.Complaint.URL + `"`, p.Controller.Name, `href="/privacy/statement.css"`} {
					if !strings.Contains(body, want) {
						t.Errorf("GET /privacy%s: %q missing", tc.query, want)
					}
				}
				// The statement needs no JavaScript: the page's own part has
				// no script at all, and nothing on the page is inline script
				// or style (the CSP allows neither). The layout may load the
				// policy's declared cookie scripts (issue 6) as external,
				// deferred files; the statement is complete without them.
				main := mainOf(t, body)
				for _, bad := range []string{"<script", "<style", " style=", " onclick=", "javascript:"} {
					if strings.Contains(main, bad) {
						t.Errorf("GET /privacy%s: the statement contains %q", tc.query, bad)
					}
				}
				for _, bad := range []string{"<style", " style=", " onclick=", " onload=", "javascript:"} {
					if strings.Contains(body, bad) {
						t.Errorf("GET /privacy%s: page contains %q", tc.query, bad)
					}
				}
				for rest := body; strings.Contains(rest, "<script"); {
					rest = rest[strings.Index(rest, "<script"):]
					tag := rest[:strings.Index(rest+">", ">")]
					if !strings.Contains(tag, " src=") || !strings.Contains(tag, " defer") {
						t.Errorf("GET /privacy%s: inline or blocking script %q", tc.query, tag)
					}
					rest = rest[len("<script"):]
				}
				if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
					t.Errorf("GET /privacy%s set cookies: %v", tc.query, c)
				}
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
					t.Errorf("GET /privacy%s: CSP %q", tc.query, csp)
				}
				golden := filepath.Join("testdata", "privacy."+site+"."+tc.lang+".golden")
				if tc.query == "" {
					continue // the default is compared with ?lang=nl below
				}
				checkGolden(t, golden, mainOf(t, body))
			}
			_, def := fetch(t, srv.URL+"/privacy")
			_, nl := fetch(t, srv.URL+"/privacy?lang=nl")
			if mainOf(t, def) != mainOf(t, nl) {
				t.Error("/privacy and /privacy?lang=nl differ: Dutch must be the default")
			}
		})
	}
}

// mainOf returns the page's <main> element: the privacy page's own part.
// The golden file leaves out the shared layout, which has its own tests
// and changes with every page added to the navigation.
func mainOf(t testing.TB, body string) string {
	t.Helper()
	i, j := strings.Index(body, "<main"), strings.LastIndex(body, "</main>")
	if i < 0 || j < i {
		t.Fatalf("page has no <main>:\n%s", body)
	}
	return body[i:j+len("</main>")] + "\n"
}

// TestPrivacyPageRefusesUnknownLanguage: a language Steward does not speak
// is a 400 with a message, never a silent fallback.
func TestPrivacyPageRefusesUnknownLanguage(t *testing.T) {
	srv := privacyServer(t, "ivm")
	for _, q := range []string{"?lang=de", "?lang=EN", "?lang=%3Cscript%3E"} {
		resp, body := fetch(t, srv.URL+"/privacy"+q)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /privacy%s: %d, want 400", q, resp.StatusCode)
		}
		if !strings.Contains(body, "unknown language") {
			t.Errorf("GET /privacy%s: no message saying why:\n%s", q, body)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("GET /privacy%s: the language was echoed unescaped", q)
		}
	}
}

// TestPrivacyStylesheet: the statement's one stylesheet is served as a
// file, since the CSP allows no inline style.
func TestPrivacyStylesheet(t *testing.T) {
	srv := privacyServer(t, "zorginspirator")
	resp, body := fetch(t, srv.URL+"/privacy/statement.css")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("GET /privacy/statement.css: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, ".statement") {
		t.Error("stylesheet does not style the statement")
	}
}

// checkGolden compares body with a golden file, or rewrites it with -update.
func checkGolden(t *testing.T, golden, body string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./web -update)", err)
	}
	if !bytes.Equal(want, []byte(body)) {
		t.Errorf("%s differs from the page; run go test ./web -update and review the diff", golden)
	}
}
