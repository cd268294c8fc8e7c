package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"steward/consent"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/store"
	"steward/web"
)

// TestBrowserAnonymousSaveThenKeepAtSignup (issue 18 items 3–5, Z1, Z2,
// Z4) drives headless Chromium through the career platform on both
// stores: an anonymous visitor answers the basic questions, searches,
// saves three items — all of it only in the session cookie, no row on the
// server — creates an account and, logging in, keeps them with one tick;
// then fills in job and education history, sees everything with its
// deletion date in My data and downloads the export. Then (issue 18's
// done-when, item 6) a new matching functie is imported and the
// newsletter sent through the service 'newsletter send' uses: the person,
// who ticked the newsletter at sign-up, receives over SMTP an issue
// listing it; they withdraw the newsletter by clicking in their consents
// page and the next issue reaches them no more. A second anonymous
// session that answers and saves and then ends (the browser's session
// cookies gone) leaves nothing anywhere.
func TestBrowserAnonymousSaveThenKeepAtSignup(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := testkit.BrowserFor(t, 3*time.Minute)
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		key := consent.NewKey(priv)
		st := newSite(t, s, "zorginspirator", func(cfg *web.Config) { cfg.ConsentKey = key })
		importCatalogue(t, st, catalogueItems)
		base := st.srv.URL
		C := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
		do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, steps...); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		text := func(sel string) string {
			t.Helper()
			v, err := chromedp.Run(ctx, chromedp.Text(C(sel)))
			if err != nil {
				t.Fatalf("text of %s: %v", sel, err)
			}
			return v
		}
		visitCookie := func() string {
			t.Helper()
			res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range res.Cookies {
				if c.Name == "steward_session" {
					if !c.Session || !c.HTTPOnly {
						t.Errorf("the session cookie is not session-only and HttpOnly: %+v", c)
					}
					return c.Value
				}
			}
			return ""
		}
		nothingStored := func(when string) {
			t.Helper()
			for _, table := range []string{"records", "profile_values"} {
				if n := countRows(t, s, `SELECT COUNT(*) FROM `+table); n != 0 {
					t.Errorf("%s: %s holds %d rows", when, table, n)
				}
			}
		}

		// The basic questions, from the menu.
		do("questions", chromedp.Navigate(base+"/"), chromedp.Click(C(`nav a[href="/basisvragen"]`)), chromedp.WaitVisible(C(`#questions`)),
			chromedp.Click(C(`input[name="q.sector"][value="ouderenzorg"]`)), chromedp.Click(C(`input[name="q.region"][value="drenthe"]`)),
			chromedp.Submit(C(`#questions`)), chromedp.WaitVisible(C(`#suits`)))
		if got := text(`section[aria-labelledby=suits]`); !strings.Contains(got, "Verzorgende IG dementiezorg in Assen") {
			t.Errorf("what suits the answers: %q", got)
		}
		// Search, open a result, save it; two more from the lists.
		do("search", chromedp.Click(C(`nav a[href="/functies"]`)), chromedp.WaitVisible(C(`#q`)),
			chromedp.SendKeys(C(`#q`), "verzorging"), chromedp.Submit(C(`#q`)))
		// The unfiltered list shows F-2 too: wait for the search's page.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err == nil && strings.Contains(loc, "q=verzorging") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the search did not load: %s %v", loc, err)
			}
		}
		do("open a result", chromedp.WaitVisible(C(`.catalogue-items a[href="/functies/F-2"]`)), chromedp.Click(C(`.catalogue-items a[href="/functies/F-2"]`)),
			chromedp.WaitVisible(C(`form[action="/saved"] button`)), chromedp.Click(C(`form[action="/saved"] button`)),
			chromedp.WaitVisible(C(`main p.notice[role=status]`)))
		for _, path := range []string{"/functies/F-1", "/opleidingen/O-1"} {
			do("save "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(C(`form[action="/saved"] button`)),
				chromedp.Click(C(`form[action="/saved"] button`)), chromedp.WaitVisible(C(`main p.notice[role=status]`)))
		}
		if v := visitCookie(); !strings.HasPrefix(v, "v1.") {
			t.Fatalf("the visit is not in the session cookie: %q", v)
		}
		nothingStored("after saving anonymously")
		do("saved", chromedp.Click(C(`nav a[href="/saved"]`)), chromedp.WaitVisible(C(`.saved-items`)))
		if got := text(`.saved-items`); strings.Count(got, "Niet meer bewaren") != 3 {
			t.Errorf("/saved: %q", got)
		}

		// Create an account, confirm it, log in keeping the session's items.
		do("sign-up", chromedp.Click(C(`nav a[href="/signup"]`)), chromedp.WaitVisible(C(`#f-account-email`)),
			chromedp.SendKeys(C(`#f-account-email`), "anna@example.org"), chromedp.SendKeys(C(`#f-password`), "correct horse battery"),
			chromedp.Click(C(`#consent-newsletter input[type=checkbox]`)),
			chromedp.Submit(C(`#f-password`)), chromedp.WaitVisible(C(`main [role=status]`)))
		link, _ := st.mailLink(len(st.smtp.Messages()) + 1)
		do("verify", chromedp.Navigate(link), chromedp.Click(C(`main button[type=submit]`)), chromedp.WaitVisible(C(`main [role=status]`)))
		do("login keeping them", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(C(`#f-keep`)),
			chromedp.SendKeys(C(`#f-email`), "anna@example.org"), chromedp.SendKeys(C(`#f-password`), "correct horse battery"),
			chromedp.Click(C(`#f-keep`)), chromedp.Submit(C(`#f-password`)), chromedp.WaitVisible(C(`#account-email`)))
		if v := visitCookie(); v == "" || strings.HasPrefix(v, "v1.") {
			t.Errorf("after login the cookie still holds the visit")
		}
		id := personID(t, s, "anna@example.org")
		if n := countRows(t, s, `SELECT COUNT(*) FROM records WHERE subject_id = $1 AND kind = 'saved_item'`, id); n != 3 {
			t.Errorf("%d saved items kept; want 3", n)
		}
		do("saved with an account", chromedp.Click(C(`nav a[href="/saved"]`)), chromedp.WaitVisible(C(`.saved-items`)))
		if got := text(`.saved-items`); strings.Count(got, "bewaard op") != 3 {
			t.Errorf("/saved with an account: %q", got)
		}

		// Job and education history, one wrong date first.
		do("career page", chromedp.Click(C(`nav a[href="/account/career"]`)), chromedp.WaitVisible(C(`#f-job-history-0-job-history-role`)),
			chromedp.SendKeys(C(`#f-job-history-0-job-history-role`), "Verzorgende IG"),
			chromedp.SetValue(C(`#f-job-history-0-job-history-from`), "2020-01-01"),
			chromedp.SetValue(C(`#f-job-history-0-job-history-to`), "2019-01-01"),
			chromedp.Submit(C(`#f-job-history-0-job-history-role`)), chromedp.WaitVisible(C(`.error-summary`)))
		if got := text(`.error-summary`); !strings.Contains(got, "ligt vóór de datum Van") {
			t.Errorf("error summary: %q", got)
		}
		do("correct the dates", chromedp.SetValue(C(`#f-job-history-0-job-history-to`), "2023-06-30"),
			chromedp.Submit(C(`#f-job-history-0-job-history-role`)), chromedp.WaitVisible(C(`form.career-item`)))
		do("education", chromedp.SendKeys(C(`#f-education-history-0-education-history-course`), "Mbo Verzorgende IG"),
			chromedp.SendKeys(C(`#f-education-history-0-education-history-institution`), "Drenthe College"),
			chromedp.Submit(C(`#f-education-history-0-education-history-course`)), chromedp.WaitVisible(C(`form.career-item input[value="Drenthe College"]`)))

		// My data: everything, with its deletion date; the export.
		do("my data", chromedp.Click(C(`nav a[href="/account/data"]`)), chromedp.WaitVisible(C(`#kind-job_history`)))
		main := text(`main`)
		for _, want := range []string{"Verzorgende IG", "Drenthe College", "In de ouderenzorg; Provincie Drenthe", "24 november 2029"} {
			if !strings.Contains(main, want) {
				t.Errorf("My data lacks %q", want)
			}
		}
		w := &walker{t: t, ctx: ctx, st: st, lang: "nl", width: 1280, name: "career"}
		w.download(`a[href^="/account/data/export"]`)

		// A new functie that matches what Anna saved (ouderenzorg, Drenthe)
		// and one that does not; the newsletter goes out through the
		// service 'newsletter send' uses, with what is new since now.
		svcs, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, "zorginspirator"), Store: s, Clock: st.clock, BaseURL: base})
		if err != nil {
			t.Fatal(err)
		}
		nl := svcs.Newsletter(base, key.Derive("newsletter-unsubscribe"))
		since := st.clock.Now()
		st.clock.Advance(time.Minute)
		newItems := strings.TrimSuffix(strings.TrimSpace(catalogueItems), "]") + `,
{"id":"F-7","kind":"job","title":"Zorgcoördinator dementie in Emmen","description":"Je coördineert de zorg voor bewoners met dementie.","sector":"ouderenzorg","level":"mbo4","region":"drenthe","hours":32},
{"id":"F-8","kind":"job","title":"Apothekersassistent in Venlo","description":"Je geeft medicijnen mee en legt uit hoe ze werken.","sector":"apotheek","level":"mbo4","region":"limburg","hours":24}]`
		importCatalogue(t, st, newItems)
		st.clock.Advance(time.Minute)
		mailed := len(st.smtp.Messages())
		rep, err := nl.Send(context.Background(), consent.Issue{Subject: "Nieuws uit de zorg", Body: "Dit is er nieuw.", Lang: "nl", Since: since}, 0, nil)
		if err != nil || rep.Enqueued != 1 || rep.Tailored != 1 {
			t.Fatalf("send: %+v %v; want Anna's tailored issue", rep, err)
		}
		if _, err := st.mail.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		issue := st.smtp.WaitFor(t, mailed+1)[mailed]
		if to := strings.Join(issue.EnvelopeTo, ","); to != "anna@example.org" || !strings.Contains(issue.Text, "Zorgcoördinator dementie in Emmen") ||
			!strings.Contains(issue.Text, base+"/functies/F-7") || strings.Contains(issue.Text, "Apothekersassistent") ||
			strings.Contains(issue.Text, "Verzorgende IG dementiezorg in Assen") {
			t.Fatalf("the issue to %s does not list exactly the new matching functie:\n%s", to, issue.Text)
		}
		// Withdraw the newsletter in the page; the next issue reaches her no more.
		do("withdraw the newsletter", chromedp.Click(C(`nav a[href="/account/consents"]`)),
			chromedp.WaitVisible(C(`#consent-newsletter p[data-state=given]`)),
			chromedp.Click(C(`#consent-newsletter button[name=given][value="0"]`)),
			chromedp.WaitVisible(C(`#consent-newsletter p[data-state=not-given]`)))
		st.clock.Advance(time.Minute)
		rep, err = nl.Send(context.Background(), consent.Issue{Subject: "Nog meer nieuws", Body: "Weer nieuw.", Lang: "nl", Since: since}, 0, nil)
		if err != nil || rep.Enqueued != 0 {
			t.Fatalf("send after the withdrawal: %+v %v; want nobody", rep, err)
		}
		if _, err := st.mail.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(st.smtp.Messages()); n != mailed+1 {
			t.Fatalf("%d mails after the withdrawal", n-mailed-1)
		}

		// A second anonymous session ends: nothing of it is anywhere.
		do("log out", chromedp.Click(C(`nav form button[type=submit]`)), chromedp.WaitVisible(C(`nav a[href="/login"]`)))
		before := countRows(t, s, `SELECT COUNT(*) FROM records`)
		profiles := countRows(t, s, `SELECT COUNT(*) FROM profile_values`)
		do("answer again", chromedp.Navigate(base+"/basisvragen"), chromedp.WaitVisible(C(`#questions`)),
			chromedp.Click(C(`input[name="q.sector"][value="huisartsenzorg"]`)), chromedp.Click(C(`input[name="q.region"][value="limburg"]`)),
			chromedp.Submit(C(`#questions`)), chromedp.WaitVisible(C(`#suits`)))
		do("save again", chromedp.Navigate(base+"/functies/F-3"), chromedp.WaitVisible(C(`form[action="/saved"] button`)),
			chromedp.Click(C(`form[action="/saved"] button`)), chromedp.WaitVisible(C(`main p.notice[role=status]`)))
		if !strings.HasPrefix(visitCookie(), "v1.") {
			t.Fatal("the second visit is not in the cookie")
		}
		do("the browser session ends", chromedp.Func(func(ctx2 context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx2, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}))
		do("saved after the session", chromedp.Navigate(base+"/saved"), chromedp.WaitVisible(C(`main h1`)))
		if got := text(`main`); strings.Contains(got, "Doktersassistent") {
			t.Errorf("the ended session's item is still shown: %q", got)
		}
		if after := countRows(t, s, `SELECT COUNT(*) FROM records`); after != before {
			t.Errorf("the anonymous session left %d records", after-before)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM record_values WHERE value = 'F-3'`); n != 0 {
			t.Errorf("the anonymous session's item is stored")
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM profile_values`); n != profiles {
			t.Errorf("the anonymous session's answers left %d profile values", n-profiles)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM profile_values WHERE value LIKE '%huisarts%' OR value LIKE '%Limburg%'`); n != 0 {
			t.Errorf("the anonymous session's answers are stored")
		}
		do("the questions after the session", chromedp.Navigate(base+"/basisvragen"), chromedp.WaitVisible(C(`#questions`)))
		checked, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll(`#questions input:checked:not([value=''])`).length"))
		if err != nil {
			t.Fatal(err)
		}
		if checked != 0 {
			t.Errorf("the ended session's answers are still there: %d ticked", checked)
		}
	})
}
