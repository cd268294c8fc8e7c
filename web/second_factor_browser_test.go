package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/account"
	"steward/internal/testkit"
)

// TestBrowserStaffSecondFactor drives the pages in headless Chromium: a
// new staff member logs in with the password, is sent to set up a second
// factor, reads the key shown next to the QR code (the test computes the
// code from it with the TOTP library, as an authenticator app would),
// confirms, sees the recovery codes once, reaches the staff pages, logs
// out, and logs in again with the password and a code (issue 14, finding 4).
func TestBrowserStaffSecondFactor(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	ctx := testkit.Browser(t)
	st := newSite(t, testkit.SQLite(t), "ivm")
	newStaff(t, st, "admin@example.org", account.RoleAdmin)
	base := st.srv.URL
	C := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	get := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	// staffPage is on the staff start page only: its find-a-person form.
	const staffPage = `main form[action^="/staff/"]`
	login := func() {
		t.Helper()
		do("password", chromedp.Navigate(base+"/login?lang=en"),
			chromedp.SendKeys(C(`#f-email`), "admin@example.org"),
			chromedp.SendKeys(C(`#f-password`), "staff password 1"),
			chromedp.Submit(C(`#f-password`)),
			chromedp.WaitNotPresent(C(`#f-password`)))
	}

	login()
	if loc := get("location", chromedp.Location()); loc != base+"/account/security?lang=en" {
		t.Fatalf("first staff login lands on %s, want the second factor's set-up", loc)
	}
	do("staff page before enrolment", chromedp.Navigate(base+"/staff/?lang=en"), chromedp.WaitVisible(C(`main button[type=submit]`)))
	if loc := get("location", chromedp.Location()); !strings.Contains(loc, "/account/security") {
		t.Fatalf("/staff/ before enrolment went to %s", loc)
	}
	do("set up", chromedp.Click(C(`main form[action^="/account/security/setup"] button`)), chromedp.WaitVisible(C(`#totp-secret`)))
	secret := get("secret", chromedp.Text(C(`#totp-secret`)))
	qr := get("qr", chromedp.Evaluate[string](`(() => { const i = document.querySelector('main img'); return i.complete && i.naturalWidth > 0 ? i.src.slice(0, 22) : 'not loaded' })()`))
	if qr != "data:image/png;base64," {
		t.Fatalf("QR code: %q, want a loaded PNG data URL", qr)
	}
	code, err := account.TOTPCode(strings.TrimSpace(secret), st.clock.Now())
	if err != nil {
		t.Fatalf("key shown %q: %v", secret, err)
	}
	do("confirm", chromedp.SendKeys(C(`#f-code`), code), chromedp.Submit(C(`#f-code`)), chromedp.WaitVisible(C(`.recovery-codes`)))
	codes := strings.Fields(get("recovery codes", chromedp.Text(C(`.recovery-codes`))))
	if len(codes) != account.RecoveryCodeCount {
		t.Fatalf("recovery codes shown: %q", codes)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
	if err == nil {
		os.WriteFile(filepath.Join(t.TempDir(), "recovery-codes.jpg"), shot, 0o600)
	}
	do("continue", chromedp.Click(C(`main a[href^="/staff/"]`)), chromedp.WaitVisible(C(staffPage)))
	if loc := get("location", chromedp.Location()); loc != base+"/staff/?lang=en" {
		t.Fatalf("after enrolment: %s, want /staff/", loc)
	}
	do("logout", chromedp.Navigate(base+"/account?lang=en"), chromedp.Click(C(`form[action^="/logout"] button`)), chromedp.WaitNotPresent(C(`form[action^="/logout"]`)))

	// Logged in again: the password leads to the code step, a code from
	// the next time step to the staff pages.
	login()
	if loc := get("location", chromedp.Location()); !strings.Contains(loc, "/login/code") {
		t.Fatalf("second login lands on %s, want the code step", loc)
	}
	st.clock.Advance(account.TOTPPeriod)
	code, _ = account.TOTPCode(strings.TrimSpace(secret), st.clock.Now())
	do("code", chromedp.SendKeys(C(`#f-code`), code), chromedp.Submit(C(`#f-code`)), chromedp.WaitVisible(C(staffPage)))
	if loc := get("location", chromedp.Location()); loc != base+"/staff/?lang=en" {
		t.Fatalf("after the code: %s, want /staff/", loc)
	}
}
