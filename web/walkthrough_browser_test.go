package web_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"steward/internal/testkit"
	"steward/message"
	"steward/rights"
)

// walkTimeout bounds one site and language of the walkthrough: two
// people, each signing up, confirming, logging in, downloading, changing
// a consent, signing up for the newsletter and erasing their account.
const walkTimeout = 4 * time.Minute

// walker is one person walking through a site in a headless Chromium,
// by clicking only: the start page and the links mailed to them are the
// only addresses it opens itself.
type walker struct {
	t      *testing.T
	ctx    context.Context
	st     *site
	lang   string
	width  int64
	email  string
	name   string // for screenshots: site-lang
	site   string // the site's name, as its header shows it
	step   int
	shots  string
	mailed int // mails read so far
	// axe runs axe-core on every page sees checks; axed counts them.
	axe  bool
	axed int
}

// text is the catalogue's text for key in the walker's language.
func (w *walker) text(key string) string { return message.Default().Text(w.lang, key) }

// do runs steps; a failure names what the person was doing.
func (w *walker) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	if err := chromedp.Do(w.ctx, steps...); err != nil {
		w.t.Fatalf("%s at %d px: %s: %v", w.name, w.width, what, err)
	}
}

// eval evaluates js on the page.
func walkEval[T any](w *walker, js string) T {
	w.t.Helper()
	v, err := chromedp.Run(w.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		w.t.Fatalf("%s at %d px: %s: %v", w.name, w.width, js, err)
	}
	return v
}

// markPage marks the document on screen, so waitNewPage can tell when
// the next one has replaced it.
func (w *walker) markPage() {
	w.t.Helper()
	walkEval[bool](w, `window.__walked = true`)
}

// waitNewPage waits until a document that markPage did not mark has
// loaded completely.
func (w *walker) waitNewPage(what string) {
	w.t.Helper()
	// While the old page goes and the new one comes, evaluating may fail
	// (its context is gone): that is asking too early, not an answer.
	var last error
	for w.ctx.Err() == nil {
		done, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](`!window.__walked && document.readyState === 'complete' && !!document.querySelector('footer')`))
		if err == nil && done {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	w.t.Fatalf("%s at %d px: %s: no new page (%v)", w.name, w.width, what, last)
}

