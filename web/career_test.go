package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"steward/audit"
	"steward/internal/testkit"
	"steward/rights"
	"steward/store"
)

// TestCareerProfileHistory (issue 18 item 5, Z2): a person keeps their job
// and education history as repeatable items on /account/career (in the
// menu) and through the API; each is a record of the policy's kind with
// only its declared fields (audited record.create/update/delete, field
// names only). Dates in the wrong order, text over its length, a choice
// outside the list and a field the policy does not declare are clear 400s
// in nl and en, and nothing is stored. My data and the export show the
// items with their deletion date. The sign-up form no longer asks a free
// text history. Both stores.
func TestCareerProfileHistory(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "zorginspirator")
		b := st.browser()
		if _, signup := b.get("/signup"); strings.Contains(signup, "profile.job_history") || strings.Contains(signup, "profile.education_history") {
			t.Errorf("the sign-up form still asks a free-text history")
		}
		zorgSignUpAndConfirm(t, st, b, "anna@example.org")
		if resp := b.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		id := personID(t, s, "anna@example.org")
		if _, home := b.get("/"); !strings.Contains(home, `href="/account/career"`) {
			t.Errorf("the menu has no link to the career profile")
		}
		resp, page := b.get("/account/career")
		if resp.StatusCode != 200 || !strings.Contains(page, "Functiegeschiedenis") || !strings.Contains(page, "Opleidingsgeschiedenis") {
			t.Fatalf("/account/career: %d\n%s", resp.StatusCode, page)
		}
		count := func(kind string) int {
			return countRows(t, s, `SELECT COUNT(*) FROM records WHERE subject_id = $1 AND kind = $2`, id, kind)
		}
		since := testkit.AuditHead(t, s)
		job := url.Values{"job_history.role": {"Verzorgende IG"}, "job_history.organisation_type": {"ouderenzorg"},
			"job_history.from": {"2019-03-01"}, "job_history.to": {"2023-06-30"}}
		if resp, body := b.submit("/account/career", "/account/career/job_history", job); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add a job: %d\n%s", resp.StatusCode, body)
		}
		edu := url.Values{"education_history.course": {"Verzorgende IG"}, "education_history.institution": {"ROC Midden Nederland"},
			"education_history.level": {"mbo3"}, "education_history.year": {"2018"}}
		if resp, body := b.submit("/account/career", "/account/career/education_history", edu); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add an education: %d\n%s", resp.StatusCode, body)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.RecordCreate, ObjectKind: "job_history"}, testkit.AuditWant{Action: audit.RecordCreate, ObjectKind: "education_history"})
		for _, bad := range []struct {
			name, kind string
			form       url.Values
			nl, en     string
		}{
			{"dates in the wrong order", "job_history", url.Values{"job_history.role": {"Helpende"}, "job_history.from": {"2020-01-01"}, "job_history.to": {"2019-12-31"}}, "ligt vóór de datum Van", "is before the From date"},
			{"a date that does not exist", "job_history", url.Values{"job_history.role": {"Helpende"}, "job_history.from": {"2020-02-30"}}, "Van:", "From:"},
			{"text too long", "job_history", url.Values{"job_history.role": {strings.Repeat("a", 201)}}, "hoogstens 200 tekens", "200 characters"},
			{"no role", "job_history", url.Values{"job_history.organisation_type": {"ggz"}}, "Functie:", "Job:"},
			{"a choice outside the list", "job_history", url.Values{"job_history.role": {"Helpende"}, "job_history.organisation_type": {"bakkerij"}}, "Soort organisatie:", "Kind of organisation:"},
			{"an undeclared field", "education_history", url.Values{"education_history.course": {"Hbo-V"}, "education_history.grade": {"9"}}, "grade", "grade"},
			{"a year out of bounds", "education_history", url.Values{"education_history.course": {"Hbo-V"}, "education_history.year": {"1900"}}, "Jaar van afronding:", "Year completed:"},
		} {
			resp, body := b.submit("/account/career", "/account/career/"+bad.kind, bad.form)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, bad.nl) || !strings.Contains(body, "error-summary") {
				t.Errorf("%s: %d\n%s", bad.name, resp.StatusCode, mainOf(t, body))
			}
			resp, body = b.submit("/account/career?lang=en", "/account/career/"+bad.kind+"?lang=en", bad.form)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, bad.en) {
				t.Errorf("%s in English: %d\n%s", bad.name, resp.StatusCode, mainOf(t, body))
			}
		}
		if count("job_history") != 1 || count("education_history") != 1 {
			t.Fatalf("bad input stored something: %d jobs, %d educations", count("job_history"), count("education_history"))
		}
		var jobID int64
		s.Read().QueryRowContext(t.Context(), `SELECT id FROM records WHERE subject_id = $1 AND kind = 'job_history'`, id).Scan(&jobID)
		jobPath := "/account/career/job_history/" + strconv.FormatInt(jobID, 10)
		// Still working there: the end date emptied.
		job.Set("job_history.to", "")
		job.Set("action", "save")
		since = testkit.AuditHead(t, s)
		if resp, body := b.submit("/account/career", jobPath, job); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("change a job: %d\n%s", resp.StatusCode, body)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.RecordUpdate, ObjectKind: "job_history", ObjectID: strconv.FormatInt(jobID, 10)})
		if n := countRows(t, s, `SELECT COUNT(*) FROM record_values WHERE record_id = $1 AND field = 'to'`, jobID); n != 0 {
			t.Errorf("the emptied end date is still stored")
		}
		bad := url.Values{"job_history.role": {"Verzorgende IG"}, "job_history.from": {"2019-03-01"}, "job_history.to": {"2018-01-01"}}
		if resp, _ := b.submit("/account/career", jobPath, bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a change with dates in the wrong order: %d", resp.StatusCode)
		}
		// My data and the export.
		_, body := b.get("/account/data")
		for _, want := range []string{`id="kind-job_history"`, `id="kind-education_history"`, "Verzorgende IG", "ROC Midden Nederland", "2029"} {
			if !strings.Contains(body, want) {
				t.Errorf("My data lacks %q", want)
			}
		}
		_, zipped := b.get("/account/data/export")
		files := unzip(t, zipped)
		if !strings.Contains(files[rights.CSVName("job_history")], "Verzorgende IG") || !strings.Contains(files[rights.CSVName("education_history")], "ROC Midden Nederland") ||
			!strings.Contains(files[rights.ExportDataFile], `"job_history"`) {
			t.Errorf("the export lacks the history: %v\n%s", files[rights.CSVName("job_history")], files[rights.CSVName("education_history")])
		}
		// The API: read, add, refuse, remove.
		token := apiLogin(t, b, "anna@example.org", "correct horse battery")
		resp, out := b.api("GET", "/api/v1/me/career", token, "")
		if jobs, _ := out["job_history"].([]any); resp.StatusCode != 200 || len(jobs) != 1 {
			t.Fatalf("GET career: %d %v", resp.StatusCode, out)
		}
		resp, out = b.api("POST", "/api/v1/me/career/job_history", token, `{"values":{"role":"Helpende","from":"2024-05-01","to":"2024-01-01"}}`)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(strings.ToLower(errField(out)), "to") {
			t.Errorf("API dates in the wrong order: %d %v", resp.StatusCode, out)
		}
		resp, out = b.api("POST", "/api/v1/me/career/job_history", token, `{"values":{"role":"Helpende","from":"2024-01-01"}}`)
		newID, _ := out["id"].(float64)
		if resp.StatusCode != http.StatusCreated || newID == 0 || count("job_history") != 2 {
			t.Fatalf("API add: %d %v", resp.StatusCode, out)
		}
		if resp, _ := b.api("POST", "/api/v1/me/career/hobbies", token, `{"values":{"role":"x"}}`); resp.StatusCode != http.StatusNotFound {
			t.Errorf("API an unknown kind: %d", resp.StatusCode)
		}
		if resp, _ := b.api("DELETE", "/api/v1/me/career/job_history/"+strconv.Itoa(int(newID)), token, ""); resp.StatusCode != http.StatusNoContent || count("job_history") != 1 {
			t.Errorf("API remove: %d", resp.StatusCode)
		}
		// Removing through the page; another person cannot touch it.
		other := st.browser()
		zorgSignUpAndConfirm(t, st, other, "piet@example.org")
		other.login("piet@example.org", "correct horse battery")
		if resp, _ := other.submit("/account/career", jobPath, url.Values{"action": {"remove"}}); resp.StatusCode != http.StatusNotFound || count("job_history") != 1 {
			t.Errorf("another person removes the job: %d", resp.StatusCode)
		}
		if resp, _ := b.submit("/account/career", jobPath, url.Values{"action": {"remove"}}); resp.StatusCode != http.StatusSeeOther || count("job_history") != 0 {
			t.Errorf("remove: %d, %d left", resp.StatusCode, count("job_history"))
		}
	})
}

// apiLogin logs in through the API and returns the bearer token.
func apiLogin(t *testing.T, b *browser, email, password string) string {
	t.Helper()
	resp, body := b.api("POST", "/api/v1/login", "", `{"email":"`+email+`","password":"`+password+`"}`)
	token, _ := body["token"].(string)
	if resp.StatusCode != 200 || token == "" {
		t.Fatalf("API login: %d %v", resp.StatusCode, body)
	}
	return token
}

func errField(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}
