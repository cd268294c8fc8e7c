package web_test

import (
	"fmt"
	"testing"
	"time"

	"steward/account"
	"steward/internal/testkit"
)

// BenchmarkAnswerTimeKnownVsUnknown: a reset request and a sign-up answer
// alike whether the address has an account, in words and — this benchmark
// reports it, since a timed assertion would be flaky — in time, at the
// real argon2id parameters: the unknown address burns one hash, the known
// one computes one (issue 14, finding 14). Metrics: each case's mean and
// the difference in per cent of the known case.
func BenchmarkAnswerTimeKnownVsUnknown(b *testing.B) {
	cheapHash = account.DefaultParams
	b.Cleanup(func() { cheapHash = account.HashParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32} })
	st := newSite(b, testkit.SQLite(b), "ivm")
	h := st.srv.Config.Handler
	br := st.browser()
	st.signUpAndConfirm(br, "known@example.nl")
	timeOf := func(path string, form map[string][]string, ip string) time.Duration {
		start := time.Now()
		if rec := postForm(h, path, form, ip, nil); rec.Code != 200 {
			b.Fatalf("%s: %d", path, rec.Code)
		}
		return time.Since(start)
	}
	var resetKnown, resetUnknown, signupKnown, signupNew time.Duration
	i := 0
	for b.Loop() {
		i++
		// Every bucket is full again: the limits are not what is measured.
		st.clock.Advance(time.Hour)
		csrfReset, csrfSignup := br.csrf("/reset"), br.csrf("/signup")
		ip := fmt.Sprintf("10.9.%d.%d", i>>8&255, i&255)
		resetKnown += timeOf("/reset", map[string][]string{"email": {"known@example.nl"}, "csrf": {csrfReset}}, ip)
		resetUnknown += timeOf("/reset", map[string][]string{"email": {fmt.Sprintf("nobody%d@example.nl", i)}, "csrf": {csrfReset}}, ip)
		known := ivmSignup("known@example.nl")
		known.Set("csrf", csrfSignup)
		signupKnown += timeOf("/signup", known, ip)
		fresh := ivmSignup(fmt.Sprintf("new%d@example.nl", i))
		fresh.Set("csrf", csrfSignup)
		signupNew += timeOf("/signup", fresh, ip)
	}
	n := float64(b.N)
	report := func(name string, known, unknown time.Duration) {
		b.ReportMetric(float64(known.Microseconds())/n, name+"-known-µs/op")
		b.ReportMetric(float64(unknown.Microseconds())/n, name+"-unknown-µs/op")
		b.ReportMetric(100*float64(unknown-known)/float64(known), name+"-diff-%")
	}
	report("reset", resetKnown, resetUnknown)
	report("signup", signupKnown, signupNew)
}
