package web_test

import (
	"net/http"
	"testing"

	"steward/internal/testkit"
	"steward/web"
)

// TestHTTPSBaseURLSecuresTheSession: behind a TLS proxy that is not
// listed as trusted, an https base URL alone makes the session cookie
// Secure with the __Host- prefix and sends HSTS (issue 14, finding 8: the
// cookie was not Secure unless trusted proxies were configured).
func TestHTTPSBaseURLSecuresTheSession(t *testing.T) {
	st := newSite(t, testkit.SQLite(t), "ivm", func(c *web.Config) { c.Secure = true })
	b := st.browser()
	st.signUpAndConfirm(b, "anna@example.nl")
	resp := b.login("anna@example.nl", "correct horse battery")
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-steward_session" {
			session = c
		}
		if c.Name == "steward_session" {
			t.Errorf("the session cookie is set without the __Host- prefix")
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.Path != "/" || session.Domain != "" {
		t.Fatalf("session cookie %+v; want __Host-steward_session, Secure, HttpOnly, Path=/, no Domain", session)
	}
	if h := resp.Header.Get("Strict-Transport-Security"); h == "" {
		t.Fatal("no HSTS header")
	}
	// Plain HTTP without an https base URL keeps the plain name, no HSTS.
	plain := newSite(t, testkit.SQLite(t), "ivm")
	pb := plain.browser()
	plain.signUpAndConfirm(pb, "bob@example.nl")
	resp = pb.login("bob@example.nl", "correct horse battery")
	if c := sessionCookie(resp); c == nil || c.Secure || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("plain HTTP: cookie %+v, HSTS %q", c, resp.Header.Get("Strict-Transport-Security"))
	}
}
