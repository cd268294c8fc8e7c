package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/account"
	"steward/internal/testkit"
	lmsout "steward/lms"
	"steward/store"
)

// TestStaffLMSFailedRows (issue 17): what the learning environment never
// confirmed is on a staff page the privacy officer reaches from the staff
// menu: an enrolment Moodle refused for good (its course unknown there)
// in words — the course by its title, a link to the person's record, the
// attempts, when the last failed, Moodle's error code and no personal
// value. Support staff neither see nor open it; a site without an LMS has
// no such page (both stores).
func TestStaffLMSFailedRows(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		importCourses(t, st, "ivm")
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		if _, body := officer.get("/staff/lms"); strings.Contains(body, `id="lms-failed"`) || !strings.Contains(body, "niets op te volgen") {
			t.Fatalf("/staff/lms before anything failed:\n%s", mainOf(t, body))
		}

		anna := st.loggedInPerson("anna@example.org")
		fillLMSAccount(t, anna)
		if resp, _ := anna.submit("/courses/medicatiebewaking", "/courses/medicatiebewaking/enrol", url.Values{}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("enrol: %d", resp.StatusCode)
		}
		moodle := testkit.NewMoodle(t) // without course 42: Moodle refuses the enrolment
		svc := st.wired(t)
		d := lmsout.NewDispatcher(s, lmsout.NewClient(lmsout.Config{URL: moodle.URL, Token: moodle.Token}, nil), svc.LMSValues, st.clock, svc.Audit, lmsout.Options{})
		if r, err := d.DeliverDue(ctx); err != nil || r.Failed != 1 {
			t.Fatalf("deliver: %+v %v", r, err)
		}

		if _, home := officer.get("/staff/"); !strings.Contains(home, `href="/staff/lms"`) {
			t.Fatal("the staff menu does not link the LMS page for a privacy officer")
		}
		resp, body := officer.get("/staff/lms")
		main := mainOf(t, body)
		id := personID(t, s, "anna@example.org")
		if resp.StatusCode != http.StatusOK || !strings.Contains(main, "Inschrijving voor Medicatiebewaking") || !strings.Contains(main, `href="/staff/people/`+id+`"`) ||
			!strings.Contains(main, "<td>1</td>") || !strings.Contains(main, "<code>moodle: invalid_parameter_exception: invalidparameter</code>") ||
			!strings.Contains(main, "24 november 2026") {
			t.Fatalf("/staff/lms: %d\n%s", resp.StatusCode, main)
		}
		for _, never := range []string{"anna", "de Vries", "19012345601"} {
			if strings.Contains(strings.ToLower(main), strings.ToLower(never)) {
				t.Errorf("/staff/lms shows %q", never)
			}
		}
		if _, home := support.get("/staff/"); strings.Contains(home, `href="/staff/lms"`) {
			t.Error("the staff menu links the LMS page for support")
		}
		if resp, _ := support.get("/staff/lms"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("support opens /staff/lms: %d, want 403", resp.StatusCode)
		}

		zi := newSite(t, testkit.SQLite(t), "zorginspirator")
		ziOfficer := staffBrowser(t, zi, "officer@example.org", account.RolePrivacyOfficer)
		if resp, home := ziOfficer.get("/staff/lms"); resp.StatusCode != http.StatusNotFound || strings.Contains(home, `href="/staff/lms"`) {
			t.Errorf("a site without an LMS: /staff/lms %d, linked %v", resp.StatusCode, strings.Contains(home, `href="/staff/lms"`))
		}
	})
}
