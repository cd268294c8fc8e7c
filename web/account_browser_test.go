package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/internal/testkit"
)

// TestBrowserAccountFlow drives the real pages in headless Chromium:
// sign-up, the verification link from the captured mail, login, a profile
// edit with an error and its correction, logout. No JavaScript is needed by
// the pages; the browser only fills and submits them.
func TestBrowserAccountFlow(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	ctx := testkit.Browser(t)
	st := newSite(t, testkit.SQLite(t), "ivm")

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
	do("sign-up", chromedp.Navigate(base+"/signup?lang=en"),
		chromedp.SendKeys(C(`#f-account-email`), "browser@example.nl"),
		chromedp.SendKeys(C(`#f-account-first-name`), "Bram"),
		chromedp.SendKeys(C(`#f-account-last-name`), "Bakker"),
		chromedp.SendKeys(C(`#f-password`), "correct horse battery"),
		chromedp.Submit(C(`#f-password`)),
		chromedp.WaitVisible(C(`main [role=status]`)))
	if title := get("title", chromedp.Title()); !strings.Contains(title, "Check your e-mail") {
		t.Fatalf("after sign-up the title is %q", title)
	}
	link, _ := st.mailLink(1)
	do("verify", chromedp.Navigate(link), chromedp.Click(C(`main button[type=submit]`)), chromedp.WaitVisible(C(`main [role=status]`)))
	do("login", chromedp.Navigate(base+"/login?lang=en"),
		chromedp.SendKeys(C(`#f-email`), "browser@example.nl"),
		chromedp.SendKeys(C(`#f-password`), "correct horse battery"),
		chromedp.Submit(C(`#f-password`)),
		chromedp.WaitVisible(C(`#account-email`)))
	do("bad edit", chromedp.SetValue(C(`#f-lms-account-register-number`), "12"),
		chromedp.Submit(C(`#f-lms-account-register-number`)),
		chromedp.WaitVisible(C(`.error-summary`)))
	if body := get("summary", chromedp.Text(C(`.error-summary`))); !strings.Contains(body, "11 digits") {
		t.Fatalf("error summary: %q", body)
	}
	if body := get("summary", chromedp.Text(C(`.error-summary`))); !strings.Contains(body, "required") {
		t.Fatalf("error summary lacks the learning-environment account's required fields: %q", body)
	}
	do("good edit", chromedp.SetValue(C(`#f-lms-account-register-number`), "12345678901"),
		chromedp.SetValue(C(`#f-lms-account-email`), "browser@example.nl"),
		chromedp.SetValue(C(`#f-lms-account-first-name`), "Bram"),
		chromedp.SetValue(C(`#f-lms-account-last-name`), "Bakker"),
		chromedp.Submit(C(`#f-lms-account-register-number`)),
		chromedp.WaitVisible(C(`.notice`)))
	if v := get("masked value", chromedp.Value(C(`#f-lms-account-register-number`))); v != "*******8901" {
		t.Fatalf("BIG number shown as %q, want masked", v)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "profile.jpg")
	if err := os.WriteFile(path, shot, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	// Wait for something only the home page has: an h1 would match the
	// profile page still on screen, and navigating on from there aborts
	// the logout's own navigation (net::ERR_ABORTED).
	do("logout", chromedp.Click(C(`form[action^="/logout"] button`)), chromedp.WaitVisible(C(`main a[href^="/privacy"]`)))
	if loc := get("location", chromedp.Location()); loc != base+"/?lang=en" {
		t.Fatalf("after logout the browser is at %s, want the home page", loc)
	}
	do("account after logout", chromedp.Navigate(base+"/account?lang=en"), chromedp.WaitVisible(C(`#f-email`)))
	if loc := get("location", chromedp.Location()); !strings.Contains(loc, "/login") {
		t.Fatalf("after logout /account went to %s, want the login page", loc)
	}
}
