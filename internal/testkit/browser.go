package testkit

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BrowserTimeout bounds one browser test from the first page to the last
// check: long enough for a cold Chromium on a busy CI machine, short
// enough that a hung page fails the test instead of the whole run.
const BrowserTimeout = 90 * time.Second

// Chromium returns the path of Debian's Chromium. Without it the test is
// skipped, except under CI (CI=true), where .ci/run installs it and a
// missing browser is a failure.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if InCI() {
		t.Fatal("chromium is not installed and CI=true (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); set CI=true to make this a failure")
	return ""
}

// Browser starts a headless Chromium for t and returns a chromedp context
// on a new tab that lives until BrowserTimeout or the end of the test
// (STYLE.md: browser flows with headless Chromium). The browser runs
// with a fresh profile in t.TempDir(), so no cookie or cache of another
// test or of the machine leaks in, and with every background service off,
// so it talks to nobody but the test's server.
func Browser(t testing.TB) context.Context {
	t.Helper()
	return BrowserFor(t, BrowserTimeout)
}

// BrowserFor is Browser for a test that walks through more pages than
// BrowserTimeout allows for: its context lives until timeout.
func BrowserFor(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	bin := Chromium(t)
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	// Cleanups run last-in first-out: the browser stops before its profile
	// directory is removed.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first run starts the browser and binds its life to ctx, which
	// has no deadline; the deadline goes on the context the test uses
	// (chromedp: a timeout on the first run would stop the browser).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", bin, err)
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel)
	return tctx
}
