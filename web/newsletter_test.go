package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/consent"
	"steward/internal/testkit"
	"steward/store"
	"steward/web"
)

// newsletterSite is newSite with a known consent key, so the test can run
// a send whose unsubscribe links the server accepts.
func newsletterSite(t *testing.T, s *store.Store) (*site, *consent.Newsletter) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key := consent.NewKey(priv)
	st := newSite(t, s, "ivm", func(cfg *web.Config) { cfg.ConsentKey = key })
	svc := consent.NewService(testkit.Policy(t, "ivm"), s, st.clock)
	return st, &consent.Newsletter{Consent: svc, Gate: consent.NewGate(svc.Policy, s), Clock: st.clock, BaseURL: st.srv.URL,
		UnsubKey: key.Derive("newsletter-unsubscribe")}
}

func TestNewsletterDoubleOptInSendAndOneClickUnsubscribe(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st, nl := newsletterSite(t, s)
		b := st.browser()
		_, page := b.get("/newsletter")
		for _, f := range []string{`name="email"`, `name="first_name"`, `name="last_name"`, `name="job_title"`, `name="sector"`} {
			if !strings.Contains(page, f) {
				t.Errorf("form lacks %s", f)
			}
		}
		if strings.Contains(page, `checked`) {
			t.Error("the consent box must not be ticked by default")
		}
		form := url.Values{"email": {"piet@example.org"}, "first_name": {"Piet"}, "last_name": {"Jansen"}, "job_title": {"apotheker"}, "sector": {"zorg"}}
		// Bad input: no ticked box, an undeclared field.
		if resp, _ := b.post("/newsletter", form); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("without consent box: %d", resp.StatusCode)
		}
		bad := url.Values{"consent": {"yes"}, "email": {"x@example.org"}, "phone": {"0612345678"}}
		if resp, _ := b.post("/newsletter", bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("undeclared field: %d", resp.StatusCode)
		}
		form.Set("consent", "yes")
		if resp, body := b.post("/newsletter", form); resp.StatusCode != 200 {
			t.Fatalf("sign-up: %d %s", resp.StatusCode, body)
		}
		// Nothing is sent before confirmation.
		if rep, err := nl.Send(context.Background(), consent.Issue{Subject: "Nieuws 1", Body: "Hallo", Lang: "nl"}, 0, nil); err != nil || rep.Enqueued != 0 {
			t.Fatalf("send before confirmation: %+v %v", rep, err)
		}
		link, msg := st.mailLink(1)
		if !strings.Contains(msg.Subject, "nieuwsbrief") {
			t.Errorf("confirmation subject %q", msg.Subject)
		}
		u, _ := url.Parse(link)
		token := u.Query().Get("token")
		if resp, _ := b.post("/newsletter/confirm", url.Values{"token": {"forged"}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("forged confirm token: %d", resp.StatusCode)
		}
		if resp, body := b.follow(link, nil); resp.StatusCode != 200 {
			t.Fatalf("confirm: %d %s", resp.StatusCode, body)
		}
		if resp, _ := b.post("/newsletter/confirm", url.Values{"token": {token}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("replayed confirm token: %d", resp.StatusCode)
		}
		rep, err := nl.Send(context.Background(), consent.Issue{Subject: "Nieuws 1", Body: "Hallo", Lang: "nl"}, 0, nil)
		if err != nil || rep.Enqueued != 1 {
			t.Fatalf("send: %+v %v", rep, err)
		}
		_, news := st.mailLink(2)
		if news.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(news.Header.Get("List-Unsubscribe"), "/newsletter/unsubscribe?token=") {
			t.Fatalf("newsletter headers: %v", news.Header)
		}
		unsub := strings.Trim(news.Header.Get("List-Unsubscribe"), "<>")
		if !strings.Contains(news.Text, unsub) {
			t.Errorf("body lacks the unsubscribe link")
		}
		// RFC 8058 one-click: a POST with the fixed body to the header's URL.
		forged := strings.Replace(unsub, "token=ns_", "token=ns_0", 1)
		if resp, err := http.Post(forged, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click")); err != nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("forged unsubscribe token: %v", err)
		}
		resp, err := http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("one-click unsubscribe: %v %v", resp, err)
		}
		resp, _ = http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if resp.StatusCode != 200 {
			t.Errorf("repeated unsubscribe: %d", resp.StatusCode)
		}
		var n int
		s.Read().QueryRow(`SELECT COUNT(*) FROM consent_records`).Scan(&n)
		if n != 2 {
			t.Errorf("%d consent records, want given + withdrawn (a repeat changes nothing)", n)
		}
		rep, err = nl.Send(context.Background(), consent.Issue{Subject: "Nieuws 2", Body: "Hallo", Lang: "nl"}, 0, nil)
		if err != nil || rep.Enqueued != 0 {
			t.Fatalf("send after unsubscribe: %+v %v", rep, err)
		}
	})
}
