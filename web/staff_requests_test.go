package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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
		b := st.loggedInPerson("anna@example.org")
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

// TestStaffRequestExport: for a verified access request that arrived by
// letter, a privacy officer downloads the person's export from the
// request's page — byte for byte the ZIP the person gets from My data,
// the BIG number opened (R3) — and the download is recorded as
// export.download by the officer on the request, with an export_produced
// step the timeline shows (R12, R13). Support (403), a forged form (403),
// an unknown request (404), an unverified one or one of another type
// (409, in the page's language), a stale login and a closed request are
// refused, and then nothing is recorded or added to the timeline.
func TestStaffRequestExport(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		b := st.loggedInPerson("anna@example.org")
		if resp, _ := b.submit("/account", "/account", url.Values{"lms_account.register_number": {"12345678901"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("store a BIG number: %d", resp.StatusCode)
		}
		person, err := s.AccountByEmail(ctx, "anna@example.org")
		if err != nil {
			t.Fatal(err)
		}
		ps := audit.Pseudonym(person.Pseudonym)
		d := testDesk(t, st, "ivm")
		add := func(typ rights.Type, verify bool) *rights.Request {
			t.Helper()
			r, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: person.ID, Type: typ, Channel: rights.ChannelLetter, ReceivedOn: st.clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if verify {
				if _, err := d.VerifyManually(ctx, audit.Staff("a-po"), r.ID, "identity card shown at the desk"); err != nil {
					t.Fatal(err)
				}
			}
			return r
		}
		access := add(rights.TypeAccess, true)
		unverified := add(rights.TypePortability, false)
		erasure := add(rights.TypeErasure, true)
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		po := staffID(t, s, "officer@example.org")
		exportOf := func(id string) string { return "/staff/requests/" + id + "/export" }

		// The page offers the export for the verified access request only.
		_, page := officer.get("/staff/requests/" + access.ID)
		if !strings.Contains(page, `action="`+exportOf(access.ID)+`"`) || !strings.Contains(page, "Export van de persoon downloaden (ZIP)") {
			t.Fatalf("the verified access request offers no export:\n%s", page)
		}
		csrf := csrfRE.FindStringSubmatch(page)[1]
		for _, id := range []string{unverified.ID, erasure.ID} {
			if _, page := officer.get("/staff/requests/" + id); strings.Contains(page, "/export") {
				t.Errorf("request %s offers an export", id)
			}
		}
		steps := func(id string) int {
			t.Helper()
			it, err := d.Request(ctx, id, "")
			if err != nil {
				t.Fatal(err)
			}
			return len(it.Steps)
		}
		before := steps(access.ID)

		since := testkit.AuditHead(t, s)
		for _, tc := range []struct {
			who    *browser
			path   string
			csrf   string
			status int
			says   string
		}{
			{support, exportOf(access.ID), support.csrf("/staff/"), http.StatusForbidden, ""},
			{officer, exportOf(access.ID), "forged", http.StatusForbidden, ""},
			{officer, exportOf("req_0123456789abcdef"), csrf, http.StatusNotFound, ""},
			{officer, exportOf(unverified.ID), csrf, http.StatusConflict, "De identiteit van de verzoeker is nog niet vastgesteld"},
			{officer, exportOf(erasure.ID) + "?lang=en", csrf, http.StatusConflict, "Only an access or portability request is answered with an export."},
		} {
			resp, body := tc.who.post(tc.path, url.Values{"csrf": {tc.csrf}})
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") == "application/zip" || !strings.Contains(html.UnescapeString(body), tc.says) {
				t.Errorf("POST %s: %d %s, want %d saying %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.says)
			}
		}
		// A GET does not export: the download is a step, posted with the form's token.
		if resp, _ := officer.get(exportOf(access.ID)); resp.StatusCode < 400 || resp.Header.Get("Content-Type") == "application/zip" {
			t.Errorf("GET export: %d %s, want a 4xx", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		testkit.AssertAudit(t, s, since)
		if steps(access.ID) != before {
			t.Fatal("a refused export added a step")
		}

		// The person's own export, then the officer's: the same bytes.
		_, own := b.get("/account/data/export")
		since = testkit.AuditHead(t, s)
		resp, body := officer.post(exportOf(access.ID), url.Values{"csrf": {csrf}})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="ivm-my-data-`) || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("export: %d %q %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), resp.Header.Get("Cache-Control"))
		}
		if body != own {
			t.Fatalf("the officer's export (%d bytes) differs from the person's own (%d bytes)", len(body), len(own))
		}
		files := unzip(t, body)
		if !strings.Contains(files[rights.ExportDataFile], "12345678901") || !strings.Contains(files[rights.ExportDataFile], "anna@example.org") {
			t.Fatalf("the export lacks the person's address or opened BIG number:\n%s", files[rights.ExportDataFile])
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ExportDownload, Actor: po, ObjectKind: "request",
			ObjectID: access.ID, Subject: ps, Fields: []string{"export_v1"}})
		_, page = officer.get("/staff/requests/" + access.ID)
		if !strings.Contains(page, "kopie van de gegevens gemaakt — officer@example.org (Privacyfunctionaris)") {
			t.Fatalf("the timeline does not show the export:\n%s", page)
		}

		// A login older than 15 minutes is sent to log in again.
		st.clock.Advance(16 * time.Minute)
		since = testkit.AuditHead(t, s)
		req, _ := http.NewRequest("POST", officer.base+exportOf(access.ID), strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", officer.base+"/staff/requests/"+access.ID)
		resp, _ = officer.do(req)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?reauth=1&next="+url.QueryEscape("/staff/requests/"+access.ID)) {
			t.Fatalf("stale login: %d %s", resp.StatusCode, loc)
		}
		testkit.AssertAudit(t, s, since)

		// Completed, the request has no export any more.
		if _, err := d.Complete(ctx, po, access.ID, "export sent by registered letter"); err != nil {
			t.Fatal(err)
		}
		officer.login("officer@example.org", "staff password 1")
		since = testkit.AuditHead(t, s)
		if resp, _ := officer.post(exportOf(access.ID), url.Values{"csrf": {officer.csrf("/staff/")}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("export of a completed request: %d, want 409", resp.StatusCode)
		}
		testkit.AssertAudit(t, s, since)
	})
}