// click clicks the visible element sel with the mouse and waits for the
// page it leads to.
func (w *walker) click(sel string) {
	w.t.Helper()
	w.markPage()
	w.do("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
	w.waitNewPage("after clicking " + sel)
}

// open opens an address the person has: the start page, or a link from
// a mail exactly as mailed.
func (w *walker) open(u string) {
	w.t.Helper()
	w.markPage()
	w.do("open "+u, chromedp.Navigate(u))
	w.waitNewPage("open " + u)
}

// sees checks the page's heading is the catalogue's title key and, for
// each of texts, that the main content shows it; then it saves the
// step's screenshot.
func (w *walker) sees(step, titleKey string, texts ...string) {
	w.t.Helper()
	h1 := walkEval[string](w, `(document.querySelector('main h1') || {}).innerText || ''`)
	if want := w.text(titleKey); strings.TrimSpace(h1) != want {
		w.t.Fatalf("%s at %d px, %s: the page's heading is %q, want %q", w.name, w.width, step, h1, want)
	}
	if lang := walkEval[string](w, `document.documentElement.lang`); lang != w.lang {
		w.t.Errorf("%s at %d px, %s: the page is in %q", w.name, w.width, step, lang)
	}
	if wide := walkEval[[]int64](w, `[document.scrollingElement.scrollWidth, window.innerWidth]`); wide[0] > wide[1] {
		w.t.Errorf("%s at %d px, %s: the page is %d px wide", w.name, w.width, step, wide[0])
	}
	if w.axe {
		got, err := chromedp.Run(w.ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
		if err != nil {
			w.t.Fatalf("%s, %s: axe: %v", w.name, step, err)
		}
		for _, v := range got {
			w.t.Errorf("%s, %s: axe: %s at %s", w.name, step, v.ID, strings.Join(v.Targets, ", "))
		}
		w.axed++
	}
	main := walkEval[string](w, `document.querySelector('main').innerText`)
	for _, s := range texts {
		if !strings.Contains(main, s) {
			w.t.Errorf("%s at %d px, %s: the page does not say %q:\n%s", w.name, w.width, step, s, main)
		}
	}
	w.shot(step)
}

// shot saves a screenshot of the window when STEWARD_SCREENSHOTS (or
// -screenshots) names a directory.
func (w *walker) shot(step string) {
	w.t.Helper()
	w.step++
	if w.shots == "" {
		return
	}
	png, err := chromedp.Run(w.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		w.t.Fatalf("screenshot %s: %v", step, err)
	}
	path := filepath.Join(w.shots, fmt.Sprintf("walk-%s-%d-%02d-%s.png", w.name, w.width, w.step, step))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// mail returns the link of the next mail to the person with the
// catalogue's subject for subjectKey, exactly as mailed (a notice that
// the password changed may come before it).
func (w *walker) mail(subjectKey string) string {
	w.t.Helper()
	want := message.Default().Format(w.lang, subjectKey, "site", w.site)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := w.st.mail.DeliverDue(context.Background()); err != nil {
			w.t.Fatal(err)
		}
		msgs := w.st.smtp.Messages()
		for i := w.mailed; i < len(msgs); i++ {
			m := msgs[i]
			// The mail of the person who walked the other window may
			// still arrive; it is not this person's.
			if m.Subject != want || strings.Join(m.EnvelopeTo, " ") != w.email {
				continue
			}
			w.mailed = i + 1
			link := linkRE.FindString(m.Text)
			if link == "" {
				w.t.Fatalf("%s: no link in the mail %q:\n%s", w.name, m.Subject, m.Text)
			}
			return link
		}
	}
	w.t.Fatalf("%s at %d px: no mail %q arrived", w.name, w.width, want)
	return ""
}

// formField is an empty field of a form the person has to fill in.
type formField struct {
	ID      string   `json:"id"`
	Type    string   `json:"type"`
	Options []string `json:"options"`
}

// fill types a plausible value into every empty required field of the
// form that holds sel (a select gets its first choice), as a person
// filling in the form would.
func (w *walker) fill(sel string) {
	w.t.Helper()
	fields := walkEval[[]formField](w, fmt.Sprintf(`[...document.querySelector(%q).form.elements]
		.filter(e => e.required && !e.value && e.id && e.type !== 'password' && e.type !== 'checkbox')
		.map(e => ({id: e.id, type: e.tagName === 'SELECT' ? 'select' : e.type, options: e.tagName === 'SELECT' ? [...e.options].map(o => o.value).filter(v => v) : []}))`, sel))
	for _, f := range fields {
		id := chromedp.CSS("#" + f.ID)
		switch {
		case f.Type == "select":
			if len(f.Options) == 0 {
				w.t.Fatalf("%s: the choice %s has no options", w.name, f.ID)
			}
			w.do("choose "+f.ID, chromedp.SetValue(id, f.Options[0]))
		case f.Type == "email":
			w.do("type "+f.ID, chromedp.SendKeys(id, w.email))
		case strings.Contains(f.ID, "first"):
			w.do("type "+f.ID, chromedp.SendKeys(id, "Anna"))
		case strings.Contains(f.ID, "last"):
			w.do("type "+f.ID, chromedp.SendKeys(id, "de Vries"))
		default:
			w.do("type "+f.ID, chromedp.SendKeys(id, "Apotheek Noord"))
		}
	}
}

// menuUsable checks every entry of the header's menu is on screen and is
// what a click at its middle hits: on a phone the menu wraps, it hides
// nothing.
func (w *walker) menuUsable(step string) {
	w.t.Helper()
	bad := walkEval[[]string](w, `[...document.querySelectorAll('header.site a, header.site button')].filter(e => {
		const r = e.getBoundingClientRect();
		if (r.width === 0 || r.left < 0 || r.right > window.innerWidth) return true;
		e.scrollIntoView({block: 'nearest'});
		const q = e.getBoundingClientRect();
		const hit = document.elementFromPoint(q.left + q.width / 2, q.top + q.height / 2);
		return !(hit === e || e.contains(hit));
	}).map(e => e.outerHTML.slice(0, 80))`)
	for _, b := range bad {
		w.t.Errorf("%s at %d px, %s: the menu entry %s cannot be clicked", w.name, w.width, step, b)
	}
	if n := walkEval[int](w, `document.querySelectorAll('header.site nav a, header.site nav button').length`); n < 2 {
		w.t.Errorf("%s at %d px, %s: the menu has %d entries", w.name, w.width, step, n)
	}
}

// TestBrowserWalkthrough is issue 13's "done when": on both sites, in
// both languages, on a 1280 px and a 390 px window, a person starts at
// "/", answers the cookie notice, creates an account from the home page's
// entry, confirms it by the mailed link exactly as mailed, logs in, opens
// My data, downloads the export, changes a consent, signs up for the
// newsletter where the site has one (confirming by its mailed link) and
// erases the account — by clicking links and buttons only. Each step
// checks the page's heading and what it says, in the page's language;
// with STEWARD_SCREENSHOTS=DIR (or -screenshots DIR) each step is saved
// as walk-SITE-LANG-WIDTH-NN-STEP.png. One browser per site and language.
func TestBrowserWalkthrough(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	start := time.Now()
	dir := screenshotDir()
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, site := range []string{"ivm", "zorginspirator"} {
		for _, lang := range []string{"nl", "en"} {
			t.Run(site+"/"+lang, func(t *testing.T) {
				began := time.Now()
				st := newSite(t, testkit.SQLite(t), site)
				ctx := testkit.BrowserFor(t, walkTimeout)
				for _, scr := range []int64{1280, 390} {
					w := &walker{t: t, ctx: ctx, st: st, lang: lang, width: scr, shots: dir,
						name: site + "-" + lang, email: fmt.Sprintf("walk-%s-%d@example.nl", lang, scr), mailed: len(st.smtp.Messages())}
					w.walk(site)
				}
				t.Logf("%s in %s: both windows in %s", site, lang, time.Since(began).Round(100*time.Millisecond))
			})
		}
	}
	t.Logf("walkthrough: %s", time.Since(start).Round(100*time.Millisecond))
}

// walk is one person's visit, from the start page to the erased account.
func (w *walker) walk(site string) {
	t := w.t
	t.Helper()
	// A new visitor: no session, no cookie choice.
	w.do("new visitor", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}), chromedp.EmulateViewport(w.width, 844))
	w.open(w.st.srv.URL + "/")
	if w.lang != "nl" {
		w.click(`header.site a.lang`)
	}
	siteName := walkEval[string](w, `document.querySelector('header.site .brand').innerText`)
	w.site = siteName
	if h1 := walkEval[string](w, `document.querySelector('main h1').innerText`); h1 != siteName {
		t.Fatalf("%s: the home page's heading is %q, want the site's name %q", w.name, h1, siteName)
	}
	w.shot("home")

	// The cookie notice: answered with one click, gone afterwards.
	if walkEval[bool](w, `!!document.getElementById('cookie-notice')`) {
		choice := "none"
		if w.width < 1000 {
			choice = "all"
		}
		btn := fmt.Sprintf(`#cookie-notice button[value=%s]`, choice)
		if got, want := walkEval[string](w, fmt.Sprintf(`document.querySelector(%q).innerText`, btn)), w.text("cookies.accept_all"); choice == "all" && got != want {
			t.Errorf("%s: the notice's accept button says %q, want %q", w.name, got, want)
		}
		w.click(btn)
		if walkEval[bool](w, `!!document.getElementById('cookie-notice')`) {
			t.Fatalf("%s at %d px: the cookie notice is still shown after answering it", w.name, w.width)
		}
		if h1 := walkEval[string](w, `document.querySelector('main h1').innerText`); h1 != siteName {
			t.Errorf("%s: answering the notice leads to %q, want the home page", w.name, h1)
		}
		w.shot("cookies-answered")
	}
	w.menuUsable("home")

	// Create an account from the home page's visible entry.
	w.click(`main .entries a[href^="/signup"]`)
	w.sees("signup", "signup.title", w.text("signup.intro"))
	w.fill(`#f-password`)
	w.do("password", chromedp.SendKeys(chromedp.CSS(`#f-password`), "correct horse battery"))
	w.shot("signup-filled")
	w.click(`main form button[type=submit]`)
	w.sees("signup-done", "signup.done_title", w.text("signup.done"))

	// The confirmation mail's link, exactly as mailed.
	w.open(w.mail("mail.verify.subject"))
	w.sees("verify", "verify.title", w.text("verify.intro"))
	w.click(`main form button[type=submit]`)
	w.sees("verified", "verify.done_title", w.text("verify.done"))

	// The log-in page from the page that confirmed the address; the
	// password forgotten: a new one through the mailed link, as mailed.
	w.click(`main a.button[href^="/login"]`)
	w.sees("login", "login.title")
	w.click(`main a[href^="/reset"]`)
	w.sees("reset", "reset.title", w.text("reset.intro"))
	w.do("address", chromedp.SendKeys(chromedp.CSS(`#f-email`), w.email))
	w.click(`main form button[type=submit]`)
	w.sees("reset-mailed", "reset.sent_title", w.text("reset.sent"))
	w.open(w.mail("mail.reset.subject"))
	w.sees("reset-new", "reset.new_title")
	w.do("new password", chromedp.SendKeys(chromedp.CSS(`#f-password`), "a brand new passphrase"))
	w.click(`main form button[type=submit]`)
	w.sees("reset-done", "reset.done_title", w.text("reset.done"))

	// Log in from the page that saved the password.
	w.click(`main a.button[href^="/login"]`)
	w.sees("login", "login.title")
	w.do("log in", chromedp.SendKeys(chromedp.CSS(`#f-email`), w.email), chromedp.SendKeys(chromedp.CSS(`#f-password`), "a brand new passphrase"))
	w.click(`main form button[type=submit]`)
	w.sees("account", "profile.title", w.email)
	w.menuUsable("account")

	// My data, from the menu; the export downloaded by clicking.
	w.click(`header.site nav a[href^="/account/data"]`)
	w.sees("my-data", "data.title", w.text("data.intro"), w.text("data.consents"), w.text("data.requests"))
	w.download(`#export`)

	// Consents: give the first one not given, from the menu.
	w.click(`header.site nav a[href^="/account/consents"]`)
	w.sees("consents", "consents.title", w.text("consents.intro"))
	purpose := walkEval[string](w, `(document.querySelector('section.consent:has([data-state=not-given])') || {}).id || ''`)
	if purpose == "" {
		t.Fatalf("%s: the consents page offers no consent to give", w.name)
	}
	w.click("#" + purpose + ` button[value="1"]`)
	w.sees("consent-given", "consents.title", w.text("consents.saved"))
	if state := walkEval[string](w, fmt.Sprintf(`document.querySelector('#%s [data-state]').dataset.state`, purpose)); state != "given" {
		t.Errorf("%s: after giving consent %s its state is %q", w.name, purpose, state)
	}

	// The newsletter, where the site has one: from the menu, confirmed by
	// the mailed link exactly as mailed.
	if walkEval[bool](w, `!!document.querySelector('header.site nav a[href^="/newsletter"]')`) {
		w.click(`header.site nav a[href^="/newsletter"]`)
		w.sees("newsletter", "newsletter.title", w.text("newsletter.intro"))
		w.fill(`main form button[type=submit]`)
		w.do("tick the newsletter's consent", chromedp.Click(chromedp.CSS(`main input[name=consent]`)))
		w.shot("newsletter-filled")
		w.click(`main form button[type=submit]`)
		w.sees("newsletter-mailed", "newsletter.check_mail_title", w.text("newsletter.check_mail"))
		w.open(w.mail("mail.newsletter_confirm.subject"))
		w.sees("newsletter-confirm", "newsletter.confirm_title")
		w.click(`main form button[type=submit]`)
		w.sees("newsletter-confirmed", "newsletter.confirmed_title", w.text("newsletter.confirmed"))
	} else if site == "ivm" {
		t.Errorf("%s: the menu has no newsletter entry", w.name)
	}

	// Erasure: from My data; the box unticked first, then ticked.
	w.click(`header.site nav a[href^="/account/data"]`)
	w.click(`#erase`)
	w.sees("erase", "erase.title", w.text("erase.intro"))
	if fits := walkEval[bool](w, `(b => b.scrollWidth <= b.clientWidth)(document.querySelector('table.erase-plan').parentElement)`); !fits {
		t.Errorf("%s at %d px: the erasure plan does not fit the window", w.name, w.width)
	}
	if bg := walkEval[string](w, `getComputedStyle(document.querySelector('main button.danger')).backgroundColor`); bg == "" || bg == "rgba(0, 0, 0, 0)" {
		t.Errorf("%s: the erase button has no colour of its own (%q)", w.name, bg)
	}
	// The box is required; a person whose browser does not check that
	// (novalidate is the server's job) gets the form back with an error.
	w.do("send unticked", chromedp.RemoveAttribute(chromedp.CSS(`#f-confirm`), "required"))
	w.click(`main button.danger`)
	w.sees("erase-unticked", "erase.title", message.Default().Format(w.lang, "error.tick_box_to_erase"))
	w.do("tick", chromedp.Click(chromedp.CSS(`#f-confirm`)))
	w.click(`main button.danger`)
	w.sees("erased", "erase.done_title", w.text("erase.done"))
	if walkEval[bool](w, `!!document.querySelector('form.logout')`) {
		t.Errorf("%s: after erasure the person is still logged in", w.name)
	}
	if !walkEval[bool](w, `!!document.querySelector('header.site nav a[href^="/login"]')`) {
		t.Errorf("%s: after erasure the menu offers no log-in", w.name)
	}
}

