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
	"steward/internal/wiring"
	"steward/learning"
	"steward/policy"
	"steward/store"
)

// importCourses loads a small catalogue into the site: a free course
// with points, a paid one and a hidden one.
func importCourses(t testing.TB, st *site, policyName string) {
	t.Helper()
	svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, policyName), Store: st.store, Clock: st.clock})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Learning.Import(context.Background(), audit.Staff("a-po"), []learning.Course{
		{Slug: "medicatiebewaking", Title: policy.Text{NL: "Medicatiebewaking", EN: "Medication monitoring"},
			Description: policy.Text{NL: "Leer de bewaking van medicatie.", EN: "Learn to monitor medication."}, LMSCourseID: "42",
			Points: []learning.Points{{Register: "knmp", Points: 2}}, Published: true},
		{Slug: "polyfarmacie", Title: policy.Text{NL: "Polyfarmacie", EN: "Polypharmacy"}, PriceCents: 124950, Published: true},
		{Slug: "concept", Title: policy.Text{NL: "Conceptcursus", EN: "Draft course"}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCoursePagesAndFreeEnrolment (issue 16, R5): IVM's /courses lists
// the published courses in nl and en, linked from the home page and the
// menu; a course page shows its price in the reader's language; a visitor
// is asked to log in; a person enrols in the free course by clicking and
// sees it on the page and in My data with its deletion date in words;
// the paid course says ordering comes later and refuses an enrolment; a
// hidden or unknown course is not found; a second enrolment and a form
// without its token change nothing. Staff see the catalogue with counts.
// Zorginspirator has no courses: every course route is not found there
// (both stores).
func TestCoursePagesAndFreeEnrolment(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		importCourses(t, st, "ivm")
		visitor := st.browser()
		_, home := visitor.get("/")
		if !strings.Contains(home, `href="/courses"`) {
			t.Fatal("the home page does not link the courses")
		}
		_, list := visitor.get("/courses")
		if !strings.Contains(list, "Medicatiebewaking") || !strings.Contains(list, "Gratis") || !strings.Contains(list, "€ 1.249,50") ||
			!strings.Contains(list, "2 accreditatiepunten (KNMP)") || strings.Contains(list, "Conceptcursus") {
			t.Fatalf("/courses:\n%s", mainOf(t, list))
		}
		if _, en := visitor.get("/courses?lang=en"); !strings.Contains(en, "Medication monitoring") || !strings.Contains(en, "€1,249.50") || !strings.Contains(en, "Free") {
			t.Fatalf("/courses?lang=en:\n%s", mainOf(t, en))
		}
		for _, path := range []string{"/courses/concept", "/courses/no-such-course"} {
			if resp, _ := visitor.get(path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, resp.StatusCode)
			}
		}
		_, page := visitor.get("/courses/medicatiebewaking")
		if !strings.Contains(page, `href="/login?next=%2Fcourses%2Fmedicatiebewaking"`) {
			t.Fatalf("a visitor is not asked to log in:\n%s", mainOf(t, page))
		}

		anna := st.loggedInPerson("anna@example.org")
		id := personID(t, s, "anna@example.org")
		if resp, _ := anna.post("/courses/medicatiebewaking/enrol", url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("an enrolment without the form's token: %d, want 403", resp.StatusCode)
		}
		_, paid := anna.get("/courses/polyfarmacie?lang=en")
		if !strings.Contains(paid, "€1,249.50") || !strings.Contains(paid, "Ordering it online is not possible yet") || strings.Contains(mainOf(t, paid), "/enrol") {
			t.Fatalf("the paid course:\n%s", mainOf(t, paid))
		}
		if resp, _ := anna.submit("/courses/medicatiebewaking", "/courses/polyfarmacie/enrol", url.Values{}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("enrolling in the paid course: %d, want 409", resp.StatusCode)
		}
		if recs, _ := s.RecordsOf(ctx, id); len(recs) != 0 {
			t.Fatalf("refused enrolments stored %+v", recs)
		}
		resp, _ := anna.submit("/courses/medicatiebewaking", "/courses/medicatiebewaking/enrol", url.Values{})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/courses/medicatiebewaking?done=enrolled" {
			t.Fatalf("enrol: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, enrolled := anna.get("/courses/medicatiebewaking?done=enrolled")
		if !strings.Contains(enrolled, "Je bent ingeschreven") || !strings.Contains(enrolled, "24 november 2026") || strings.Contains(mainOf(t, enrolled), "/enrol") {
			t.Fatalf("the course page after enrolling:\n%s", mainOf(t, enrolled))
		}
		if resp, _ := anna.post("/courses/medicatiebewaking/enrol", url.Values{"csrf": {anna.csrf("/account")}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("a second enrolment: %d, want 409", resp.StatusCode)
		}
		// My data names the course by its title in the reader's language,
		// never by its slug (issue 13 item 10: no raw codes); the JSON
		// keeps the stored slug, what is held.
		_, data := anna.get("/account/data")
		if text := visibleText(t, data); !strings.Contains(text, "Inschrijving voor een cursus") || !strings.Contains(data, "<td>Medicatiebewaking</td>") ||
			strings.Contains(text, "medicatiebewaking") || !strings.Contains(text, "24 november 2027") {
			t.Fatalf("My data lacks the enrolment, its course's title or its deletion date:\n%s", mainOf(t, data))
		}
		if _, en := anna.get("/account/data?lang=en"); !strings.Contains(en, "<td>Medication monitoring</td>") || strings.Contains(visibleText(t, en), "medicatiebewaking") {
			t.Fatalf("My data in English does not name the course by its title:\n%s", mainOf(t, en))
		}
		if _, js := anna.get("/api/v1/me/data"); !strings.Contains(js, `"course":"medicatiebewaking"`) || strings.Contains(js, "Medication monitoring") {
			t.Fatalf("the JSON does not keep the stored slug:\n%s", js)
		}

		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		_, staffPage := support.get("/staff/courses")
		if !strings.Contains(staffPage, `href="/staff/courses"`) || !strings.Contains(staffPage, "Conceptcursus") || !strings.Contains(staffPage, "<td>1</td>") {
			t.Fatalf("the staff catalogue:\n%s", mainOf(t, staffPage))
		}
		testkit.AssertNoPersonalValues(t, s, "anna@example.org")

		zi := newSite(t, testkit.SQLite(t), "zorginspirator")
		zb := zi.browser()
		for _, path := range []string{"/courses", "/courses/medicatiebewaking", "/staff/courses"} {
			if resp, _ := zb.get(path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("zorginspirator %s: %d, want 404", path, resp.StatusCode)
			}
		}
		if _, zhome := zb.get("/"); strings.Contains(zhome, "/courses") {
			t.Error("zorginspirator links courses")
		}
	})
}