// TestStaffClosingMailsThePerson: refusing a request on the staff pages
// mails the person (Art. 12(4)) — delivered through the capture SMTP
// server — with the reason staff gave, the supervisory authority the
// policy names and the way to court; completing one mails what was done.
// Both steps show on the timeline.
func TestStaffClosingMailsThePerson(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "zorginspirator")
		p := insertPerson(t, st, "jan@example.org")
		d := testDesk(t, st, "zorginspirator")
		refuse, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: p.ID, Type: rights.TypeErasure, Channel: rights.ChannelEmail, ReceivedOn: st.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		complete, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: p.ID, Type: rights.TypeRestriction, Channel: rights.ChannelPhone, ReceivedOn: st.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.VerifyManually(ctx, audit.Staff("a-po"), complete.ID, "called back on the number in the account"); err != nil {
			t.Fatal(err)
		}
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		page := "/staff/requests/" + refuse.ID
		_, body := officer.get(page)
		if !strings.Contains(body, "De persoon krijgt de uitkomst gemaild") {
			t.Errorf("the request page does not say the person is mailed the outcome")
		}
		csrf := csrfRE.FindStringSubmatch(body)[1]
		reason := "We could not establish that the request came from you."
		if resp, _ := officer.post(page+"/refuse", url.Values{"csrf": {csrf}, "reason": {reason}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("refuse: %d", resp.StatusCode)
		}
		if resp, _ := officer.post("/staff/requests/"+complete.ID+"/complete", url.Values{"csrf": {csrf}, "outcome": {"Your saved jobs stay hidden from our matching until we have checked them."}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("complete: %d", resp.StatusCode)
		}
		if _, err := st.mail.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := st.smtp.WaitFor(t, 2)
		if len(msgs) != 2 {
			t.Fatalf("%d mails, want 2", len(msgs))
		}
		bySubject := map[string]string{}
		for _, m := range msgs {
			if m.EnvelopeTo[0] != "jan@example.org" {
				t.Errorf("mail %q to %v", m.Subject, m.EnvelopeTo)
			}
			bySubject[m.Subject] = m.Text
		}
		site := testkit.Policy(t, "zorginspirator").Site.Name
		authority := testkit.Policy(t, "zorginspirator").Rights.Complaint.Authority
		refusal := bySubject["We willigen je verzoek aan "+site+" niet in"]
		if !strings.Contains(refusal, reason) || !strings.Contains(refusal, "klacht indienen bij de\ntoezichthouder") ||
			!strings.Contains(refusal, authority) || !strings.Contains(refusal, "naar de rechter") {
			t.Errorf("refusal mail:\n%s\n(all: %v)", refusal, bySubject)
		}
		done := bySubject["Je verzoek aan "+site+" is afgehandeld"]
		if !strings.Contains(done, "We beperken de verwerking van je persoonsgegevens") || !strings.Contains(done, "Your saved jobs stay hidden") {
			t.Errorf("completion mail:\n%s\n(all: %v)", done, bySubject)
		}
		for _, id := range []string{refuse.ID, complete.ID} {
			if _, body := officer.get("/staff/requests/" + id); !strings.Contains(body, "antwoord gemaild aan de persoon — officer@example.org (Privacyfunctionaris)") {
				t.Errorf("the timeline of %s does not show the answer mailed", id)
			}
		}
	})
}
