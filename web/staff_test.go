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
	"steward/consent"
	"steward/internal/testkit"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
)

// insertPerson stores a confirmed person's account at the site's clock.
func insertPerson(t *testing.T, st *site, email string) *account.Account {
	t.Helper()
	ctx := context.Background()
	a := &account.Account{ID: account.NewID("a-"), Email: email, Pseudonym: string(audit.NewPseudonym()),
		CreatedAt: st.clock.Now(), ConfirmedAt: st.clock.Now()}
	if err := st.store.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
		t.Fatal(err)
	}
	return a
}

func staffID(t *testing.T, s *store.Store, email string) audit.Actor {
	t.Helper()
	return audit.Staff(personID(t, s, email))
}

// TestStaffLiftRestriction: a person's record shows the restriction and
// objection in force with reason and date; a privacy officer lifts the
// restriction with a reason (Art. 18(3), Z8), the person is mailed that
// reason, and the step is audited. Support, a forged form, a stale login,
// no reason, and lifting twice are refused and change nothing, with the
// refusal in the page's language.
func TestStaffLiftRestriction(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "zorginspirator")
		p := insertPerson(t, st, "jan@example.org")
		ps := audit.Pseudonym(p.Pseudonym)
		d := testDesk(t, st, "zorginspirator")
		if err := d.Restrict(ctx, p.ID, "my job history is wrong", audit.SubjectActor(ps)); err != nil {
			t.Fatal(err)
		}
		if err := d.Object(ctx, p.ID, "usability", audit.SubjectActor(ps)); err != nil {
			t.Fatal(err)
		}
		st.clock.Advance(48 * time.Hour)
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		rec := "/staff/people/" + p.ID
		lift := rec + "/lift-restriction"
		restricted := func() bool {
			t.Helper()
			limits, err := s.ProcessingLimits(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range limits {
				if l.Kind == consent.LimitRestriction {
					return true
				}
			}
			return false
		}

		since := testkit.AuditHead(t, s)
		resp, body := officer.get(rec + "?lang=en")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("record: %d", resp.StatusCode)
		}
		for _, want := range []string{
			`<tr class="limit-restriction"><td>Restriction of processing (Art. 18 GDPR)</td><td>every purpose</td><td>24 November 2026, 10:00</td><td>my job history is wrong</td></tr>`,
			`<tr class="limit-objection"><td>Objection (Art. 21 GDPR)</td><td>Improving usability</td><td>24 November 2026, 10:00</td>`,
			`action="/staff/people/` + p.ID + `/lift-restriction?lang=en"`, `name="reason" required`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("record lacks %q:\n%s", want, body)
			}
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.StaffView, Actor: staffID(t, s, "officer@example.org"),
			ObjectKind: "account", ObjectID: p.ID, Subject: ps, Fields: []string{"account.email", "processing_limits"}})
		csrf := csrfRE.FindStringSubmatch(body)[1]

		// Refused: support's role, a forged token, no reason.
		since = testkit.AuditHead(t, s)
		if resp, _ := support.post(lift, url.Values{"csrf": {support.csrf("/staff/")}, "reason": {"resolved"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("support lifted: %d, want 403", resp.StatusCode)
		}
		if resp, _ := officer.post(lift, url.Values{"csrf": {"forged"}, "reason": {"resolved"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("forged token: %d, want 403", resp.StatusCode)
		}
		for _, reason := range []string{"", "  "} {
			// In the page's language: Dutch by default (issue 7).
			resp, body := officer.post(lift, url.Values{"csrf": {csrf}, "reason": {reason}})
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "is verplicht: de persoon krijgt te horen waarom de beperking stopt (art. 18 lid 3 AVG)") {
				t.Errorf("reason %q: %d, want 400 in Dutch:\n%s", reason, resp.StatusCode, body)
			}
		}
		if resp, body := officer.post(lift+"?lang=en", url.Values{"csrf": {csrf}, "reason": {""}}); resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body, "is required: the person is told why the restriction ends (Art. 18(3) GDPR)") {
			t.Errorf("no reason in English: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := officer.post("/staff/people/a-nobody/lift-restriction", url.Values{"csrf": {csrf}, "reason": {"resolved"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown person: %d, want 404", resp.StatusCode)
		}
		// A login older than 15 minutes is sent to log in again.
		st.clock.Advance(16 * time.Minute)
		resp, _ = officer.post(lift, url.Values{"csrf": {csrf}, "reason": {"resolved"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?reauth=1") {
			t.Fatalf("stale login: %d %s, want 303 to /login?reauth=1", resp.StatusCode, resp.Header.Get("Location"))
		}
		if !restricted() {
			t.Fatal("a refused lift ended the restriction")
		}
		if mails, _ := s.OutboxList(ctx, store.OutboxFilter{}); len(mails) != 0 {
			t.Fatalf("a refused lift mailed %d", len(mails))
		}
		testkit.AssertAudit(t, s, since)

		if resp := officer.login("officer@example.org", "staff password 1"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login again: %d", resp.StatusCode)
		}
		csrf = officer.csrf("/staff/")
		since = testkit.AuditHead(t, s)
		resp, body = officer.post(lift+"?lang=en", url.Values{"csrf": {csrf}, "reason": {"Your employer confirmed the job history we hold."}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "The restriction is lifted.") {
			t.Fatalf("lift: %d\n%s", resp.StatusCode, body)
		}
		if restricted() {
			t.Fatal("still restricted after the lift")
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.AccountRestrict, Actor: staffID(t, s, "officer@example.org"),
			ObjectKind: "account", ObjectID: p.ID, Subject: ps, Fields: []string{"restriction_lifted", "lift_notice_mailed"}})
		if _, err := st.mail.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		m := st.smtp.WaitFor(t, 1)[0]
		if m.EnvelopeTo[0] != "jan@example.org" || !strings.Contains(m.Subject, "beperking") ||
			!strings.Contains(m.Text, "Your employer confirmed the job history we hold.") || !strings.Contains(m.Text, "24 november 2026") {
			t.Fatalf("lift mail to %v %q:\n%s", m.EnvelopeTo, m.Subject, m.Text)
		}

		// The objection stands, the form is gone, and lifting again is a 409.
		_, body = officer.get(rec + "?lang=en")
		if strings.Contains(body, "limit-restriction") || !strings.Contains(body, "limit-objection") || strings.Contains(body, "/lift-restriction") {
			t.Errorf("record after the lift:\n%s", body)
		}
		since = testkit.AuditHead(t, s)
		if resp, body := officer.post(lift, url.Values{"csrf": {csrf}, "reason": {"again"}}); resp.StatusCode != http.StatusConflict ||
			!strings.Contains(body, "De verwerking van de gegevens van deze persoon is niet beperkt.") {
			t.Errorf("lift twice: %d, want 409 in Dutch:\n%s", resp.StatusCode, body)
		}
		if resp, body := officer.post(lift+"?lang=en", url.Values{"csrf": {csrf}, "reason": {"again"}}); resp.StatusCode != http.StatusConflict ||
			!strings.Contains(html.UnescapeString(body), "Processing of this person's data is not restricted.") {
			t.Errorf("lift twice in English: %d\n%s", resp.StatusCode, body)
		}
		testkit.AssertAudit(t, s, since)
		testkit.AssertNoPersonalValues(t, s, "jan@example.org", "job history")
	})
}

// TestStaffStepsNeedRecentLogin: every step on a request — entering one,
// verifying, extending, completing (which runs the erasure), refusing —
// and recording a disclosure is a privileged action: with a login older
// than 15 minutes staff are sent to log in again and nothing changes.
func TestStaffStepsNeedRecentLogin(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		p := insertPerson(t, st, "anna@example.org")
		d := testDesk(t, st, "ivm")
		req, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: p.ID, Type: rights.TypeErasure, Channel: rights.ChannelLetter, ReceivedOn: st.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		verified, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: p.ID, Type: rights.TypeErasure, Channel: rights.ChannelLetter, ReceivedOn: st.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.VerifyManually(ctx, audit.Staff("a-po"), verified.ID, "passport shown at the desk"); err != nil {
			t.Fatal(err)
		}
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		page := "/staff/requests/" + req.ID
		csrf := officer.csrf(page)
		st.clock.Advance(16 * time.Minute)

		since := testkit.AuditHead(t, s)
		today := st.clock.Now().Format(time.DateOnly)
		for _, step := range []struct {
			path string
			form url.Values
		}{
			{page + "/verify-link", url.Values{}},
			{page + "/verify-manual", url.Values{"note": {"called back"}}},
			{page + "/extend", url.Values{"period": {"P2M"}, "reason": {"many records"}}},
			{"/staff/requests/" + verified.ID + "/complete", url.Values{"outcome": {"erased"}}},
			{page + "/refuse", url.Values{"reason": {"manifestly unfounded"}}},
			{"/staff/requests", url.Values{"email": {"anna@example.org"}, "type": {"access"}, "channel": {"email"}, "received": {today}}},
			{"/staff/disclosures", url.Values{"email": {"anna@example.org"}, "ground": {"fraud_authorities"}, "categories": {"account"}, "date": {today}, "request": {req.ID}}},
		} {
			step.form.Set("csrf", csrf)
			req, _ := http.NewRequest("POST", officer.base+step.path, strings.NewReader(step.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Referer", officer.base+page)
			resp, _ := officer.do(req)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?reauth=1&next="+url.QueryEscape(page)) {
				t.Errorf("%s with a stale login: %d %s, want 303 to log in again and back to %s", step.path, resp.StatusCode, loc, page)
			}
		}
		testkit.AssertAudit(t, s, since)
		for _, id := range []string{req.ID, verified.ID} {
			got, err := d.Request(ctx, id, "")
			if err != nil || !got.Status.Open() || !got.Extension.IsZero() {
				t.Fatalf("a refused step changed request %s: %+v %v", id, got.Request, err)
			}
		}
		if _, err := s.AccountByID(ctx, p.ID); err != nil {
			t.Fatalf("a refused completion erased the person: %v", err)
		}
		if mails, _ := s.OutboxList(ctx, store.OutboxFilter{}); len(mails) != 0 {
			t.Fatalf("a refused step mailed %d", len(mails))
		}
		queue, err := d.Queue(ctx, desk.QueueOptions{})
		if err != nil || len(queue) != 2 {
			t.Fatalf("queue after refused steps: %d requests, %v; want the 2 there were", len(queue), err)
		}
		var n int
		s.Read().QueryRow(`SELECT COUNT(*) FROM disclosures`).Scan(&n)
		if n != 0 {
			t.Fatalf("a refused disclosure was recorded: %d", n)
		}

		// Logged in again, the same step goes through.
		if resp := officer.login("officer@example.org", "staff password 1"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login again: %d", resp.StatusCode)
		}
		resp, _ := officer.post("/staff/requests/"+verified.ID+"/complete", url.Values{"csrf": {officer.csrf(page)}, "outcome": {"erased"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/requests/"+verified.ID {
			t.Fatalf("complete after logging in again: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// TestStaffLookupIsPostedAndRecorded: finding a person by e-mail address
// takes the address by POST, never in a URL (nor so in the access log),
// and a found account is a recorded staff view of the fields the lookup
// shows (R12); an unknown address shows no account and records nothing.
func TestStaffLookupIsPostedAndRecorded(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		p := insertPerson(t, st, "anna.lookup@example.org")
		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		_, home := support.get("/staff/")
		if !strings.Contains(home, `<form method="post" action="/staff/">`) || !strings.Contains(home, `name="email"`) {
			t.Fatalf("the lookup form does not post:\n%s", home)
		}
		csrf := csrfRE.FindStringSubmatch(home)[1]

		since := testkit.AuditHead(t, s)
		// An address in the URL is not looked up.
		if resp, body := support.get("/staff/?email=anna.lookup@example.org"); resp.StatusCode != http.StatusOK || strings.Contains(body, p.ID) {
			t.Errorf("GET with ?email=: %d, shows the account: %v", resp.StatusCode, strings.Contains(body, p.ID))
		}
		if resp, _ := support.post("/staff/", url.Values{"csrf": {"forged"}, "email": {"anna.lookup@example.org"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("forged token: %d, want 403", resp.StatusCode)
		}
		if resp, _ := support.post("/staff/", url.Values{"csrf": {csrf}, "email": {" "}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("no address: %d, want 400", resp.StatusCode)
		}
		if resp, body := support.post("/staff/", url.Values{"csrf": {csrf}, "email": {"nobody@example.org"}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Geen account heeft dit adres.") {
			t.Errorf("unknown address: %d\n%s", resp.StatusCode, body)
		}
		testkit.AssertAudit(t, s, since)
		if views, _ := s.StaffViewsOf(ctx, p.ID); len(views) != 0 {
			t.Fatalf("a lookup that found nothing recorded views: %+v", views)
		}

		resp, body := support.post("/staff/", url.Values{"csrf": {csrf}, "email": {"anna.lookup@example.org"}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<dd>"+p.ID+"</dd>") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("lookup: %d %q\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
		}
		sup := staffID(t, s, "support@example.org")
		fields := []string{"account.confirmed", "account.email", "account.id"}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.StaffView, Actor: sup, ObjectKind: "account", ObjectID: p.ID,
			Subject: audit.Pseudonym(p.Pseudonym), Fields: fields})
		views, err := s.StaffViewsOf(ctx, p.ID)
		if err != nil || len(views) != 1 || audit.Staff(views[0].StaffID) != sup || strings.Join(views[0].Fields, ",") != strings.Join(fields, ",") {
			t.Fatalf("the person's record of staff views: %+v %v", views, err)
		}
		st.log.AssertNoValues(t, "anna.lookup@example.org")
		testkit.AssertNoPersonalValues(t, s, "anna.lookup@example.org")
	})
}

// TestStaffRequestViewIsRecorded: a request's page shows what the person
// asked in their own words, and names them (here by their address: the
// account has no name), so opening it records a staff view on the
// request and on the person's record of views (R12), before the page.
func TestStaffRequestViewIsRecorded(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		p := insertPerson(t, st, "anna@example.org")
		d := testDesk(t, st, "ivm")
		req, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: p.ID, Type: rights.TypeAccess, Channel: rights.ChannelLetter,
			ReceivedOn: st.clock.Now(), Details: "Please send me everything about my course results."})
		if err != nil {
			t.Fatal(err)
		}
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		since := testkit.AuditHead(t, s)
		resp, body := officer.get("/staff/requests/" + req.ID)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "my course results") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("request page: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		fields := []string{"account.email", "request.channel", "request.details", "request.received_on", "request.status", "request.timeline", "request.type"}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.StaffView, Actor: staffID(t, s, "officer@example.org"),
			ObjectKind: "request", ObjectID: req.ID, Subject: audit.Pseudonym(p.Pseudonym), Fields: fields})
		views, err := s.StaffViewsOf(ctx, p.ID)
		if err != nil || len(views) != 1 || strings.Join(views[0].Fields, ",") != strings.Join(fields, ",") {
			t.Fatalf("the person's record of staff views: %+v %v", views, err)
		}
		testkit.AssertNoPersonalValues(t, s, "course results", "anna@example.org")
	})
}
