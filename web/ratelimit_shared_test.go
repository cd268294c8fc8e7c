package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"steward/internal/testkit"
)

// TestLoginLimitHoldsAcrossServers: two serve processes on one PostgreSQL
// (the way a site grows past one machine) share the login limits, so a
// guesser who alternates between them gets the limit once, not twice
// (issue 14, finding 13). Each site here is a server of its own with its
// own in-memory state; only the database is shared.
func TestLoginLimitHoldsAcrossServers(t *testing.T) {
	s := testkit.Postgres(t)
	a := newSite(t, s, "ivm", behindProxy(t)).browser()
	b := newSite(t, s, "ivm", behindProxy(t)).browser()
	// Five tries per account in 3 minutes: the sixth, on either server,
	// is refused, each from a new client address so only the account's
	// bucket counts.
	for i := range 6 {
		br := a
		if i%2 == 1 {
			br = b
		}
		form := url.Values{"email": {"target@example.nl"}, "password": {"wrong guess number " + fmt.Sprint(i)}, "csrf": {br.csrf("/login")}}
		resp, _ := br.postFrom(fmt.Sprintf("198.51.100.%d", i+1), "/login", form)
		if limited := resp.StatusCode == http.StatusTooManyRequests; limited != (i == 5) {
			t.Fatalf("try %d: %d; want 429 at the sixth try only", i+1, resp.StatusCode)
		}
	}
}

// TestIPv6ClientsShareTheirSlash64: addresses of one /64 are one client
// for the per-client limits (issue 14, finding 1), another /64 is not.
func TestIPv6ClientsShareTheirSlash64(t *testing.T) {
	s := testkit.SQLite(t)
	b := newSite(t, s, "ivm", behindProxy(t)).browser()
	// The per-client reset bucket holds 5.
	for i := range 5 {
		if resp, _ := b.postFrom(fmt.Sprintf("2001:db8:1:2::%x", i+1), "/reset", url.Values{"email": {fmt.Sprintf("p%d@example.nl", i)}, "csrf": {b.csrf("/reset")}}); resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("reset %d refused within the burst", i+1)
		}
	}
	if resp, _ := b.postFrom("2001:db8:1:2:ffff::9", "/reset", url.Values{"email": {"q@example.nl"}, "csrf": {b.csrf("/reset")}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("sixth reset from the same /64: %d, want 429", resp.StatusCode)
	}
	if resp, _ := b.postFrom("2001:db8:1:3::1", "/reset", url.Values{"email": {"r@example.nl"}, "csrf": {b.csrf("/reset")}}); resp.StatusCode == http.StatusTooManyRequests {
		t.Fatal("another /64 is held up")
	}
}
