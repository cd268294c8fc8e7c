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

// TestStaffRectification (issue 13, Art. 16): completing a rectification
// request mails "we have corrected your data", so the request page offers
// a privacy officer the person's record to correct, and refuses to
// complete the request until something was corrected. A value the
// profile's rules refuse, or an edit that changes nothing, shows the form
// again with the error and changes nothing; the BIG number stays masked
// and kept when left as it is. The edit is audited by the officer with
// field names only, and the officer's view of the record is recorded.
func TestStaffRectification(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		b := st.loggedInPerson("anna@example.org")
		if resp, _ := b.submit("/account", "/account", url.Values{"lms_account.register_number": {"12345678901"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("store a BIG number: %d", resp.StatusCode)
		}
		if resp, _ := b.submit("/account/data", "/account/data/requests", url.Values{"type": {"rectification"}, "details": {"my surname is Visser"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("request: %d", resp.StatusCode)
		}
		person, err := s.AccountByEmail(ctx, "anna@example.org")
		if err != nil {
			t.Fatal(err)
		}
		reqs, err := s.RequestsOf(ctx, person.ID)
		if err != nil || len(reqs) != 1 {
			t.Fatalf("requests of the person: %v %v", reqs, err)
		}
		id := reqs[0].ID
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		po := staffID(t, s, "officer@example.org")
		reqPage := "/staff/requests/" + id
		rectify := reqPage + "/rectify"

		// Completing before a correction is refused.
		resp, _ := officer.submit(reqPage, reqPage+"/complete", url.Values{"outcome": {"corrected"}})
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("complete before a correction: %d, want 409", resp.StatusCode)
		}
		_, page := officer.get(reqPage)
		if !strings.Contains(page, `href="`+rectify+`"`) {
			t.Fatalf("the request page offers no correction:\n%s", page)
		}

		// The form: the record's values, the BIG number masked.
		since := testkit.AuditHead(t, s)
		_, form := officer.get(rectify)
		if !strings.Contains(form, `value="de Vries"`) || !strings.Contains(form, "*******8901") || strings.Contains(form, "12345678901") ||
			strings.Contains(form, `name="account.email"`) || !strings.Contains(form, "my surname is Visser") {
			t.Fatalf("rectification form:\n%s", form)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.StaffView, Actor: po, ObjectID: person.ID})
		fill := func(lastName, big string) url.Values {
			return url.Values{"account.first_name": {"Anna"}, "account.last_name": {lastName}, "account.organisation": {"Apotheek Noord"},
				"account.job_title": {"apotheker"}, "account.sector": {"zorg"}, "lms_account.register_number": {big}}
		}

		// Refused edits: the form again, the error shown, nothing stored.
		for name, tc := range map[string]struct {
			form url.Values
			says string
		}{
			"too long":        {fill(strings.Repeat("V", 101), "*******8901"), `id="f-account-last-name-error"`},
			"nothing changed": {fill("de Vries", "*******8901"), "geen enkel veld is gewijzigd"},
			"undeclared":      {url.Values{"account.shoe_size": {"44"}}, "account.shoe_size"},
		} {
			resp, page := officer.submit(rectify, rectify, tc.form)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, tc.says) || !strings.Contains(page, `id="rectify"`) {
				t.Errorf("%s: %d, want 400 with the form and %q:\n%s", name, resp.StatusCode, tc.says, page)
			}
		}
		since = testkit.AuditHead(t, s)
		resp, _ = officer.submit(rectify, rectify, fill("Visser", "*******8901"))
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != reqPage {
			t.Fatalf("correction: %d %q", resp.StatusCode, loc)
		}
		got, _ := s.Profile(ctx, person.ID, "account")
		big, _ := s.Profile(ctx, person.ID, "lms_account")
		if got["last_name"] != "Visser" || got["first_name"] != "Anna" || !account.IsSealed(big["register_number"]) {
			t.Fatalf("record after correction: %v %v", got, big)
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.StaffView, Actor: po, ObjectID: person.ID},
			testkit.AuditWant{Action: audit.ProfileUpdate, Actor: po, ObjectID: person.ID, Fields: []string{"account.last_name"}},
			testkit.AuditWant{Action: audit.RequestStep, Actor: po, ObjectID: id, Fields: []string{"rectified"}})
		if _, page := b.get("/account"); !strings.Contains(page, `value="Visser"`) || !strings.Contains(page, "*******8901") {
			t.Fatal("the person's profile does not show the correction")
		}

		// Now it can be completed; the timeline says what was corrected,
		// by the field's name, not its code (issue 13 item 10).
		if resp, _ := officer.submit(reqPage, reqPage+"/complete", url.Values{"outcome": {"surname corrected"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("complete after the correction: %d", resp.StatusCode)
		}
		_, page = officer.get(reqPage)
		if text := visibleText(t, page); !strings.Contains(text, "gegevens gecorrigeerd") || !strings.Contains(text, ": Achternaam") || strings.Contains(text, "account.last_name") {
			t.Fatalf("timeline lacks the correction:\n%s", page)
		}
		if resp, _ := officer.get(rectify); resp.StatusCode != http.StatusConflict {
			t.Fatalf("the form of a closed request: %d, want 409", resp.StatusCode)
		}
		testkit.AssertNoPersonalValues(t, s, "Visser", "de Vries", "12345678901")

		// Another person's role cannot reach the tool.
		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		if resp, _ := support.get(rectify); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("support: %d, want 403", resp.StatusCode)
		}
		d := testDesk(t, st, "ivm")
		other, err := d.Add(ctx, po, rights.NewRequest{SubjectID: person.ID, Type: rights.TypeAccess, Channel: rights.ChannelLetter, ReceivedOn: st.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if resp, _ := officer.get("/staff/requests/" + other.ID + "/rectify"); resp.StatusCode != http.StatusConflict {
			t.Fatalf("rectifying an access request: %d, want 409", resp.StatusCode)
		}
	})
}
