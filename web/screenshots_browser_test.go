package web_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"steward/internal/testkit"
)

// screenshotsFlag names a directory for the browser tests' screenshots;
// STEWARD_SCREENSHOTS does the same where flags are awkward (issue 13).
var screenshotsFlag = flag.String("screenshots", "", "directory to save the browser tests' screenshots in (or STEWARD_SCREENSHOTS)")

// screenshotDir is the directory screenshots are saved in, or "" for none.
func screenshotDir() string {
	if *screenshotsFlag != "" {
		return *screenshotsFlag
	}
	return os.Getenv("STEWARD_SCREENSHOTS")
}

// screens are the two windows the pages are looked at in: a desktop and
// a phone (issue 13: 1280×900 and 390×844).
var screens = []struct {
	Width, Height int64
}{{1280, 900}, {390, 844}}

// asUser gives the browser tab the cookies of b (its session, its cookie
// choice), after dropping those of whoever used the tab before.
func asUser(t *testing.T, ctx context.Context, sc *scene, b *browser) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			return err
		}
		for _, c := range b.c.Jar.Cookies(mustURL(sc.st.srv.URL)) {
			if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value, URL: sc.st.srv.URL}); err != nil {
				return err
			}
		}
		return nil
	})); err != nil {
		t.Fatalf("cookies: %v", err)
	}
}

// TestBrowserScreenshots opens the pages issue 13 shows before and after
// (the cookie notice on a first visit, the home page once the notice is
// answered, My data, and a request's page for a privacy officer) in both
// windows, checks each shows its page, and, with -screenshots DIR or
// STEWARD_SCREENSHOTS=DIR, saves each as NAME-WIDTH.png.
func TestBrowserScreenshots(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	ctx := testkit.Browser(t)
	sc := newScene(t, testkit.SQLite(t), "ivm")
	base := sc.st.srv.URL
	dir := screenshotDir()
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	shots := []struct {
		name, user, path, wait string
	}{
		{"cookie-notice", "visitor", "/", "#cookie-notice"},
		{"home", "returning visitor", "/", "main h1"},
		{"my-data", "person", "/account/data", "#export"},
		{"staff-request", "privacy_officer", "/staff/requests/" + sc.request, "main h1"},
	}
	for _, sh := range shots {
		for _, scr := range screens {
			b := sc.users[sh.user]
			asUser(t, ctx, sc, b)
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(scr.Width, scr.Height), chromedp.Navigate(base+sh.path), chromedp.WaitVisible(chromedp.CSS(sh.wait))); err != nil {
				t.Fatalf("%s at %d px: %v", sh.name, scr.Width, err)
			}
			if dir == "" {
				continue
			}
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatalf("screenshot %s: %v", sh.name, err)
			}
			path := filepath.Join(dir, fmt.Sprintf("%s-%d.png", sh.name, scr.Width))
			if err := os.WriteFile(path, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s (%d bytes)", path, len(png))
		}
	}
}

// fitWidths are the windows every page must fit without scrolling the
// page sideways: the narrowest common phone and a desktop (issue 13).
var fitWidths = []int64{360, 1280}

// TestBrowserEveryPageFits opens, in headless Chromium, every page each
// kind of user reaches on both sites (the crawl, one URL per page and
// language) at 360 px and 1280 px wide, and finds none wider than the
// window: document.scrollingElement.scrollWidth <= innerWidth. Wide
// tables scroll inside their own box, which this allows (issue 13).
func TestBrowserEveryPageFits(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			t.Parallel() // each site its own scene and browser
			// Every page of the site at two widths in one browser: longer
			// than one browser test's usual bound when others run beside it.
			ctx := testkit.BrowserFor(t, 3*testkit.BrowserTimeout)
			sc := newScene(t, testkit.SQLite(t), site)
			base := sc.st.srv.URL
			for _, up := range browserPages(t, sc, func(string) string { return "" }) {
				who, b, urls := up.who, sc.users[up.who], up.urls
				asUser(t, ctx, sc, b)
				for _, w := range fitWidths {
					if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 800)); err != nil {
						t.Fatal(err)
					}
					for _, key := range urls {
						if err := chromedp.Do(ctx, chromedp.Navigate(base+key), chromedp.WaitReady(chromedp.CSS(`footer`))); err != nil {
							t.Fatalf("%s as %s: %v", key, who, err)
						}
						got, err := chromedp.Run(ctx, chromedp.Evaluate[[]int64](`[document.scrollingElement.scrollWidth, window.innerWidth]`))
						if err != nil {
							t.Fatal(err)
						}
						if got[0] > got[1] {
							t.Errorf("%s as %s at %d px: the page is %d px wide", key, who, w, got[0])
						}
					}
				}
				t.Logf("%s: %d pages fit at %v px", who, len(urls), fitWidths)
			}
		})
	}
}

// userPages are the pages (path and query, one per page and language)
// one of a scene's users is shown in a browser test.
type userPages struct {
	who  string
	urls []string
}

// browserPages lists, for each of sc's users in order, the pages the
// crawl reaches with 200 as that user, each page in each language once
// per group: the first user of a group who reaches a page is shown it.
// A group of "" for everyone shows each page once per site, as the first
// user who reaches it sees it (every header — visitor, person, staff —
// is on the pages only that kind of user reaches). Downloads (export,
// receipt) are left out: they are not pages.
func browserPages(t *testing.T, sc *scene, group func(who string) string) []userPages {
	t.Helper()
	seen := map[string]bool{}
	var out []userPages
	for _, who := range sc.order {
		c := crawl(t, sc.users[who])
		up := userPages{who: who}
		for _, key := range c.order {
			u := mustURL(key)
			page := group(who) + " " + u.Path + "?" + u.Query().Get("lang")
			if c.status[key] != http.StatusOK || seen[page] || strings.HasSuffix(u.Path, "/export") || strings.HasSuffix(u.Path, "/receipt") {
				continue
			}
			seen[page] = true
			up.urls = append(up.urls, key)
		}
		out = append(out, up)
	}
	return out
}
