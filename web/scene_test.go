package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/organisation"
	"steward/policy"
	"steward/rights"
	"steward/store"
	"steward/voucher"
)

// scene is a site with one of each kind of user, logged in, and enough
// data that every page has something to show: a person with a record of
// each kind the tests know and an open, extended request (issue 13).
type scene struct {
	st     *site
	policy string
	// users are the browsers by who they are: "visitor" (no cookie
	// choice yet), "returning visitor", "person" and each staff role's
	// name.
	users map[string]*browser
	// order is the order users are crawled and reported in.
	order    []string
	request  string
	personID string
	// org is the organisation the person belongs to and the organisation
	// manager manages (issue 16).
	org string
}

// sceneUsers are the kinds of user every scene has, in report order.
var sceneUsers = []string{"visitor", "returning visitor", "person", string(account.RoleSupport), string(account.RolePrivacyOfficer), string(account.RoleAdmin), string(account.RoleOrganisationManager)}

// signupValues is a valid sign-up form of the policy's site.
func signupValues(policyName, email string) url.Values {
	if policyName == "ivm" {
		return ivmSignup(email)
	}
	return url.Values{"account.email": {email}, "password": {"correct horse battery"}}
}

func newScene(t *testing.T, s *store.Store, policyName string) *scene {
	t.Helper()
	ctx := context.Background()
	st := newSite(t, s, policyName)
	// Two published versions, the second a day old: every page but
	// staff's shows the banner about the change, so the crawl, axe and
	// the 360 px check see it (issue 20).
	src := changed(t, policyName)
	publishAt(t, s, clock.NewFixed(st.clock.Now().AddDate(0, -1, 0)), src, "Eerste versie.", "First version.", time.Time{})
	publishAt(t, s, clock.NewFixed(st.clock.Now().AddDate(0, 0, -1)), src+"\n# version 2\n", "De contactgegevens zijn aangevuld.", "The contact details were completed.", time.Time{})
	sc := &scene{st: st, policy: policyName, users: map[string]*browser{}, order: sceneUsers}
	// A site with a catalogue has a few functies and opleidingen, so the
	// crawl reaches their pages (issue 18).
	if testkit.Policy(t, policyName).Site.Catalogue {
		importCatalogue(t, st, catalogueItems)
	}
	sc.users["visitor"] = st.browser()

	person := st.browser()
	if resp, body := person.submit("/signup", "/signup", signupValues(policyName, "anna@example.org")); resp.StatusCode != 200 {
		t.Fatalf("sign-up: %d\n%s", resp.StatusCode, body)
	}
	link, _ := st.mailLink(len(st.smtp.Messages()) + 1)
	if resp, body := person.follow(link, nil); resp.StatusCode != 200 {
		t.Fatalf("verify: %d\n%s", resp.StatusCode, body)
	}
	if resp := person.login("anna@example.org", "correct horse battery"); resp.StatusCode != 303 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	sc.users["person"] = person
	sc.personID = personID(t, s, "anna@example.org")
	if policyName == "ivm" {
		addRecord(t, s, policyName, sc.personID, "order", st.clock.Now().AddDate(0, -1, 0), map[string]string{"order_number": "ORD-4711", "items": "Handboek medicatieveiligheid"})
		// The course catalogue, and the person enrolled in the free course
		// (issue 16).
		importCourses(t, st, policyName)
		// The shop's publications (issue 17).
		importProducts(t, st, policyName)
		if resp, body := person.submit("/courses/medicatiebewaking", "/courses/medicatiebewaking/enrol", url.Values{}); resp.StatusCode != 303 {
			t.Fatalf("enrol: %d\n%s", resp.StatusCode, body)
		}
	}
	d := testDesk(t, st, policyName)
	req, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: sc.personID, Type: rights.TypeAccess, Channel: rights.ChannelEmail, ReceivedOn: st.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.VerifyManually(ctx, audit.Staff("a-po"), req.ID, "passport shown at the desk"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Extend(ctx, audit.Staff("a-po"), req.ID, policy.Duration{Months: 2}, "many records in several systems"); err != nil {
		t.Fatal(err)
	}
	sc.request = req.ID
	for _, role := range []account.Role{account.RoleSupport, account.RolePrivacyOfficer, account.RoleAdmin} {
		sc.users[string(role)] = staffBrowser(t, st, strings.ReplaceAll(string(role), "_", "-")+"@example.org", role)
	}
	// The person is a member of an organisation, which has a manager.
	sc.org = "org-scene"
	if err := s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertOrganisation(ctx, &organisation.Organisation{ID: sc.org, Name: "Ziekenhuis Noord", CreatedAt: st.clock.Now()}); err != nil {
			return err
		}
		return tx.SetMembership(ctx, sc.personID, "", sc.org)
	}); err != nil {
		t.Fatal(err)
	}
	sc.users[string(account.RoleOrganisationManager)] = staffBrowserIn(t, st, "organisation-manager@example.org", account.RoleOrganisationManager, sc.org)
	if policyName == "ivm" {
		// The manager's vouchers for the paid course, one redeemed by the
		// person, so the batches and the report have rows (issue 17).
		svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, policyName), Store: s, Clock: st.clock})
		if err != nil {
			t.Fatal(err)
		}
		mgr, _ := s.AccountByEmail(ctx, "organisation-manager@example.org")
		_, codes, err := svc.Vouchers.Create(ctx, mgr, voucher.Batch{Organisation: sc.org, Course: "polyfarmacie", Count: 2,
			ExpiresAt: st.clock.Now().AddDate(0, 2, 0), Label: "Team noord"})
		if err != nil {
			t.Fatal(err)
		}
		anna, _ := s.AccountByID(ctx, sc.personID)
		o, err := svc.Vouchers.Preview(ctx, anna, codes[0], "nl")
		if err == nil {
			_, err = svc.Vouchers.Redeem(ctx, anna, codes[0], "nl", o.Notice.Hash)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Everyone but the first-time visitor has answered the cookie notice
	// (refused all), as someone who has used the site before has.
	sc.users["returning visitor"] = st.browser()
	for name, b := range sc.users {
		if name == "visitor" {
			continue
		}
		if resp, body := b.post("/cookies", url.Values{"choice": {"none"}, "return": {"/"}}); resp.StatusCode != 303 {
			t.Fatalf("%s refuses cookies: %d\n%s", name, resp.StatusCode, body)
		}
	}
	return sc
}
