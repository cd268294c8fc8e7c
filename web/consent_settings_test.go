package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/audit"
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
		if !strings.Contains(body, `data-state="given"`) || !strings.Contains(body, "24 november 2026") {
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

// TestConsentReceiptDownloadIsAudited: the person's download of their
// consent receipt records export.download by the person on their receipt
// before it is sent (R12), on both stores; without a login nothing is
// sent and nothing recorded.
func TestConsentReceiptDownloadIsAudited(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "anna@example.org")
		if resp := b.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		a, err := s.AccountByEmail(context.Background(), "anna@example.org")
		if err != nil {
			t.Fatal(err)
		}
		since := testkit.AuditHead(t, s)
		if resp, _ := st.browser().get("/account/consents/receipt"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("anonymous receipt: %d, want 303 to log in", resp.StatusCode)
		}
		testkit.AssertAudit(t, s, since)
		resp, rc := b.get("/account/consents/receipt")
		if resp.StatusCode != http.StatusOK || !strings.Contains(rc, "signature") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("receipt: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		ps := audit.Pseudonym(a.Pseudonym)
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ExportDownload, Actor: audit.SubjectActor(ps),
			ObjectKind: "consent_receipt", ObjectID: a.ID, Subject: ps, Fields: []string{"consent_history", "notice_texts"}})
		if got := testkit.AuditSince(t, s, since); got[0].RequestID != resp.Header.Get("X-Request-Id") {
			t.Errorf("entry request id %q, response X-Request-Id %q", got[0].RequestID, resp.Header.Get("X-Request-Id"))
		}
	})
}
