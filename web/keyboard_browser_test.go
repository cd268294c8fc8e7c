package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"steward/internal/testkit"
	"steward/message"
)

// focusStop is the element Tab moved the focus to: whether it is the one
// looked for, the start of its HTML, and how its focus shows.
type focusStop struct {
	Match   bool   `json:"match"`
	What    string `json:"what"`
	Visible bool   `json:"visible"`
	Outline string `json:"outline"`
	Width   string `json:"width"`
	Shadow  string `json:"shadow"`
}

// tabTo presses Tab until the focused element matches sel; at every stop
// on the way the focused element must show its focus (it matches
// :focus-visible and has an outline or a box shadow).
func (w *walker) tabTo(sel string) {
	w.t.Helper()
	for range 120 {
		w.do("Tab", chromedp.KeyEvent(kb.Tab))
		f := walkEval[focusStop](w, fmt.Sprintf(`(() => { const e = document.activeElement, s = getComputedStyle(e);
			return {match: e.matches(%q), what: e.outerHTML.slice(0, 100), visible: e.matches(':focus-visible'),
				outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow}; })()`, sel))
		ring := f.Outline != "none" && f.Width != "0px" || f.Shadow != "none" && f.Shadow != ""
		if !f.Visible || !ring {
			w.t.Errorf("%s at %d px: the focus does not show on %s (outline %s %s, shadow %s)", w.name, w.width, f.What, f.Outline, f.Width, f.Shadow)
		}
		if f.Match {
			return
		}
	}
	w.t.Fatalf("%s at %d px: Tab never reaches %s", w.name, w.width, sel)
}

// enter presses Enter on the focused element and waits for the page it
// leads to.
func (w *walker) enter() {
	w.t.Helper()
	w.markPage()
	w.do("Enter", chromedp.KeyEvent(kb.Enter))
	w.waitNewPage("after Enter")
}

// typeKeys types s into the focused element.
func (w *walker) typeKeys(s string) {
	w.t.Helper()
	w.do("type", chromedp.KeyEvent(s))
}

// keyFill fills every empty required field of the form holding sel by
// keyboard: Tab to it and type (a choice: the first letters of its first
// option, as a person types to pick one).
func (w *walker) keyFill(sel string) {
	w.t.Helper()
	fields := walkEval[[]formField](w, fmt.Sprintf(`[...document.querySelector(%q).form.elements]
		.filter(e => e.required && !e.value && e.id && e.type !== 'password' && e.type !== 'checkbox')
		.map(e => ({id: e.id, type: e.tagName === 'SELECT' ? 'select' : e.type, options: e.tagName === 'SELECT' ? [...e.options].filter(o => o.value).map(o => o.text) : []}))`, sel))
	for _, f := range fields {
		w.tabTo("#" + f.ID)
		switch {
		case f.Type == "select":
			w.typeKeys(f.Options[0])
			if v := walkEval[string](w, fmt.Sprintf(`document.getElementById(%q).value`, f.ID)); v == "" {
				w.t.Fatalf("%s: typing %q does not choose it in %s", w.name, f.Options[0], f.ID)
			}
		case f.Type == "email":
			w.typeKeys(w.email)
		case strings.Contains(f.ID, "first"):
			w.typeKeys("Anna")
		case strings.Contains(f.ID, "last"):
			w.typeKeys("de Vries")
		default:
			w.typeKeys("Apotheek Noord")
		}
	}
}

