package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/rights"
	"steward/store"
)

// TestStaffQueueNeedsPrivacyOfficer checks that a person without a staff
// role gets neither the queue nor any step on a request (IDOR, R12), and
// that nothing changes when they try.
func TestStaffQueueNeedsPrivacyOfficer(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "anna@example.org")
		b.login("anna@example.org", "correct horse battery")
		id := personID(t, s, "anna@example.org")
		d := testDesk(t, st, "ivm")
		req, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: id, Type: rights.TypeErasure, Channel: rights.ChannelLetter, ReceivedOn: st.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if resp, _ := b.get("/staff/requests"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("queue for a person: %d, want 403", resp.StatusCode)
		}
		if resp, _ := b.get("/staff/requests/" + req.ID); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("request page for a person: %d, want 403", resp.StatusCode)
		}
		csrf := b.csrf("/account/data")
		for _, action := range []string{"verify-manual", "extend", "complete", "refuse"} {
			resp, _ := b.post("/staff/requests/"+req.ID+"/"+action, url.Values{"csrf": {csrf}, "note": {"x"}, "reason": {"x"}, "period": {"P1M"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s by a person: %d, want 403", action, resp.StatusCode)
			}
		}
		got, err := d.Request(ctx, req.ID, "")
		if err != nil || got.Status != rights.StatusReceived || len(got.Steps) != 1 {
			t.Fatalf("a refused step changed the request: %+v %v", got.Request, err)
		}
		// Anonymous: to the login page, nothing served.
		if resp, _ := st.browser().get("/account/data"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("anonymous my data: %d", resp.StatusCode)
		}
		if resp, _ := st.browser().get("/api/v1/me/data"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("anonymous api: %d", resp.StatusCode)
		}
	})
}

// TestStaffRequestPagesSpeakWords: the queue and a request's page show a
// request's type, channel, status, purpose, verification and steps in the
// catalogue's words of the page's language — "Inzage (art. 15 AVG)", not
// "access" (G1, R13) — and the form to enter a request offers the types
// the policy honours by name.
func TestStaffRequestPagesSpeakWords(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "anna@example.org")
		id := personID(t, s, "anna@example.org")
		d := testDesk(t, st, "ivm")
		req, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: id, Type: rights.TypeAccess, Channel: rights.ChannelEmail, ReceivedOn: st.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.VerifyManually(ctx, audit.Staff("a-po"), req.ID, "passport shown at the desk"); err != nil {
			t.Fatal(err)
		}
		withdraw, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: id, Type: rights.TypeWithdraw, Channel: rights.ChannelLetter,
			ReceivedOn: st.clock.Now(), Purpose: "newsletter"})
		if err != nil {
			t.Fatal(err)
		}
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)

		check := func(path string, want, never []string) {
			t.Helper()
			resp, body := officer.get(path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", path, resp.StatusCode)
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %q", path, w)
				}
			}
			for _, n := range never {
				if strings.Contains(body, n) {
					t.Errorf("%s shows %q", path, n)
				}
			}
		}
		raw := []string{">access<", ">email<", ">letter<", ">verified<", ">received<", ">withdraw<", "(newsletter)", ">manual<", "(manual)"}
		check("/staff/requests", []string{
			`>Inzage (art. 15 AVG)</a>`, `<td>per e-mail</td>`, `<td>in behandeling</td>`,
			`>Toestemming intrekken (art. 7 lid 3 AVG)</a>`, `<td>per brief</td>`,
			`<option value="restriction">Beperking van de verwerking (art. 18 AVG)</option>`,
			`<option value="self_service">via deze site</option>`,
			`<option value="newsletter">Nieuwsbrief</option>`,
		}, append(raw, `<option value="objection">`))
		check("/staff/requests?lang=en", []string{`>Access (Art. 15 GDPR)</a>`, `<td>by e-mail</td>`, `<td>being handled</td>`}, raw)
		check("/staff/requests/"+req.ID, []string{
			`<dd id="type">Inzage (art. 15 AVG)</dd>`, `<dd id="channel">per e-mail</dd>`, `<dd id="status">in behandeling</dd>`,
			"(handmatig gecontroleerd door een medewerker)", " ontvangen — ", " identiteit bevestigd — ",
		}, raw)
		check("/staff/requests/"+withdraw.ID+"?lang=en", []string{
			`<dd id="type">Withdrawing consent`, "(Newsletter)</dd>", `<dd id="channel">by letter</dd>`,
		}, raw)
	})
}
