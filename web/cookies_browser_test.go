package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"steward/internal/testkit"
)

// TestBrowserCookieNotice drives the cookie notice in headless Chromium
// against the real router with the Zorginspirator policy (issue 6; R11,
// Z5): the notice shows before a choice; after "reject all" the browser
// holds no personal cookie and the page has no pixel script; after
// accepting personal cookies from the footer link, both are there. What the
// browser holds is read the way a page would: document.cookie and the DOM.
func TestBrowserCookieNotice(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	ctx := testkit.Browser(t)
	srv, _ := newServer(t, testkit.SQLite(t), "zorginspirator")
	base := srv.URL
	shots := t.TempDir()
	C := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name+".jpg")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", path, len(b))
	}
	// state is what the page shows of the optional tags: the cookie names
	// scripts can see, the pixel scripts in the DOM, and whether the
	// pixel ran.
	type state struct{ cookies, pixelScripts, pixelRan, analyticsScripts string }
	read := func() state {
		t.Helper()
		return state{
			cookies:          eval(`document.cookie`),
			pixelScripts:     eval(`String(document.querySelectorAll('script[data-category="personal"]').length)`),
			pixelRan:         eval(`String(document.documentElement.getAttribute("data-tag-personal"))`),
			analyticsScripts: eval(`String(document.querySelectorAll('script[data-category="analytics"]').length)`),
		}
	}
	hasCookie := func(cookies, name string) bool {
		for _, c := range strings.Split(cookies, ";") {
			if strings.HasPrefix(strings.TrimSpace(c), name+"=") {
				return true
			}
		}
		return false
	}

	do("home page", chromedp.Navigate(base+"/?lang=en"), chromedp.WaitVisible(C(`#cookie-notice`)))
	shot("1-notice")
	if got := read(); hasCookie(got.cookies, "_fbp") || got.pixelScripts != "0" || got.pixelRan != "null" {
		t.Fatalf("before a choice: %+v, want no personal cookie and no pixel", got)
	}
	if got := read(); got.analyticsScripts != "1" {
		// Z5: privacy-friendly analytics runs without consent here.
		t.Errorf("before a choice: %s analytics scripts, want 1 (the policy allows it without consent)", got.analyticsScripts)
	}

	do("reject all", chromedp.Click(C(`#cookie-notice button[name=choice][value=none]`)),
		chromedp.WaitNotPresent(C(`#cookie-notice`)), chromedp.WaitVisible(C(`footer`)))
	shot("2-rejected")
	if got := read(); hasCookie(got.cookies, "_fbp") || got.pixelScripts != "0" || got.pixelRan != "null" {
		t.Fatalf("after reject all: %+v, want no personal cookie and no pixel script", got)
	}

	do("footer link", chromedp.Click(C(`footer a[href^="/cookies"]`)), chromedp.WaitVisible(C(`#cookie-category-personal`)))
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#cookie-category-personal input[type=checkbox]').checked`)); err != nil || v {
		t.Fatalf("after reject all the personal box is ticked (%v, %v), want unticked", v, err)
	}
	do("accept personal", chromedp.Click(C(`#cookie-category-personal input[type=checkbox]`)),
		chromedp.Click(C(`form.cookie-form button[name=choice][value=custom]`)),
		chromedp.WaitReady(C(`html[data-tag-personal="loaded"]`)))
	shot("3-personal-accepted")
	got := read()
	if !hasCookie(got.cookies, "_fbp") || got.pixelScripts != "1" {
		t.Fatalf("after accepting personal cookies: %+v, want the _fbp cookie and one pixel script", got)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, base+"/") || strings.Contains(loc, "/cookies") {
		t.Errorf("after the choice the browser is at %s, want back on the site's home page", loc)
	}
}
