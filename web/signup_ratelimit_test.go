package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/store"
	"steward/web"
)

// behindProxy makes the test's loopback peer a trusted proxy, so each
// request can come from its own client address (X-Forwarded-For).
func behindProxy(t *testing.T) func(*web.Config) {
	trusted, err := web.ParseTrustedProxies("127.0.0.0/8, ::1/128")
	if err != nil {
		t.Fatal(err)
	}
	return func(cfg *web.Config) { cfg.TrustedProxies = trusted }
}

// postFrom posts a form as the client at ip behind the trusted proxy.
func (b *browser) postFrom(ip, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", ip)
	return b.do(req)
}

// mailsTo counts the outbox mails addressed to addr.
func mailsTo(t *testing.T, s *store.Store, addr string) int {
	t.Helper()
	all, err := s.OutboxList(context.Background(), store.OutboxFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range all {
		if strings.Contains(strings.ToLower(m.Recipient), addr) {
			n++
		}
	}
	return n
}

// TestSignupLimitedPerAddress: sign-ups for one address from ever new
// client addresses — each sign-up for a registered address mails its
// owner "you already have an account" — are limited per address (issue
// 4, item 3): after five the form and the API answer 429 "try again in N
// minutes" and no mail is queued; other addresses are not held up; with
// time (the injected clock) the limit lifts.
func TestSignupLimitedPerAddress(t *testing.T) {
	s := testkit.SQLite(t)
	st := newSite(t, s, "ivm", behindProxy(t))
	b := st.browser()
	ip := 0
	nextIP := func() string { ip++; return "198.51.100." + strconv.Itoa(ip) }
	form := func(email string) url.Values {
		f := ivmSignup(email)
		f.Set("csrf", b.csrf("/signup"))
		return f
	}

	if resp, body := b.postFrom(nextIP(), "/signup", form("victim@example.nl")); resp.StatusCode != 200 {
		t.Fatalf("first sign-up: %d\n%s", resp.StatusCode, body)
	}
	for i := range 4 {
		if resp, body := b.postFrom(nextIP(), "/signup", form("Victim@Example.nl")); resp.StatusCode != 200 {
			t.Fatalf("sign-up %d for the address: %d\n%s", i+2, resp.StatusCode, body)
		}
	}
	if n := mailsTo(t, s, "victim@example.nl"); n != 5 {
		t.Fatalf("%d mails to the address, want 5", n)
	}
	resp, body := b.postFrom(nextIP(), "/signup", form("victim@example.nl"))
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "over 20 minuten") {
		t.Fatalf("sixth sign-up for one address from a sixth client: %d, want 429 'probeer het over 20 minuten opnieuw'\n%s", resp.StatusCode, body)
	}
	// The JSON API shares the bucket: same mailbox.
	resp, out := b.api("POST", "/api/v1/signup", "", `{"email":"victim@example.nl","password":"correct horse battery","fields":{"account":{"first_name":"A","last_name":"B","organisation":"C","job_title":"D","sector":"zorg"}}}`)
	if resp.StatusCode != http.StatusTooManyRequests || errCode(out) != "too_many_requests" {
		t.Fatalf("API sign-up for the flooded address: %d %v, want 429", resp.StatusCode, out)
	}
	if n := mailsTo(t, s, "victim@example.nl"); n != 5 {
		t.Fatalf("%d mails to the address after the refusals, want still 5", n)
	}
	// Another address is not held up.
	if resp, body := b.postFrom(nextIP(), "/signup", form("other@example.nl")); resp.StatusCode != 200 {
		t.Fatalf("sign-up for another address: %d\n%s", resp.StatusCode, body)
	}
	// After 20 minutes one more token is back, and only one.
	st.clock.Advance(20 * time.Minute)
	if resp, body := b.postFrom(nextIP(), "/signup", form("victim@example.nl")); resp.StatusCode != 200 {
		t.Fatalf("after 20 minutes: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.postFrom(nextIP(), "/signup", form("victim@example.nl")); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second sign-up after 20 minutes: %d, want 429", resp.StatusCode)
	}
	if n := mailsTo(t, s, "victim@example.nl"); n != 6 {
		t.Fatalf("%d mails to the address, want 6", n)
	}
}

// TestAPISignupLimitedPerAddress: the same through the JSON API alone.
func TestAPISignupLimitedPerAddress(t *testing.T) {
	s := testkit.SQLite(t)
	st := newSite(t, s, "zorginspirator", behindProxy(t))
	b := st.browser()
	post := func(ip, email string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", b.base+"/api/v1/signup", strings.NewReader(`{"email":"`+email+`","password":"long enough pw"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", ip)
		resp, _ := b.do(req)
		return resp.StatusCode
	}
	for i := range 5 {
		if got := post("203.0.113."+strconv.Itoa(i+1), "z@example.nl"); got != http.StatusAccepted {
			t.Fatalf("API sign-up %d: %d", i+1, got)
		}
	}
	if got := post("203.0.113.99", "z@example.nl"); got != http.StatusTooManyRequests {
		t.Fatalf("sixth API sign-up for one address: %d, want 429", got)
	}
	if n := mailsTo(t, s, "z@example.nl"); n != 5 {
		t.Fatalf("%d mails, want 5 (a verification link and four 'already registered')", n)
	}
	// Nonsense in the address field has no bucket: 400, never 429.
	for i := range 7 {
		if got := post("203.0.113."+strconv.Itoa(150+i), "not an address"); got != http.StatusBadRequest {
			t.Fatalf("invalid address %d: %d, want 400", i+1, got)
		}
	}
	st.clock.Advance(20 * time.Minute)
	if got := post("203.0.113.100", "z@example.nl"); got != http.StatusAccepted {
		t.Fatalf("after 20 minutes: %d", got)
	}
}
