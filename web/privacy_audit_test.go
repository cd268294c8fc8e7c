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

// TestAuditHoldsNoPersonalValuesAfterEveryAction is issue 5's privacy test:
// a person with distinctive values (name, e-mail, postcode, BIG number)
// goes through every action the site offers — sign-up, confirmation,
// login, profile edits, the BIG number's reveal, consent given and
// withdrawn, the consent receipt, the export, a staff lookup and view of
// their record, a disclosure, a restriction and a request, a password
// reset, logout and finally erasure — and then neither the audit tables nor
// the server's log hold any of those values (G2, R12). IVM (name, BIG
// number; deletion) and Zorginspirator (postcode, username; anonymisation),
// each on both stores.
func TestAuditHoldsNoPersonalValuesAfterEveryAction(t *testing.T) {
	type person struct {
		email, password string
		signup          url.Values
		edit            url.Values
		values          []string // what must appear nowhere in the log
	}
	sites := map[string]person{
		"ivm": {
			email: "wilhelmina.zwanenburg@example.nl", password: "zwanenzang veertien",
			signup: url.Values{"account.first_name": {"Wilhelmina"}, "account.last_name": {"Zwanenburg"},
				"account.organisation": {"Apotheek Zilverreiger"}, "account.job_title": {"apotheker"}, "account.sector": {"zorg"}},
			edit:   url.Values{"account.first_name": {"Willemijn"}, "lms_account.register_number": {"49781234509"}},
			values: []string{"wilhelmina.zwanenburg", "Wilhelmina", "Willemijn", "Zwanenburg", "Zilverreiger", "49781234509"},
		},
		"zorginspirator": {
			email: "quirijn.oosterwolde@example.nl", password: "oosterwolde zevenenveertig",
			signup: url.Values{"account.username": {"quirijnoost"}, "profile.postcode": {"9712 CP"}, "profile.age": {"47"}},
			edit:   url.Values{"profile.postcode": {"8011 QR"}, "profile.current_job": {"wijkverpleegkundige Oosterwolde"}},
			values: []string{"quirijn.oosterwolde", "quirijnoost", "9712 CP", "9712CP", "8011 QR", "8011QR", "Oosterwolde"},
		},
	}
	for name, p := range sites {
		t.Run(name, func(t *testing.T) {
			testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				st := newSite(t, s, name)
				b := st.browser()

				// Sign-up, confirmation, login.
				form := url.Values{"account.email": {p.email}, "password": {p.password}}
				for k, v := range p.signup {
					form[k] = v
				}
				if resp, body := b.submit("/signup", "/signup", form); resp.StatusCode != http.StatusOK {
					t.Fatalf("sign-up: %d\n%s", resp.StatusCode, body)
				}
				link, _ := st.mailLink(len(st.smtp.Messages()) + 1)
				if resp, body := b.follow(link, nil); resp.StatusCode != http.StatusOK {
					t.Fatalf("verify: %d\n%s", resp.StatusCode, body)
				}
				if resp := b.login(p.email, p.password); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("login: %d", resp.StatusCode)
				}
				id := personID(t, s, p.email)

				// Profile edit, and the BIG number shown to its owner.
				edit := url.Values{}
				for k, v := range p.edit {
					edit[k] = v
				}
				if resp, body := b.submit("/account", "/account", edit); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("profile edit: %d\n%s", resp.StatusCode, body)
				}
				if _, ok := p.edit["lms_account.register_number"]; ok {
					if _, page := b.submit("/account", "/account/reveal", url.Values{"field": {"lms_account.register_number"}}); !strings.Contains(page, "49781234509") {
						t.Fatal("reveal did not show the BIG number")
					}
				}

				// Consent given and withdrawn, the receipt, the export.
				for _, given := range []string{"1", "0"} {
					if resp, _ := b.submit("/account/consents", "/account/consents", url.Values{"purpose": {"newsletter"}, "given": {given}}); resp.StatusCode != http.StatusSeeOther {
						t.Fatalf("consent %s: %d", given, resp.StatusCode)
					}
				}
				if resp, _ := b.get("/account/consents/receipt"); resp.StatusCode != http.StatusOK {
					t.Fatalf("receipt: %d", resp.StatusCode)
				}
				if resp, _ := b.get("/account/data/export"); resp.StatusCode != http.StatusOK {
					t.Fatalf("export: %d", resp.StatusCode)
				}

				// Staff: the lookup by address, the person's record, a
				// disclosure.
				officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
				if resp, body := officer.submit("/staff/", "/staff/", url.Values{"email": {p.email}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, id) {
					t.Fatalf("staff lookup: %d", resp.StatusCode)
				}
				if resp, _ := officer.get("/staff/people/" + id); resp.StatusCode != http.StatusOK {
					t.Fatalf("staff view: %d", resp.StatusCode)
				}
				// Zorginspirator's statement names no disclosures.
				pol := testkit.Policy(t, name)
				if len(pol.Disclosures) > 0 {
					d := testDesk(t, st, name)
					if _, err := d.RecordDisclosure(ctx, audit.Staff("a-officer"), rights.NewDisclosure{SubjectID: id, Ground: pol.Disclosures[0].ID,
						Recipient: "Politie Zwanenburg", Categories: pol.Disclosures[0].Records[:1], DisclosedOn: st.clock.Now()}); err != nil {
						t.Fatal(err)
					}
				}

				// A restriction, a request, a password reset, logout.
				if resp, _ := b.submit("/account/data", "/account/data/restrict", url.Values{"reason": {"my postcode is wrong"}}); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("restrict: %d", resp.StatusCode)
				}
				if resp, _ := b.submit("/account/data", "/account/data/requests", url.Values{"type": {"rectification"}, "details": {"Zwanenburg is misspelt"}}); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("request: %d", resp.StatusCode)
				}
				if resp, _ := b.submit("/account", "/logout", url.Values{}); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("logout: %d", resp.StatusCode)
				}
				if resp, _ := b.submit("/reset", "/reset", url.Values{"email": {p.email}}); resp.StatusCode != http.StatusOK {
					t.Fatalf("reset: %d", resp.StatusCode)
				}
				// The reset link is followed exactly as mailed (issue 13).
				link, _ = st.mailLink(len(st.smtp.Messages()) + 1)
				newPassword := p.password + " twee"
				if resp, body := b.follow(link, url.Values{"password": {newPassword}}); resp.StatusCode >= 400 {
					t.Fatalf("reset confirm: %d\n%s", resp.StatusCode, body)
				}

				// Erasure, by the person: the restriction is a hold on
				// retention, not on their own request to be forgotten.
				if resp := b.login(p.email, newPassword); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("login after reset: %d", resp.StatusCode)
				}
				if resp, body := b.submit("/account/data/erase", "/account/data/erase", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusOK {
					t.Fatalf("erase: %d\n%s", resp.StatusCode, body)
				}

				// Every action left its entry, and the log still verifies.
				actions := []audit.Action{audit.AccountCreate, audit.AccountConfirm, audit.ProfileUpdate, audit.ConsentGive,
					audit.ConsentWithdraw, audit.ExportDownload, audit.StaffView, audit.AccountRestrict, audit.RequestCreate, audit.SessionLogout}
				if len(pol.Disclosures) > 0 {
					actions = append(actions, audit.DisclosureRecord)
				}
				for _, a := range actions {
					if l, _, err := s.Audit().List(ctx, audit.Filter{Action: a}, audit.Page{Limit: 1}); err != nil || len(l) == 0 {
						t.Errorf("no %s entry (%v)", a, err)
					}
				}
				erased := 0
				for _, a := range []audit.Action{audit.AccountErase, audit.AccountAnonymise} {
					l, _, _ := s.Audit().List(ctx, audit.Filter{Action: a}, audit.Page{Limit: 1})
					erased += len(l)
				}
				if erased != 1 {
					t.Errorf("%d erasure entries, want 1", erased)
				}
				testkit.AssertNoPersonalValues(t, s, append(p.values, p.password, newPassword)...)
				st.log.AssertNoValues(t, append(p.values, p.password, newPassword)...)
			})
		})
	}
}
