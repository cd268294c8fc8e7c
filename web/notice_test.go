package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/policy"
	"steward/policy/publication"
	"steward/store"
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
		if !strings.Contains(body, "Onze privacyverklaring verandert per 1 februari 2027") || !strings.Contains(body, "Deze versie geldt vanaf 1 februari 2027; tot dan geldt de vorige versie.") {
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
