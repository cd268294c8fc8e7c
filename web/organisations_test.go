package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

// addOrganisation adds an organisation through the staff page as b and
// returns its id.
func addOrganisation(t *testing.T, b *browser, name string) string {
	t.Helper()
	resp, body := b.submit("/staff/organisations", "/staff/organisations", url.Values{"name": {name}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/staff/organisations/org-") {
		t.Fatalf("add organisation %q: %d %s\n%s", name, resp.StatusCode, loc, body)
	}
	return strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/staff/organisations/")
}

// TestOrganisationInvitationEndToEnd (issue 16, R6): a privacy officer
// adds organisations on the staff pages; an organisation manager sees
// and manages only their own; the invitation they send is followed
// exactly as mailed — logged out it asks for a login, another person's
// login does not find it, the person sees the organisation's name and
// accepts; nobody is linked before. The organisation's page shows its
// contract terms in words; the member list is a recorded staff view; My data shows the membership; a second person declines and stays
// outside; the manager ends a membership. Bad input (no name, a malformed
// address, a forged answer, an answered link) changes nothing; an
// unknown address tells the manager nothing. Every step is audited by
// ids only (both stores).
func TestOrganisationInvitationEndToEnd(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		anna := st.loggedInPerson("anna@example.org")
		bob := st.loggedInPerson("bob@example.org")
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)

		if resp, _ := officer.submit("/staff/organisations", "/staff/organisations", url.Values{"name": {"   "}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("an organisation without a name: %d, want 400", resp.StatusCode)
		}
		if orgs, _ := s.Organisations(ctx); len(orgs) != 0 {
			t.Fatalf("a refused name stored %+v", orgs)
		}
		hospital := addOrganisation(t, officer, "Ziekenhuis Noord")
		pharmacy := addOrganisation(t, officer, "Apotheek Zuid")
		if resp, _ := officer.submit("/staff/organisations", "/staff/organisations", url.Values{"name": {"Ziekenhuis Noord"}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("a second organisation of the same name: %d, want 409", resp.StatusCode)
		}

		manager := staffBrowserIn(t, st, "manager@example.org", account.RoleOrganisationManager, hospital)
		_, home := manager.get("/staff/organisations")
		if !strings.Contains(home, "Ziekenhuis Noord") || strings.Contains(home, "Apotheek Zuid") || strings.Contains(home, `name="name"`) {
			t.Fatalf("the manager's organisations: want only their own and no add form\n%s", mainOf(t, home))
		}
		if !strings.Contains(home, `href="/staff/organisations"`) || strings.Contains(home, `href="/staff/requests"`) {
			t.Fatalf("the manager's menu: want organisations and no request queue")
		}
		for _, path := range []string{"/staff/organisations/" + pharmacy, "/staff/requests", "/staff/retention", "/staff/"} {
			if resp, _ := manager.get(path); resp.StatusCode != http.StatusForbidden {
				t.Errorf("manager opens %s: %d, want 403", path, resp.StatusCode)
			}
		}
		page := "/staff/organisations/" + hospital
		if resp, _ := manager.submit(page, "/staff/organisations/"+pharmacy+"/invite", url.Values{"email": {"bob@example.org"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("manager invites into another organisation: %d, want 403", resp.StatusCode)
		}
		if resp, _ := manager.submit(page, page+"/invite", url.Values{"email": {"not an address"}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("a malformed address: %d, want 400", resp.StatusCode)
		}
		mails := len(st.smtp.Messages())
		// An address without an account is told like any other.
		if resp, _ := manager.submit(page, page+"/invite", url.Values{"email": {"nobody@example.org"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("an unknown address: %d, want 303 like a known one", resp.StatusCode)
		}
		if invs, _ := s.Invitations(ctx, hospital); len(invs) != 0 {
			t.Fatalf("bad input stored invitations: %+v", invs)
		}

		annaAcct, _ := s.AccountByEmail(ctx, "anna@example.org")
		mgrID := staffID(t, s, "manager@example.org")
		since := testkit.AuditHead(t, s)
		resp, _ := manager.submit(page, page+"/invite", url.Values{"email": {"Anna@Example.org"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("invite: %d", resp.StatusCode)
		}
		link, msg := st.mailLink(mails + 1)
		if msg.EnvelopeTo[0] != "anna@example.org" || !strings.Contains(msg.Text, "Ziekenhuis Noord") {
			t.Fatalf("invitation mail to %v:\n%s", msg.EnvelopeTo, msg.Text)
		}
		if a, _ := s.AccountByID(ctx, annaAcct.ID); a.OrganisationID != "" {
			t.Fatal("invited is linked before accepting")
		}
		// Logged out, the link asks for a login and comes back.
		if resp, _ := st.browser().get(link); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Fatalf("the link logged out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		// Someone else's login does not find it.
		if resp, _ := bob.get(link); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("bob opens anna's invitation: %d, want 404", resp.StatusCode)
		}
		_, invitation := anna.get(link)
		if !strings.Contains(mainOf(t, invitation), "Ziekenhuis Noord") {
			t.Fatalf("the invitation page does not name the organisation:\n%s", mainOf(t, invitation))
		}
		tok, _ := url.Parse(link)
		if resp, _ := anna.submit(link, "/organisations/invitation", url.Values{"token": {tok.Query().Get("token")}, "answer": {"maybe"}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("a forged answer: %d, want 400", resp.StatusCode)
		}
		if resp, body := anna.follow(link, url.Values{"answer": {"accept"}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "lid van de organisatie") {
			t.Fatalf("accept: %d\n%s", resp.StatusCode, mainOf(t, body))
		}
		if a, _ := s.AccountByID(ctx, annaAcct.ID); a.OrganisationID != hospital {
			t.Fatalf("after accepting, anna's organisation is %q", a.OrganisationID)
		}
		if resp, _ := anna.get(link); resp.StatusCode != http.StatusConflict {
			t.Fatalf("the answered link: %d, want 409", resp.StatusCode)
		}
		anon := audit.Pseudonym(annaAcct.Pseudonym)
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.OrganisationInvite, Actor: mgrID, ObjectKind: "organisation_invitation", Subject: anon, Fields: []string{"account_id", "expires_at", "organisation_id"}},
			testkit.AuditWant{Action: audit.OrganisationJoin, Actor: audit.SubjectActor(anon), ObjectKind: "organisation_invitation", Subject: anon, Fields: []string{"answer", "organisation_id"}})

		// The organisation's contract terms show with the members.
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.SetOverride(ctx, store.Override{Organisation: hospital, Rule: "lms_account_inactive", Period: policy.MustDuration("P6Y"),
				ContractRef: "ZN-2026-3", ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, st.clock.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// The member list is a recorded view of anna's address.
		since = testkit.AuditHead(t, s)
		_, detail := manager.get(page)
		if !strings.Contains(detail, "ZN-2026-3") || !strings.Contains(detail, "vanaf 1 januari 2026") || !strings.Contains(detail, "6 jaar") {
			t.Fatalf("the organisation page lacks its contract terms in words:\n%s", mainOf(t, detail))
		}
		if !strings.Contains(detail, "anna@example.org") || !strings.Contains(detail, "geaccepteerd") {
			t.Fatalf("the organisation page lacks the member or the invitation's state:\n%s", mainOf(t, detail))
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.StaffView, Actor: mgrID, ObjectKind: "account", ObjectID: annaAcct.ID,
			Subject: anon, Fields: []string{"account.email", "organisation_membership"}})
		if _, data := anna.get("/account/data"); !strings.Contains(data, "Je bent lid van Ziekenhuis Noord") || !strings.Contains(data, "Organisatiebeheerder") {
			t.Fatalf("My data does not show the membership and the manager's view:\n%s", mainOf(t, data))
		}

		// Bob declines an invitation from the officer and stays outside.
		mails = len(st.smtp.Messages())
		if resp, _ := officer.submit("/staff/organisations/"+pharmacy, "/staff/organisations/"+pharmacy+"/invite?lang=en", url.Values{"email": {"bob@example.org"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("officer invites bob: %d", resp.StatusCode)
		}
		link, msg = st.mailLink(mails + 1)
		if !strings.Contains(link, "lang=en") || !strings.Contains(msg.Text, "Apotheek Zuid invites you") {
			t.Fatalf("the English invitation: %s\n%s", link, msg.Text)
		}
		if resp, body := bob.follow(link, url.Values{"answer": {"decline"}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "declined") {
			t.Fatalf("decline: %d\n%s", resp.StatusCode, mainOf(t, body))
		}
		if b, _ := s.AccountByEmail(ctx, "bob@example.org"); b.OrganisationID != "" {
			t.Fatalf("bob declined and belongs to %q", b.OrganisationID)
		}
		// The officer cannot invite anna, who belongs to an organisation.
		if resp, _ := officer.submit("/staff/organisations/"+pharmacy, "/staff/organisations/"+pharmacy+"/invite", url.Values{"email": {"anna@example.org"}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("inviting a member of another organisation: %d, want 409", resp.StatusCode)
		}

		// The manager ends anna's membership.
		csrf := manager.csrf(page) // opening the page is a view of its own
		since = testkit.AuditHead(t, s)
		if resp, _ := manager.post(page+"/members/"+annaAcct.ID+"/remove", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("remove member: %d", resp.StatusCode)
		}
		if a, _ := s.AccountByID(ctx, annaAcct.ID); a.OrganisationID != "" {
			t.Fatalf("after removal anna belongs to %q", a.OrganisationID)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.OrganisationRemove, Actor: mgrID, ObjectKind: "account", ObjectID: annaAcct.ID, Subject: anon, Fields: []string{"organisation_id"}})
		if resp, _ := manager.submit(page, page+"/members/"+annaAcct.ID+"/remove", url.Values{}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("removing a non-member: %d, want 404", resp.StatusCode)
		}
		testkit.AssertNoPersonalValues(t, s, "anna@example.org", "bob@example.org", "Ziekenhuis Noord", "Apotheek Zuid")
	})
}
