package web

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"steward/internal/testkit"
	"steward/internal/wiring"
)

func proxyServer(t *testing.T, proxies string) *Server {
	t.Helper()
	trusted, err := ParseTrustedProxies(proxies)
	if err != nil {
		t.Fatal(err)
	}
	s := NewForTest(t, Config{Policy: testkit.Policy(t, "ivm"), Store: testkit.SQLite(t), TrustedProxies: trusted}, wiring.Config{})
	return s
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,,")
	if err != nil || len(got) != 3 || got[1].String() != "192.168.1.7/32" {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.org", "10.0.0.1/8/1"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got, err := ParseTrustedProxies(""); err != nil || got != nil {
		t.Fatalf("empty list: %v, %v", got, err)
	}
}

// TestClientIP: X-Forwarded-For counts only from a trusted peer, and then
// the rightmost address that is not a trusted proxy is the client (issue
// 4, item 3): what a client writes to the left cannot choose its bucket.
func TestClientIP(t *testing.T) {
	for _, tc := range []struct {
		name, proxies, peer string
		xff                 []string
		want                string
	}{
		{"no_proxies_configured_ignores_the_header", "", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"untrusted_peer_ignores_the_header", "10.0.0.0/8", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted_peer_without_header_is_the_client", "10.0.0.0/8", "10.0.0.2:4000", nil, "10.0.0.2"},
		{"trusted_peer_gives_the_forwarded_client", "10.0.0.0/8", "10.0.0.2:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed_left_entries_are_ignored", "10.0.0.0/8", "10.0.0.2:4000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"chain_of_trusted_proxies_is_walked", "10.0.0.0/8", "10.0.0.2:4000", []string{"198.51.100.1, 10.0.0.9", "10.1.2.3"}, "198.51.100.1"},
		{"garbage_stops_at_the_last_trusted_hop", "10.0.0.0/8", "10.0.0.2:4000", []string{"nonsense, 10.0.0.9"}, "10.0.0.9"},
		{"all_trusted_gives_the_leftmost", "10.0.0.0/8", "10.0.0.2:4000", []string{"10.0.0.7, 10.0.0.9"}, "10.0.0.7"},
		{"ipv6_peer_and_client", "fd00::/8", "[fd00::1]:4000", []string{"2001:db8::5"}, "2001:db8::5"},
		{"mapped_ipv4_peer_matches_an_ipv4_prefix", "10.0.0.0/8", "[::ffff:10.0.0.2]:4000", []string{"198.51.100.1"}, "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := proxyServer(t, tc.proxies)
			r := httptest.NewRequest("POST", "/login", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientIP(r); got != tc.want {
				t.Fatalf("clientIP = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestSessionCookieSecureBehindTrustedProxy: a TLS-terminating proxy's
// X-Forwarded-Proto: https makes the session cookie Secure; the same
// header from anyone else does not.
func TestSessionCookieSecureBehindTrustedProxy(t *testing.T) {
	s := proxyServer(t, "10.0.0.0/8")
	for _, tc := range []struct {
		name, peer, proto string
		tls               bool
		want              bool
	}{
		{"trusted_proxy_says_https", "10.0.0.2:4000", "https", false, true},
		{"trusted_proxy_says_http", "10.0.0.2:4000", "http", false, false},
		{"trusted_proxy_list_first_value_counts", "10.0.0.2:4000", "HTTPS, http", false, true},
		{"untrusted_peer_says_https", "203.0.113.5:4000", "https", false, false},
		{"direct_tls", "203.0.113.5:4000", "", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/login", nil)
			r.RemoteAddr = tc.peer
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			s.setSessionCookie(w, r, "secret")
			c := w.Result().Cookies()
			if len(c) != 1 || c[0].Secure != tc.want {
				t.Fatalf("cookies %+v, want Secure=%v", c, tc.want)
			}
			if hsts := w.Header().Get("Strict-Transport-Security") != ""; hsts {
				t.Fatal("setSessionCookie set HSTS")
			}
		})
	}
	// HSTS follows the same rule through the middleware.
	r := httptest.NewRequest("GET", "/healthz", nil)
	r.RemoteAddr = "10.0.0.2:4000"
	r.Header.Set("X-Forwarded-Proto", "https")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS behind a trusted HTTPS proxy")
	}
	r.RemoteAddr = "203.0.113.5:4000"
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS on a plain HTTP request that claims https itself")
	}
}