// TestBrowserKeyboardFlows does, with the keyboard only, what
// TestBrowserWalkthrough does with the mouse: from "/", the cookie notice
// answered, an account created, confirmed by the mailed link exactly as
// mailed, a log-in, a consent given, the newsletter signed up for (IVM)
// and confirmed, the account erased. Tab moves, Enter follows a link or
// presses a button, Space ticks a box, typing fills a field or picks a
// choice; at every stop the focus is visible (issue 13: "every flow
// completes with Tab/Enter, focus is visible"), and axe-core finds no
// WCAG 2.1 A or AA violation on any page of the way. IVM in English,
// Zorginspirator in Dutch, a desktop window.
func TestBrowserKeyboardFlows(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	for _, c := range []struct{ site, lang string }{{"ivm", "en"}, {"zorginspirator", "nl"}} {
		t.Run(c.site, func(t *testing.T) {
			began := time.Now()
			st := newSite(t, testkit.SQLite(t), c.site)
			ctx := testkit.BrowserFor(t, walkTimeout)
			w := &walker{t: t, ctx: ctx, st: st, lang: c.lang, width: 1280, shots: screenshotDir(),
				name: "keyboard-" + c.site + "-" + c.lang, email: "keys@example.nl", axe: true}
			// axe-core on every page of the flow, those only a mailed
			// link or a sent form leads to included (TestBrowserAxe
			// checks the pages the crawl reaches).
			w.do("inject axe", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: axeScript})
				return err
			}))
			w.do("window", chromedp.EmulateViewport(w.width, 900))
			w.open(st.srv.URL + "/")
			w.site = walkEval[string](w, `document.querySelector('header.site .brand').innerText`)
			if c.lang != "nl" {
				w.tabTo(`header.site a.lang`)
				w.enter()
			}
			if walkEval[bool](w, `!!document.getElementById('cookie-notice')`) {
				w.tabTo(`#cookie-notice button[value=none]`)
				w.enter()
				if walkEval[bool](w, `!!document.getElementById('cookie-notice')`) {
					t.Fatal("the cookie notice stays after refusing by keyboard")
				}
			}

			// Sign-up.
			w.tabTo(`main .entries a[href^="/signup"]`)
			w.enter()
			w.sees("signup", "signup.title")
			w.keyFill(`#f-password`)
			w.tabTo(`#f-password`)
			w.typeKeys("correct horse battery")
			w.tabTo(`main form button[type=submit]`)
			w.enter()
			w.sees("signup-done", "signup.done_title", w.text("signup.done"))
			w.open(w.mail("mail.verify.subject"))
			w.tabTo(`main form button[type=submit]`)
			w.enter()
			w.sees("verified", "verify.done_title")

			// Log-in.
			w.tabTo(`main a.button[href^="/login"]`)
			w.enter()
			w.tabTo(`#f-email`)
			w.typeKeys(w.email)
			w.tabTo(`#f-password`)
			w.typeKeys("correct horse battery")
			w.tabTo(`main form button[type=submit]`)
			w.enter()
			w.sees("account", "profile.title", w.email)

			// A consent given.
			w.tabTo(`header.site nav a[href^="/account/consents"]`)
			w.enter()
			w.sees("consents", "consents.title")
			purpose := walkEval[string](w, `(document.querySelector('section.consent:has([data-state=not-given])') || {}).id || ''`)
			if purpose == "" {
				t.Fatal("the consents page offers no consent to give")
			}
			w.tabTo("#" + purpose + ` button[value="1"]`)
			w.enter()
			w.sees("consent-given", "consents.title", w.text("consents.saved"))
			if state := walkEval[string](w, fmt.Sprintf(`document.querySelector('#%s [data-state]').dataset.state`, purpose)); state != "given" {
				t.Errorf("after giving consent %s by keyboard its state is %q", purpose, state)
			}

			// The newsletter, where the site has one.
			if walkEval[bool](w, `!!document.querySelector('header.site nav a[href^="/newsletter"]')`) {
				w.tabTo(`header.site nav a[href^="/newsletter"]`)
				w.enter()
				w.sees("newsletter", "newsletter.title")
				w.keyFill(`main input[name=consent]`)
				w.tabTo(`main input[name=consent]`)
				w.typeKeys(" ")
				w.tabTo(`main form button[type=submit]`)
				w.enter()
				w.sees("newsletter-mailed", "newsletter.check_mail_title")
				w.open(w.mail("mail.newsletter_confirm.subject"))
				w.tabTo(`main form button[type=submit]`)
				w.enter()
				w.sees("newsletter-confirmed", "newsletter.confirmed_title", w.text("newsletter.confirmed"))
			} else if c.site == "ivm" {
				t.Error("IVM's menu has no newsletter entry")
			}

			// Erasure: first without the box, then with it.
			w.tabTo(`header.site nav a[href^="/account/data"]`)
			w.enter()
			w.tabTo(`#erase`)
			w.enter()
			w.sees("erase", "erase.title")
			w.do("a browser that lets the unticked box through", chromedp.RemoveAttribute(chromedp.CSS(`#f-confirm`), "required"))
			w.tabTo(`main button.danger`)
			w.enter()
			w.sees("erase-unticked", "erase.title", message.Default().Format(w.lang, "error.tick_box_to_erase"))
			w.tabTo(`#f-confirm`)
			w.typeKeys(" ")
			w.tabTo(`main button.danger`)
			w.enter()
			w.sees("erased", "erase.done_title", w.text("erase.done"))
			t.Logf("%s in %s by keyboard: %s; axe checked %d pages", c.site, c.lang, time.Since(began).Round(100*time.Millisecond), w.axed)
		})
	}
}
