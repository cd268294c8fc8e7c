package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/policy"
)

// countingConsents counts the gate's reads of the store.
type countingConsents struct {
	consent.Consents
	reads atomic.Int64
}

func (c *countingConsents) Latest(ctx context.Context, subject string) ([]consent.Record, error) {
	c.reads.Add(1)
	return c.Consents.Latest(ctx, subject)
}

// TestGateCacheIsPerRequest: the middleware gives each request one gate
// cache (issue 6), so repeated checks in a handler read the store once;
// a handler that records a choice and then renders in the same request
// sees the new answer (the pixel appears); and the next request starts
// with a fresh cache.
func TestGateCacheIsPerRequest(t *testing.T) {
	p := testkit.Policy(t, "zorginspirator")
	s := NewForTest(t, Config{Policy: p, Store: testkit.SQLite(t), Log: testkit.Log(t).Logger,
		Clock: clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))}, wiring.Config{})
	counter := &countingConsents{Consents: s.consent.gate.Consents}
	s.consent.gate.Consents = counter
	visitor := newVisitorID()
	// The visitor's cookie says "personal accepted"; the gate has no
	// record yet, so the pixel must not run until one is written.
	choice := &http.Cookie{Name: choiceCookie, Value: s.consent.signChoice(cookieChoice{Visitor: visitor,
		Accepted: []policy.CookieCategory{policy.CookiePersonal}})}
	pixel := func(r *http.Request) bool {
		for _, sc := range s.cookieView(r, "en").Scripts {
			if sc.Category == policy.CookiePersonal {
				return true
			}
		}
		return false
	}

	var before, after bool
	var readsBefore, readsAfter int64
	h := s.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		for range 3 {
			if ok, _, err := s.consent.gate.Allowed(ctx, visitor, "facebook_pixel"); err != nil || ok {
				t.Errorf("before consent: allowed %v, %v", ok, err)
			}
		}
		before = pixel(r)
		readsBefore = counter.reads.Load()
		if _, err := s.consent.svc.Apply(ctx, consent.Change{Subject: visitor, Purpose: "facebook_pixel", Given: true,
			Channel: policy.ChannelCookieNotice, Lang: "en"}); err != nil {
			t.Error(err)
		}
		after = pixel(r)
		readsAfter = counter.reads.Load()
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(choice)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if readsBefore != 1 {
		t.Errorf("three checks and a render read the store %d times, want once (the request's cache)", readsBefore)
	}
	if before || !after {
		t.Errorf("pixel before consent %v, after consent in the same request %v; want false, true", before, after)
	}
	if readsAfter != 2 {
		t.Errorf("after recording, the store was read %d times in all, want 2 (the changed subject read again)", readsAfter)
	}

	// The next request reads again: a withdrawal in between is seen.
	if _, err := s.consent.svc.Apply(context.Background(), consent.Change{Subject: visitor, Purpose: "facebook_pixel", Given: false,
		Channel: policy.ChannelCookieNotice, Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if strings.Contains(rec.Body.String(), `data-category="personal"`) {
		t.Error("the next request still renders the pixel after a withdrawal")
	}
}
