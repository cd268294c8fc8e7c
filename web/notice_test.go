package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/policy"
	"steward/policy/diff"
	"steward/policy/publication"
	"steward/store"
	"steward/web"
)

// publishAt publishes src as the site's next version at the clock's time,
// taking effect at effective (zero: at once), as 'steward policy publish'
// does.
func publishAt(t *testing.T, s *store.Store, clk clock.Clock, src, nl, en string, effective time.Time) store.PolicyPublication {
	t.Helper()
	p, err := policy.Parse("policy.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	svc := &publication.Service{Store: s, Clock: clk}
	v, err := svc.PublishFrom(context.Background(), p, []byte(src), audit.System("serve"), policy.Text{NL: nl, EN: en}, effective)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// changed returns the site's policy file with each pair's first string
// replaced by its second; a pair that is not there fails the test.
func changed(t *testing.T, site string, pairs ...[2]string) string {
	t.Helper()
	data, err := os.ReadFile(testkit.PolicyPath(t, site))
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for _, r := range pairs {
		if !strings.Contains(src, r[0]) {
			t.Fatalf("%s.yaml has no %q", site, r[0])
		}
		src = strings.Replace(src, r[0], r[1], 1)
	}
	return src
}

// TestPolicyNoticeBanner: after a published change every public and
// account page shows a banner with the version's summary in the reader's
// language and links to /privacy and the history; version 1 is no change
// and has none. A visitor hides it with a small form (no JavaScript): the
// steward_notice cookie, one of Steward's declared cookies, keeps the
// version's number, and the cookie page lists it. A logged-in person's
// dismissal is kept with their account and needs the session's CSRF
// token. The banner goes after the policy's banner_days; a change
// announced in advance says "from DATE", on /privacy too (issue 20).
func TestPolicyNoticeBanner(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		src := changed(t, "ivm")
		publishAt(t, s, clock.NewFixed(st.clock.Now().Add(-48*time.Hour)), src, "Eerste versie.", "First version.", time.Time{})
		anon := st.browser()
		if _, body := anon.get("/"); strings.Contains(body, `id="policy-notice"`) {
			t.Fatal("a banner about version 1, which changes nothing")
		}
		v2 := changed(t, "ivm", [2]string{"    since: last_login\n    period: P4Y\n", "    since: last_login\n    period: P5Y\n"})
		publishAt(t, s, st.clock, v2, "Langere bewaartermijn voor de leeromgeving.", "Longer period for the learning environment.", time.Time{})
		for _, path := range []string{"/", "/privacy", "/newsletter", "/login", "/cookies"} {
			resp, body := anon.get(path)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="policy-notice"`) || !strings.Contains(body, "Onze privacyverklaring is gewijzigd") ||
				!strings.Contains(body, "Langere bewaartermijn voor de leeromgeving.") || !strings.Contains(body, `href="/privacy/versions"`) {
				t.Errorf("%s: %d, no banner with the summary and the links", path, resp.StatusCode)
			}
		}
		if _, body := anon.get("/?lang=en"); !strings.Contains(body, "Our privacy statement has changed") ||
			!strings.Contains(body, "Longer period for the learning environment.") || !strings.Contains(body, `href="/privacy/versions?lang=en"`) {
			t.Error("the English page's banner is not in English")
		}
		if _, body := anon.get("/cookies"); !strings.Contains(mainOf(t, body), policy.NoticeCookie) {
			t.Errorf("the cookie page does not list %s", policy.NoticeCookie)
		}

		// A visitor hides it: the form's own fields, no JavaScript.
		resp, _ := anon.post("/privacy/notice", url.Values{"n": {"2"}, "return": {"/newsletter"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/newsletter" {
			t.Fatalf("dismiss: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		var ck *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == policy.NoticeCookie {
				ck = c
			}
		}
		if ck == nil || ck.Value != "2" || !ck.HttpOnly || ck.MaxAge != policy.MaxBannerDays*24*3600 {
			t.Fatalf("dismissal cookie: %+v", ck)
		}
		if _, body := anon.get("/"); strings.Contains(body, `id="policy-notice"`) {
			t.Error("the banner shows after the visitor hid it")
		}
		for _, n := range []string{"x", "0", "9"} {
			if resp, _ := st.browser().post("/privacy/notice", url.Values{"n": {n}}); resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotFound {
				t.Errorf("dismissing version %q: %d, want 400 or 404", n, resp.StatusCode)
			}
		}

		// A logged-in person: kept with the account, CSRF required.
		b := st.loggedInPerson("anna@example.nl")
		_, body := b.get("/account")
		if !strings.Contains(body, `id="policy-notice"`) {
			t.Fatal("the account page has no banner")
		}
		if resp, _ := b.post("/privacy/notice", url.Values{"n": {"2"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("dismissal without the CSRF token: %d, want 403", resp.StatusCode)
		}
		f := formFields(t, body, "/privacy/notice")
		if resp, _ := b.post("/privacy/notice", f); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logged-in dismissal: %d", resp.StatusCode)
		}
		if _, body := b.get("/account/consents"); strings.Contains(body, `id="policy-notice"`) {
			t.Error("the banner shows after the person hid it")
		}
		for _, c := range b.c.Jar.Cookies(mustURL(st.srv.URL)) {
			if c.Name == policy.NoticeCookie {
				t.Error("a logged-in dismissal set the visitor's cookie")
			}
		}

		// After the banner period (banner_days: 30) it is gone.
		st.clock.Advance(30*24*time.Hour + time.Minute)
		if _, body := st.browser().get("/"); strings.Contains(body, `id="policy-notice"`) {
			t.Error("the banner still shows after banner_days")
		}

		// Advance notice: "from DATE" on the banner and on /privacy.
		v3 := changed(t, "ivm", [2]string{"    since: last_login\n    period: P4Y\n", "    since: last_login\n    period: P6Y\n"})
		publishAt(t, s, st.clock, v3, "Nog langer.", "Longer still.", time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
		_, body = st.browser().get("/privacy")
		if !strings.Contains(body, "Onze privacyverklaring verandert per 1 februari 2027") || !strings.Contains(body, "Versie 3 geldt vanaf 1 februari 2027; tot dan geldt deze versie.") {
			t.Error("a change announced in advance does not say from when, on the banner and /privacy")
		}
		if _, body = st.browser().get("/privacy?lang=en"); !strings.Contains(body, "Our privacy statement changes on 1 February 2027") {
			t.Error("the English banner does not say from when")
		}
	})
}

// formFields returns the fields of the page's form posting to action,
// as the page made them.
func formFields(t *testing.T, page, action string) url.Values {
	t.Helper()
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(attrs(m[1])["action"], action) {
			continue
		}
		out := url.Values{}
		for _, in := range inputRE.FindAllStringSubmatch(m[2], -1) {
			a := attrs(in[1])
			if a["name"] != "" {
				out.Set(a["name"], a["value"])
			}
		}
		return out
	}
	t.Fatalf("no form posting to %s", action)
	return nil
}

// TestPolicyChangeNoticesDoneWhen is issue 20's "done when", on both
// stores: publishing a changed IVM policy — a longer period for the
// learning-environment accounts and a reworded newsletter notice —
// creates version 2; the diff lists exactly those two changes; the
// restarted site shows the banner; 'policy notices --send' (the Teller)
// mails only the people holding a learning-environment account and the
// newsletter subscribers, each in their own terms and language, on the
// bulk lane (a password reset queued after them is delivered first), and
// a second run mails nobody again; the newsletter consent is asked again
// (the gate says no, the consents page says since when and gives it
// again through its button, and the new record points at the new words)
// while the cookie consent stands; /privacy/versions/1 shows the old
// text; the audit log has policy.publish and one policy.notify per mail,
// with ids and names only, no address or name.
func TestPolicyChangeNoticesDoneWhen(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st1 := newSite(t, s, "ivm")
		v1src := changed(t, "ivm")
		publishAt(t, s, clock.NewFixed(st1.clock.Now().Add(-7*24*time.Hour)), v1src, "Eerste versie.", "First version.", time.Time{})
		v1, _ := policy.Parse("v1", []byte(v1src))

		// Anna: an account, a learning-environment account, the
		// newsletter (consents page) and the analytics cookies. Bob: an
		// account only. Carla: the newsletter only, in English. Dirk: an
		// account and a learning-environment account.
		anna := st1.loggedInPerson("anna@example.nl")
		f := formFields(t, mainOf(t, pageOf(t, anna, "/account/consents")), "/account/consents")
		f.Set("purpose", "newsletter")
		f.Set("given", "1")
		if resp, _ := anna.post("/account/consents", f); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("anna subscribes: %d", resp.StatusCode)
		}
		st1.loggedInPerson("bob@example.nl")
		st1.loggedInPerson("dirk@example.nl")
		carla := st1.browser()
		form := url.Values{"consent": {"yes"}, "email": {"carla@example.nl"}, "first_name": {"Carla"}, "last_name": {"Visser"},
			"job_title": {"apotheker"}, "sector": {"zorg"}}
		if resp, body := carla.post("/newsletter?lang=en", form); resp.StatusCode != 200 {
			t.Fatalf("carla signs up: %d\n%s", resp.StatusCode, body)
		}
		link, _ := st1.mailLink(len(st1.smtp.Messages()) + 1)
		if resp, _ := carla.follow(link, nil); resp.StatusCode != 200 {
			t.Fatalf("carla confirms: %d", resp.StatusCode)
		}
		id := func(email string) string {
			a, err := s.AccountByEmail(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		annaID, dirkID := id("anna@example.nl"), id("dirk@example.nl")
		carlaSub, err := s.NewsletterByEmail(ctx, "carla@example.nl")
		if err != nil {
			t.Fatal(err)
		}
		carlaID := carlaSub.ID
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, who := range []string{annaID, dirkID} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO records (subject_id, kind, created_at) VALUES ($1, 'lms_account', 1)`, who); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		cs := consent.NewService(v1, s, st1.clock)
		if err := cs.Give(ctx, annaID, "site_analytics", policy.ChannelCookieNotice, "nl"); err != nil {
			t.Fatal(err)
		}
		if _, err := st1.mail.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}

		// Version 2: five years instead of four, a reworded notice.
		head := testkit.AuditHead(t, s)
		v2src := changed(t, "ivm",
			[2]string{"    since: last_login\n    period: P4Y\n", "    since: last_login\n    period: P5Y\n"},
			[2]string{"Ja, ik wil de nieuwsbrief van het IVM ontvangen.", "Ja, ik wil de maandelijkse nieuwsbrief van het IVM ontvangen."},
			[2]string{"Yes, I want to receive the IVM newsletter.", "Yes, I want to receive the monthly IVM newsletter."})
		pub := publishAt(t, s, st1.clock, v2src, "Leeromgeving: vijf jaar; nieuwsbrief anders verwoord.", "Learning environment: five years; newsletter reworded.", time.Time{})
		if pub.N != 2 {
			t.Fatalf("published as version %d, want 2", pub.N)
		}
		v2, _ := policy.Parse("v2", []byte(v2src))
		var got []string
		for _, c := range diff.Between(v1, v2) {
			got = append(got, fmt.Sprintf("%v %s", c.Substance, c.Text("en")))
		}
		want := []string{"true newsletter: consent notice reworded", "true retention rule lms_account_inactive: period changed from 4 years to 5 years"}
		if !slices.Equal(got, want) {
			t.Fatalf("diff 1 → 2:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		// The site restarts on version 2.
		st := newSite(t, s, "ivm", func(c *web.Config) { c.Policy = v2 })
		if _, body := st.browser().get("/"); !strings.Contains(body, `id="policy-notice"`) || !strings.Contains(body, "Leeromgeving: vijf jaar; nieuwsbrief anders verwoord.") {
			t.Error("no banner after the change")
		}
		teller := &publication.Teller{Service: &publication.Service{Store: s, Clock: st.clock}, BaseURL: st.srv.URL}
		rep, err := teller.Tell(ctx, "ivm", 2)
		if err != nil || rep.People != 3 || rep.Queued != 3 || rep.Already != 0 {
			t.Fatalf("tell: %+v %v; want 3 people, 3 queued", rep, err)
		}
		// Personal mail goes first: a reset asked for after the notices.
		reset := st.browser()
		if resp, _ := reset.submit("/reset", "/reset", url.Values{"email": {"bob@example.nl"}}); resp.StatusCode >= 400 {
			t.Fatalf("reset request: %d", resp.StatusCode)
		}
		if _, err := st.mail.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := st.smtp.WaitFor(t, 4)
		if msgs[0].EnvelopeTo[0] != "bob@example.nl" {
			t.Errorf("the reset did not go before the policy mails: first to %v", msgs[0].EnvelopeTo)
		}
		mails := map[string]testkit.SMTPMessage{}
		for _, m := range msgs[1:] {
			mails[m.EnvelopeTo[0]] = m
		}
		if len(mails) != 3 || mails["bob@example.nl"].Text != "" {
			t.Fatalf("policy mails went to %v; want anna, carla and dirk only", keysOf(mails))
		}
		for who, wants := range map[string][]string{
			"anna@example.nl":  {"onze privacyverklaring verandert", "Hoe lang we je gegevens (Account op de leeromgeving) bewaren verandert van 4 jaar naar 5 jaar.", `Je gaf toestemming voor "Nieuwsbrief`, st.srv.URL + "/account/consents"},
			"dirk@example.nl":  {"Hoe lang we je gegevens (Account op de leeromgeving) bewaren verandert van 4 jaar naar 5 jaar."},
			"carla@example.nl": {"our privacy statement changes", `You gave consent for "Newsletter`, "24 November 2026", st.srv.URL + "/newsletter?lang=en"},
		} {
			m := mails[who]
			for _, w := range wants {
				if !strings.Contains(m.Subject+"\n"+m.Text, w) {
					t.Errorf("mail to %s lacks %q:\n%s\n%s", who, w, m.Subject, m.Text)
				}
			}
		}
		if strings.Contains(mails["dirk@example.nl"].Text, "toestemming") {
			t.Error("dirk, who never subscribed, is told about the newsletter consent")
		}
		if rep, err := teller.Tell(ctx, "ivm", 2); err != nil || rep.Queued != 0 || rep.Already != 3 {
			t.Errorf("second run: %+v %v; want nothing queued, 3 already", rep, err)
		}

		// The newsletter consent is asked again; the cookie consent stands.
		svc, err := wiring.New(wiring.Config{Policy: v2, Store: s, Clock: st.clock})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			who, purpose string
			ok           bool
		}{{annaID, "newsletter", false}, {annaID, "site_analytics", true}, {carlaID, "newsletter", false}} {
			ok, why, err := svc.Gate.Allowed(ctx, c.who, c.purpose)
			if err != nil || ok != c.ok {
				t.Errorf("gate %s: %v %s %v, want %v", c.purpose, ok, why, err, c.ok)
			}
		}
		// Anna follows her mail's link, exactly as mailed.
		annaLink := regexp.MustCompile(regexp.QuoteMeta(st.srv.URL) + `/account/consents\S*`).FindString(mails["anna@example.nl"].Text)
		anna2 := st.browser()
		anna2.login("anna@example.nl", "correct horse battery")
		resp, page := anna2.get(annaLink)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Opnieuw gevraagd sinds 24 november 2026") || !strings.Contains(page, "Geef opnieuw toestemming") {
			t.Fatalf("consents page %s: %d; want the newsletter asked again since the change, with a button", annaLink, resp.StatusCode)
		}
		// Carla gives it again through her mail's link: the sign-up form,
		// then the confirmation link.
		carlaLink := regexp.MustCompile(regexp.QuoteMeta(st.srv.URL) + `/newsletter\S*`).FindString(mails["carla@example.nl"].Text)
		carla2 := st.browser()
		if resp, body := carla2.follow(carlaLink, url.Values{"consent": {"yes"}, "email": {"carla@example.nl"}, "first_name": {"Carla"},
			"last_name": {"Visser"}, "job_title": {"apotheker"}, "sector": {"zorg"}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("carla signs up again: %d\n%s", resp.StatusCode, body)
		}
		confirm, m := st.mailLink(len(st.smtp.Messages()) + 1)
		if m.EnvelopeTo[0] != "carla@example.nl" {
			t.Fatalf("the confirmation went to %v", m.EnvelopeTo)
		}
		if resp, _ := carla2.follow(confirm, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("carla confirms again: %d", resp.StatusCode)
		}
		if ok, why, _ := svc.Gate.Allowed(ctx, carlaID, "newsletter"); !ok {
			t.Errorf("after signing up again carla's newsletter: %s", why)
		}

		f = formFields(t, mainOf(t, page), "/account/consents")
		f.Set("purpose", "newsletter")
		f.Set("given", "1")
		if resp, _ := anna2.post("/account/consents", f); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("give again: %d", resp.StatusCode)
		}
		if ok, why, _ := svc.Gate.Allowed(ctx, annaID, "newsletter"); !ok {
			t.Errorf("after giving it again the gate says %s", why)
		}
		hist, err := s.ConsentHistory(ctx, annaID)
		if err != nil {
			t.Fatal(err)
		}
		var hashes []string
		for _, r := range hist {
			if r.Purpose == "newsletter" {
				hashes = append(hashes, r.NoticeHash)
			}
		}
		oldHash := consent.NoticeHash(consent.Notice(v1.Purpose("newsletter"), "nl"))
		newHash := consent.NoticeHash(consent.Notice(v2.Purpose("newsletter"), "nl"))
		if len(hashes) != 2 || hashes[0] != oldHash || hashes[1] != newHash {
			t.Errorf("newsletter records point at %v; want the old words, then the new", hashes)
		}

		// Version 1 reads as it was.
		if _, body := st.browser().get("/privacy/versions/1"); !strings.Contains(body, "4 jaar") || strings.Contains(body, "5 jaar") {
			t.Error("/privacy/versions/1 does not show the old period")
		}
		if _, body := st.browser().get("/privacy"); !strings.Contains(body, "5 jaar") {
			t.Error("/privacy does not show the new period")
		}

		// Audited, by ids and names only.
		var notified int
		for _, e := range testkit.AuditSince(t, s, head) {
			switch e.Action {
			case audit.PolicyPublish:
				if e.ObjectID != "2" {
					t.Errorf("policy.publish of %s", e.ObjectID)
				}
			case audit.PolicyNotify:
				notified++
				if e.ObjectID != "2" || len(e.Fields) == 0 {
					t.Errorf("policy.notify: %+v", e)
				}
			}
		}
		if notified != 3 {
			t.Errorf("%d policy.notify entries, want 3", notified)
		}
		testkit.AssertNoPersonalValues(t, s, "anna@example.nl", "bob@example.nl", "carla@example.nl", "dirk@example.nl", "Carla", "Visser")
	})
}

func pageOf(t *testing.T, b *browser, path string) string {
	t.Helper()
	resp, body := b.get(path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", path, resp.StatusCode)
	}
	return body
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
