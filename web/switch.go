package web

import (
	"net/http"
	"time"

	"steward/clock"
)

// Switch serves each request with Before until the clock reaches At and
// with After from then on (issue 20, advance notice): serve builds one
// Server for the policy in force and one for the version announced to
// take effect at At, and the switch happens at that moment without a
// restart. Both are built at start and share the store, keys and
// password hasher; nothing is swapped, the clock is read per request.
type Switch struct {
	Clock         clock.Clock
	At            time.Time
	Before, After http.Handler
}

// ServeHTTP serves r with the handler of the policy in force now.
func (sw *Switch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if sw.Clock.Now().Before(sw.At) {
		sw.Before.ServeHTTP(w, r)
		return
	}
	sw.After.ServeHTTP(w, r)
}