// download clicks sel, waits for the file the browser saves and checks it
// is the person's export: a ZIP with data.json naming them and a CSV.
func (w *walker) download(sel string) {
	w.t.Helper()
	dir := w.t.TempDir()
	w.do("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)})
		return err
	}))
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	w.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
	var file string
	for ev, err := range progress {
		if err != nil {
			w.t.Fatalf("%s: download: %v", w.name, err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			w.t.Fatalf("%s: the download was cancelled", w.name)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
	}
	zr, err := zip.OpenReader(file)
	if err != nil {
		w.t.Fatalf("%s: the download is no ZIP: %v", w.name, err)
	}
	defer zr.Close()
	var names []string
	var data map[string]any
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name != rights.ExportDataFile {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			w.t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if err := json.Unmarshal(b, &data); err != nil {
			w.t.Fatalf("%s: %s is not JSON: %v", w.name, f.Name, err)
		}
		if !strings.Contains(string(b), w.email) {
			w.t.Errorf("%s: the export's %s does not hold the person's address", w.name, f.Name)
		}
	}
	if data == nil || !strings.Contains(strings.Join(names, " "), ".csv") {
		w.t.Errorf("%s: the export holds %v, want %s and CSV files", w.name, names, rights.ExportDataFile)
	}
	w.shot("export-downloaded")
}
