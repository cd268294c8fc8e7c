package web_test

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"steward/internal/testkit"
)

// axeScript is axe-core, vendored (web/testdata/axe/README.md).
//
//go:embed testdata/axe/axe.min.js
var axeScript string

// axeRun runs axe on the page with the WCAG 2.0 and 2.1 A and AA rules
// and returns each violation's rule id and the elements it found.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
	.then(r => r.violations.map(v => ({id: v.id, targets: v.nodes.map(n => n.target.join(' '))})))`

type axeViolation struct {
	ID      string   `json:"id"`
	Targets []string `json:"targets"`
}

// axeGroup is whose view of a page axe checks: logged out (the cookie
// notice shown to a first-time visitor included), a person, or staff
// (the first staff role that reaches the page).
func axeGroup(who string) string {
	switch who {
	case "visitor", "returning visitor":
		return "logged out"
	case "person":
		return "person"
	}
	return "staff"
}

// TestBrowserAxe opens, in headless Chromium, every page of both sites
// in both languages (the crawl), logged out, as a person and as staff,
// runs axe-core's WCAG 2.1 A and AA rules on it and finds no violation
// (issue 13, accessibility). One browser per user, its one tab reused.
func TestBrowserAxe(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			t.Parallel() // each site its own scene and browsers
			sc := newScene(t, testkit.SQLite(t), site)
			base := sc.st.srv.URL
			for _, up := range browserPages(t, sc, axeGroup) {
				if len(up.urls) == 0 {
					continue
				}
				// A browser per user, its timeout grown with its pages: axe
				// takes about a second a page, three under -race on a slow
				// hour (a person's crawl of one site ran past 90 s).
				t.Run(up.who, func(t *testing.T) {
					ctx := testkit.BrowserFor(t, testkit.BrowserTimeout+3*time.Second*time.Duration(len(up.urls)))
					if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
						_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: axeScript})
						return err
					})); err != nil {
						t.Fatalf("inject axe: %v", err)
					}
					asUser(t, ctx, sc, sc.users[up.who])
					start := time.Now()
					for _, key := range up.urls {
						if err := chromedp.Do(ctx, chromedp.Navigate(base+key), chromedp.WaitReady(chromedp.CSS(`footer`))); err != nil {
							t.Fatalf("%s: %v", key, err)
						}
						got, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
						if err != nil {
							t.Fatalf("axe on %s: %v", key, err)
						}
						for _, v := range got {
							t.Errorf("%s: %s at %s", key, v.ID, strings.Join(v.Targets, ", "))
						}
					}
					t.Logf("axe checked %d pages in %s: %s", len(up.urls), time.Since(start).Round(time.Second), strings.Join(up.urls, " "))
				})
			}
		})
	}
}

// focused is the element that has the focus: whether it matches the
// selector looked for, the start of its HTML, whether it matches
// :focus-visible, and its outline.
type focused struct {
	Match   bool   `json:"match"`
	What    string `json:"what"`
	Visible bool   `json:"visible"`
	Outline string `json:"outline"`
	Width   string `json:"width"`
}

// TestBrowserKeyboardLogin logs a person in with the keyboard only: from
// the start page, Tab to the log-in link and Enter, Tab to each field,
// type, Enter to send; the account page opens. Every element Tab reaches
// on the way matches :focus-visible and shows an outline (issue 13,
// keyboard).
func TestBrowserKeyboardLogin(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	sc := newScene(t, testkit.SQLite(t), "zorginspirator")
	ctx := testkit.Browser(t)
	asUser(t, ctx, sc, sc.users["returning visitor"])
	if err := chromedp.Do(ctx, chromedp.Navigate(sc.st.srv.URL+"/"), chromedp.WaitReady(chromedp.CSS(`footer`))); err != nil {
		t.Fatal(err)
	}
	// tabTo presses Tab until the focused element matches sel, checking
	// each focused element has a visible outline.
	tabTo := func(sel string) {
		t.Helper()
		for range 40 {
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
				t.Fatal(err)
			}
			focus, err := chromedp.Run(ctx, chromedp.Evaluate[focused](fmt.Sprintf(`(() => { const e = document.activeElement, s = getComputedStyle(e);
				return {match: e.matches(%q), what: e.outerHTML.slice(0, 80), visible: e.matches(':focus-visible'), outline: s.outlineStyle, width: s.outlineWidth}; })()`, sel)))
			if err != nil {
				t.Fatal(err)
			}
			if !focus.Visible || focus.Outline == "none" || focus.Width == "0px" {
				t.Errorf("focus is not visible on %s (outline %s %s)", focus.What, focus.Outline, focus.Width)
			}
			if focus.Match {
				return
			}
		}
		t.Fatalf("Tab never reaches %s", sel)
	}
	tabTo(`a[href^="/login"]`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`#f-email`))); err != nil {
		t.Fatal(err)
	}
	tabTo(`#f-email`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent("anna@example.org")); err != nil {
		t.Fatal(err)
	}
	tabTo(`#f-password`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent("correct horse battery"+kb.Enter)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(`form.logout`))); err != nil {
		t.Fatalf("after logging in by keyboard: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "/account") {
		t.Errorf("logging in by keyboard leads to %s, want the account", loc)
	}
}
