package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/consent"
	"steward/internal/testkit"
	"steward/store"
)

func TestConsentSettingsGiveWithdrawReceipt(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "anna@example.org")
		if resp := b.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		_, body := b.get("/account/consents?lang=en")
		if !strings.Contains(body, `id="consent-newsletter"`) || !strings.Contains(body, `data-state="not-given"`) {
			t.Fatalf("settings page does not show the newsletter without consent:\n%s", body)
		}
		resp, _ := b.submit("/account/consents", "/account/consents", url.Values{"purpose": {"newsletter"}, "given": {"1"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("give: %d", resp.StatusCode)
		}
		_, body = b.get("/account/consents")
		if !strings.Contains(body, `data-state="given"`) || !strings.Contains(body, "2026-11-24") {
			t.Fatalf("state after giving:\n%s", body)
		}
		// Bad input changes nothing.
		for _, form := range []url.Values{
			{"purpose": {"account"}, "given": {"1"}},
			{"purpose": {"site_analytics"}, "given": {"1"}}, // asked in the cookie notice only
			{"purpose": {"newsletter"}, "given": {"maybe"}},
		} {
			if resp, _ := b.submit("/account/consents", "/account/consents", form); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%v: %d, want 400", form, resp.StatusCode)
			}
		}
		if resp, _ := b.post("/account/consents", url.Values{"purpose": {"newsletter"}, "given": {"0"}, "csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("forged csrf: %d, want 403", resp.StatusCode)
		}
		resp, _ = b.submit("/account/consents", "/account/consents", url.Values{"purpose": {"newsletter"}, "given": {"0"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("withdraw: %d", resp.StatusCode)
		}
		resp, rc := b.get("/account/consents/receipt")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("receipt: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(rc, "newsletter") || !strings.Contains(rc, "signature") {
			t.Errorf("receipt lacks the history or the signature:\n%s", rc)
		}
		var subject string
		s.Read().QueryRow(`SELECT DISTINCT subject FROM consent_records`).Scan(&subject)
		h, err := consent.NewService(testkit.Policy(t, "ivm"), s, st.clock).History(context.Background(), subject)
		if err != nil || len(h) != 2 || !h[0].Given || h[1].Given {
			t.Fatalf("history = %+v, %v; want given then withdrawn", h, err)
		}
		if resp, _ := st.browser().get("/account/consents"); resp.StatusCode == http.StatusOK {
			t.Error("the settings page answered without login")
		}
	})
}
