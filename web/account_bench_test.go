package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/internal/testkit"
	"steward/store"
)

// minimalHash makes hashing nearly free, so the sign-up and login
// benchmarks measure Steward's own work; BenchmarkArgon2id measures the
// hash at the real (OWASP) parameters. Real cost = ours + one hash.
var minimalHash = account.HashParams{Memory: 8, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func BenchmarkArgon2id(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		account.HashPassword("correct horse battery", account.DefaultParams)
	}
}

func benchSite(b *testing.B) (*site, http.Handler) {
	cheapHash = minimalHash
	b.Cleanup(func() { cheapHash = account.HashParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32} })
	st := newSite(b, testkit.SQLite(b), "ivm")
	return st, st.srv.Config.Handler
}

func postForm(h http.Handler, path string, form url.Values, ip string, cookie *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = ip + ":1234"
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// BenchmarkSignup: one sign-up with its account, profile, token, outbox
// mail and audit entry in one transaction (SQLite), hash excluded.
func BenchmarkSignup(b *testing.B) {
	st, h := benchSite(b)
	csrf := st.browser().csrf("/signup")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		f := ivmSignup(fmt.Sprintf("bench%d@example.nl", i))
		f.Set("csrf", csrf)
		if rec := postForm(h, "/signup", f, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), nil); rec.Code != 200 {
			b.Fatalf("sign-up: %d", rec.Code)
		}
	}
}

// BenchmarkLogin: one login — lookup, verify, new session (SQLite), hash
// excluded.
func BenchmarkLogin(b *testing.B) {
	st, h := benchSite(b)
	br := st.browser()
	st.signUpAndConfirm(br, "login@example.nl")
	csrf := br.csrf("/login")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if i%30 == 0 {
			b.StopTimer()
			csrf = br.csrf("/login")
			b.StartTimer()
		}
		// Keep the per-account bucket from emptying: a token refills every
		// three minutes.
		st.clock.Advance(3 * time.Minute)
		f := url.Values{"csrf": {csrf}, "email": {"login@example.nl"}, "password": {"correct horse battery"}}
		if rec := postForm(h, "/login", f, fmt.Sprintf("10.1.%d.%d", i>>8&255, i&255), nil); rec.Code != http.StatusSeeOther {
			b.Fatalf("login: %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkProfilePage: an authenticated GET /account — session lookup,
// account, profile records, decrypting the BIG number, render (SQLite).
func BenchmarkProfilePage(b *testing.B) {
	st, h := benchSite(b)
	br := st.browser()
	st.signUpAndConfirm(br, "profile@example.nl")
	cookie := sessionCookie(br.login("profile@example.nl", "correct horse battery"))
	csrf := br.csrf("/account")
	if rec := postForm(h, "/account", url.Values{"csrf": {csrf}, "lms_account.register_number": {"12345678901"}}, "10.9.9.9", cookie); rec.Code != http.StatusSeeOther {
		b.Fatalf("edit: %d", rec.Code)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/account", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("profile: %d", rec.Code)
		}
	}
}

// BenchmarkMyDataPage10k: an authenticated GET /account/data over HTTP
// (a real listener and client, one kept-alive connection) for a person
// with 10,000 records (orders, downloads, learning results, vouchers) on
// SQLite — issue 15's goal: p50 under 50 ms. It reports the median and
// the 99th percentile of the requests' times and the page's size.
func BenchmarkMyDataPage10k(b *testing.B) {
	st, h := benchSite(b)
	br := st.browser()
	st.signUpAndConfirm(br, "mydata@example.nl")
	cookie := sessionCookie(br.login("mydata@example.nl", "correct horse battery"))
	a, err := st.store.AccountByEmail(context.Background(), "mydata@example.nl")
	if err != nil {
		b.Fatal(err)
	}
	seedRecords(b, st, a.ID, 10000)
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := srv.Client()
	size := 0
	var took []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("GET", srv.URL+"/account/data", nil)
		req.AddCookie(cookie)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took = append(took, time.Since(t0))
		if resp.StatusCode != 200 {
			b.Fatalf("my data: %d", resp.StatusCode)
		}
		size = int(n)
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(size), "html-bytes")
}

// seedRecords gives subject n records of four kinds in a few transactions,
// created over the last two years (newest first in id order is not
// newest first in time).
func seedRecords(b *testing.B, st *site, subject string, n int) {
	b.Helper()
	ctx := context.Background()
	pol := testkit.Policy(b, "ivm")
	now := st.clock.Now()
	kinds := []struct {
		kind string
		vals func(i int) map[string]string
	}{
		{"order", func(i int) map[string]string {
			return map[string]string{"order_number": fmt.Sprintf("ORD-%06d", i), "items": "Handboek"}
		}},
		{"download", func(i int) map[string]string { return map[string]string{"material": fmt.Sprintf("folder-%d.pdf", i)} }},
		{"learning_result", func(i int) map[string]string { return map[string]string{"course": "medicatiebewaking", "score": "8"} }},
		{"voucher", func(i int) map[string]string { return map[string]string{"code": fmt.Sprintf("V%08d", i)} }},
	}
	const batch = 2500
	for start := 0; start < n; start += batch {
		err := st.store.InTx(ctx, func(tx *store.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				k := kinds[i%len(kinds)]
				if err := tx.InsertRecord(ctx, pol, &store.Record{Subject: subject, Kind: k.kind, CreatedAt: now.AddDate(0, 0, -i%700), Values: k.vals(i)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
