package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/accreditation"
	accservice "steward/accreditation/service"
	"steward/apikey"
	"steward/audit"
	"steward/internal/testkit"
	"steward/internal/wiring"
	learnservice "steward/learning/service"
	"steward/store"
	"steward/xapi"
)

// lms is the learning environment as an xAPI client of the site.
type lms struct {
	t            testing.TB
	base         string
	user, secret string
}

// post sends body to /xapi/statements with the key, the version header
// and JSON, and returns the status and the body.
func (c *lms) send(method, query, body string, edit ...func(*http.Request)) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+"/xapi/statements"+query, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.SetBasicAuth(c.user, c.secret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "application/json")
	for _, f := range edit {
		f(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v := resp.Header.Get("X-Experience-API-Version"); v != "1.0.3" {
		c.t.Errorf("%s: X-Experience-API-Version %q, want 1.0.3", method, v)
	}
	return resp.StatusCode, string(b)
}

// statement is an xAPI statement about the LMS account lmsID.
func statement(id, homePage string, lmsID int64, verb, activity, result string) string {
	idPart := ""
	if id != "" {
		idPart = fmt.Sprintf(`"id": %q, `, id)
	}
	if result != "" {
		result = `, "result": ` + result
	}
	return fmt.Sprintf(`{%s"actor": {"objectType": "Agent", "account": {"homePage": %q, "name": "%d"}},
		"verb": {"id": "http://adlnet.gov/expapi/verbs/%s", "display": {"en-US": %q}},
		"object": {"objectType": "Activity", "id": %q},
		"timestamp": "2026-11-23T14:05:00Z"%s}`, idPart, homePage, lmsID, verb, verb, activity, result)
}

// xapiSite is an IVM site with the course catalogue, a person enrolled in
// the accredited course (so with an LMS account record), and an xAPI key
// for Avetica.
type xapiSite struct {
	*site
	svc     *wiring.Services
	client  *lms
	person  string
	anna    *browser
	lmsID   int64
	keyID   string
	moodle  string // the accredited course's activity id, as Moodle names it
	ownPage string // the same course by Steward's own page
}

func newXAPISite(t testing.TB, s *store.Store) *xapiSite {
	t.Helper()
	ctx := context.Background()
	st := newSite(t, s, "ivm")
	importCourses(t, st, "ivm")
	anna := st.loggedInPerson("anna@example.org")
	svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, "ivm"), Store: s, Clock: st.clock, BaseURL: st.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := s.AccountByEmail(ctx, "anna@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Learning.Enrol(ctx, acct, "medicatiebewaking", learnservice.Source{Kind: learnservice.Free}); err != nil {
		t.Fatal(err)
	}
	x := &xapiSite{site: st, svc: svc, person: acct.ID, anna: anna, moodle: "https://moodle-nascholing.example/course/view.php?id=42",
		ownPage: st.srv.URL + "/courses/medicatiebewaking"}
	recs, _ := s.RecordsOf(ctx, acct.ID)
	for _, r := range recs {
		if r.Kind == "lms_account" {
			x.lmsID = r.ID
		}
	}
	if x.lmsID == 0 {
		t.Fatal("the enrolment made no LMS account record")
	}
	key, err := svc.APIKeys.Create(ctx, audit.Staff("a-po"), "avetica", apikey.ScopeXAPI, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	x.keyID = key.Key.ID
	x.client = &lms{t: t, base: st.srv.URL, user: key.Key.ID, secret: key.Secret}
	return x
}

// records returns the person's records of kind.
func (x *xapiSite) records(kind string) []store.Record {
	x.t.Helper()
	return testkit.RecordsOfKind(x.t, x.store, x.person, kind)
}

// TestXAPIStatementsStoreLearningResults (issue 16 item 4, R8): the LMS
// posts a passing statement with its key through the real handler; the
// person gets a learning_result record with only the policy's fields
// (course by slug, score 0–100, passed, completed_at) and, the course
// being accredited, one accreditation record with its points; the answer
// is the array of ids. Sending it again changes nothing (200, same id);
// the same id with other content is a 409; a PUT stores under the query's
// id (204); a batch is stored whole; Steward's own course URL names a
// course too; a statement without an id gets one. Audit entries carry ids
// and field names only (both stores).
func TestXAPIStatementsStoreLearningResults(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		x := newXAPISite(t, s)
		id := "3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5e"
		pass := statement(id, x.srv.URL, x.lmsID, "passed", x.moodle, `{"score": {"scaled": 0.834}, "success": true, "completion": true}`)
		code, body := x.client.send("POST", "", pass)
		if code != http.StatusOK || body != `["`+id+`"]`+"\n" {
			t.Fatalf("POST: %d %s", code, body)
		}
		res := x.records("learning_result")
		if len(res) != 1 {
			t.Fatalf("learning results %+v", res)
		}
		want := map[string]string{"course": "medicatiebewaking", "score": "83", "passed": "true", "completed_at": "2026-11-23"}
		if fmt.Sprint(res[0].Values) != fmt.Sprint(want) {
			t.Fatalf("learning result values %v, want %v", res[0].Values, want)
		}
		acc := x.records("accreditation")
		if len(acc) != 1 || fmt.Sprint(acc[0].Values) != fmt.Sprint(map[string]string{"course": "medicatiebewaking", "points": "2", "completed_at": "2026-11-23"}) {
			t.Fatalf("accreditation %+v", acc)
		}
		// The same statement again: a no-op, the same answer.
		if code, body := x.client.send("POST", "", pass); code != http.StatusOK || !strings.Contains(body, id) || len(x.records("learning_result")) != 1 {
			t.Fatalf("the same statement again: %d %s", code, body)
		}
		// The same id with other content: 409, nothing stored.
		other := statement(id, x.srv.URL, x.lmsID, "failed", x.moodle, `{"score": {"raw": 3, "min": 0, "max": 10}}`)
		if code, body := x.client.send("POST", "", other); code != http.StatusConflict || !strings.Contains(body, `"code":"conflict"`) {
			t.Fatalf("same id, other content: %d %s", code, body)
		}
		// PUT with the id in the query; the course by Steward's own page.
		putID := "a1b2c3d4-0000-4000-8000-00000000000a"
		if code, body := x.client.send("PUT", "?statementId="+putID, statement("", x.srv.URL, x.lmsID, "scored", x.ownPage, `{"score": {"raw": 7, "min": 0, "max": 10}}`)); code != http.StatusNoContent {
			t.Fatalf("PUT: %d %s", code, body)
		}
		// A batch without ids: new ids, both stored, one accreditation still.
		batch := "[" + statement("", x.srv.URL, x.lmsID, "completed", x.moodle, `{"success": true}`) + "," +
			statement("", x.srv.URL, x.lmsID, "failed", x.ownPage, `{"score": {"scaled": 0.2}}`) + "]"
		code, body = x.client.send("POST", "", batch)
		var ids []string
		if code != http.StatusOK || json.Unmarshal([]byte(body), &ids) != nil || len(ids) != 2 || ids[0] == ids[1] {
			t.Fatalf("batch: %d %s", code, body)
		}
		res = x.records("learning_result")
		if len(res) != 4 || len(x.records("accreditation")) != 1 {
			t.Fatalf("after the batch: %d results, %d accreditations", len(res), len(x.records("accreditation")))
		}
		if v := res[1].Values; v["score"] != "70" || v["passed"] != "" || v["completed_at"] != "" {
			t.Fatalf("a scored statement stored %v", v)
		}
		if v := res[3].Values; v["passed"] != "false" || v["score"] != "20" {
			t.Fatalf("a failed statement stored %v", v)
		}
		entries := testkit.AuditSince(t, s, 0)
		var results, accs int
		for _, e := range entries {
			switch e.Action {
			case audit.LearningResultCreate:
				results++
				if e.Actor != audit.System("xapi."+x.keyID) || e.Subject == "" {
					t.Errorf("learning result entry %+v", e)
				}
			case audit.AccreditationCreate:
				accs++
			}
		}
		if results != 4 || accs != 1 {
			t.Fatalf("%d learning_result.create and %d accreditation.create entries, want 4 and 1", results, accs)
		}
		testkit.AssertNoPersonalValues(t, s, "anna@example.org")
	})
}

// TestXAPIConcurrentRequestsAnsweredEachOnTheirOwn (issue 16): sixteen
// requests at once, as a learning environment's workers send them, are
// stored together where they overlap (xapi/service's combiner), and each
// gets the answer it would have got alone: twelve new statements 200, two
// naming an unknown course 400, two reusing a stored statement's id with
// other content 409. Exactly the twelve are stored, each with its audit
// entry (both stores, and under -race in test.sh).
func TestXAPIConcurrentRequestsAnsweredEachOnTheirOwn(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		x := newXAPISite(t, s)
		stored := "5c0ffee0-0d6a-4c5e-9f0e-6a1d2b3c4d5e"
		if code, body := x.client.send("POST", "", statement(stored, x.srv.URL, x.lmsID, "scored", x.moodle, `{"score": {"scaled": 0.5}}`)); code != http.StatusOK {
			t.Fatalf("first statement: %d %s", code, body)
		}
		since := testkit.AuditHead(t, s)
		type req struct {
			body string
			want int
		}
		var reqs []req
		for range 12 {
			reqs = append(reqs, req{statement(xapi.NewID(), x.srv.URL, x.lmsID, "scored", x.moodle, `{"score": {"scaled": 0.75}}`), http.StatusOK})
		}
		for range 2 {
			reqs = append(reqs, req{statement(xapi.NewID(), x.srv.URL, x.lmsID, "scored", "https://moodle.example/course/view.php?id=999", ""), http.StatusBadRequest},
				req{statement(stored, x.srv.URL, x.lmsID, "failed", x.moodle, ""), http.StatusConflict})
		}
		got := make([]int, len(reqs))
		var wg sync.WaitGroup
		for i, r := range reqs {
			wg.Go(func() { got[i], _ = x.client.send("POST", "", r.body) })
		}
		wg.Wait()
		for i, r := range reqs {
			if got[i] != r.want {
				t.Errorf("request %d: %d, want %d", i, got[i], r.want)
			}
		}
		if n := len(x.records("learning_result")); n != 13 {
			t.Fatalf("%d learning results, want 13", n)
		}
		if n := len(testkit.AuditSince(t, s, since)); n != 12 {
			t.Fatalf("%d audit entries for the twelve, want 12", n)
		}
	})
}

// TestXAPIRefusesAndStoresNothing (issue 16 "Bad input"): each bad
// request gets its status and the API's JSON error body, and nothing is
// stored — a wrong, unknown, revoked or expired key (401 with a Basic
// challenge), a missing or wrong version header, malformed JSON, an
// unknown property, a statement id that is no UUID, an unknown verb, an
// actor by e-mail, an actor of another issuer, an unknown LMS account,
// an unknown course, a score out of range, a batch with one bad statement
// (nothing of it stored), a PUT without statementId — and an erased
// person is unknown (both stores).
func TestXAPIRefusesAndStoresNothing(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		x := newXAPISite(t, s)
		good := func(v string) string { return statement("", x.srv.URL, x.lmsID, v, x.moodle, `{"success": true}`) }
		cases := []struct {
			name   string
			method string
			query  string
			body   string
			edit   func(*http.Request)
			status int
			key    string
		}{
			{"no key", "POST", "", good("passed"), func(r *http.Request) { r.Header.Del("Authorization") }, 401, `"code":"unauthorized"`},
			{"wrong secret", "POST", "", good("passed"), func(r *http.Request) { r.SetBasicAuth(x.keyID, "nope") }, 401, `"code":"unauthorized"`},
			{"unknown key", "POST", "", good("passed"), func(r *http.Request) { r.SetBasicAuth("ak_0000000000000000", x.client.secret) }, 401, `"code":"unauthorized"`},
			{"no version", "POST", "", good("passed"), func(r *http.Request) { r.Header.Del("X-Experience-API-Version") }, 400, "header is required"},
			{"version 0.95", "POST", "", good("passed"), func(r *http.Request) { r.Header.Set("X-Experience-API-Version", "0.95") }, 400, "0.95 is not supported"},
			{"not json", "POST", "", good("passed"), func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415, "unsupported_media_type"},
			{"malformed", "POST", "", `{"actor": `, nil, 400, "is malformed"},
			{"unknown property", "POST", "", strings.Replace(good("passed"), `"verb"`, `"mood": 1, "verb"`, 1), nil, 400, "mood"},
			{"id not a uuid", "POST", "", strings.Replace(good("passed"), `{"actor"`, `{"id": "42", "actor"`, 1), nil, 400, "not a UUID"},
			{"unknown verb", "POST", "", good("attempted"), nil, 400, "attempted is not accepted"},
			{"actor by mbox", "POST", "", `{"actor": {"mbox": "mailto:anna@example.org"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}, "object": {"id": "` + x.moodle + `"}}`, nil, 400, "account"},
			{"other issuer", "POST", "", statement("", "https://elsewhere.example", x.lmsID, "passed", x.moodle, ""), nil, 400, "not a known person"},
			{"unknown lms account", "POST", "", statement("", x.srv.URL, x.lmsID+1000, "passed", x.moodle, ""), nil, 400, "not a known person"},
			{"unknown course", "POST", "", statement("", x.srv.URL, x.lmsID, "passed", "https://moodle-nascholing.example/course/view.php?id=9999", ""), nil, 400, "not a known course"},
			{"unknown activity form", "POST", "", statement("", x.srv.URL, x.lmsID, "passed", "https://moodle-nascholing.example/mod/quiz/view.php?id=3", ""), nil, 400, "not a known course"},
			{"score out of range", "POST", "", statement("", x.srv.URL, x.lmsID, "scored", x.moodle, `{"score": {"scaled": 1.5}}`), nil, 400, "out of range"},
			{"negative score", "POST", "", statement("", x.srv.URL, x.lmsID, "scored", x.moodle, `{"score": {"scaled": -0.5}}`), nil, 400, "out of range"},
			{"batch with one bad", "POST", "", "[" + good("passed") + "," + good("experienced") + "]", nil, 400, "Statement 1"},
			{"empty batch", "POST", "", "[]", nil, 400, "no statements"},
			{"put without id", "PUT", "", good("passed"), nil, 400, "statementId"},
			{"put array", "PUT", "?statementId=3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5f", "[" + good("passed") + "]", nil, 400, "not an array"},
		}
		for _, c := range cases {
			var edits []func(*http.Request)
			if c.edit != nil {
				edits = append(edits, c.edit)
			}
			code, body := x.client.send(c.method, c.query, c.body, edits...)
			if code != c.status || !strings.HasPrefix(body, `{"error":`) || !strings.Contains(body, c.key) {
				t.Errorf("%s: %d %s, want %d with %q", c.name, code, body, c.status, c.key)
			}
		}
		if n := len(x.records("learning_result")) + len(x.records("accreditation")); n != 0 {
			t.Fatalf("refused statements stored %d records", n)
		}
		req, _ := http.NewRequest("POST", x.srv.URL+"/xapi/statements", strings.NewReader("[]"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
			t.Fatalf("no key: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}

		// A rotated key's old secret, then a revoked key, then an expired one.
		rot, err := x.svc.APIKeys.Rotate(ctx, audit.Staff("a-po"), x.keyID)
		if err != nil {
			t.Fatal(err)
		}
		if code, _ := x.client.send("POST", "", good("passed")); code != 401 {
			t.Fatalf("the old secret after rotation: %d, want 401", code)
		}
		x.client.secret = rot.Secret
		if _, err := x.svc.APIKeys.Revoke(ctx, audit.Staff("a-po"), x.keyID); err != nil {
			t.Fatal(err)
		}
		if code, _ := x.client.send("POST", "", good("passed")); code != 401 {
			t.Fatalf("a revoked key: %d, want 401", code)
		}
		exp, err := x.svc.APIKeys.Create(ctx, audit.Staff("a-po"), "avetica", apikey.ScopeXAPI, x.clock.Now().Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		x.client.user, x.client.secret = exp.Key.ID, exp.Secret
		x.clock.Advance(25 * time.Hour)
		if code, _ := x.client.send("POST", "", good("passed")); code != 401 {
			t.Fatalf("an expired key: %d, want 401", code)
		}
		if n := len(x.records("learning_result")); n != 0 {
			t.Fatalf("refused keys stored %d results", n)
		}
		if _, err := x.svc.APIKeys.Create(ctx, audit.Staff("a-po"), "google", apikey.ScopeXAPI, time.Time{}); err == nil {
			t.Fatal("a key for a processor not declared for learning results")
		}

		// An erased person is unknown: nothing stored for them.
		fresh, err := x.svc.APIKeys.Create(ctx, audit.Staff("a-po"), "avetica", apikey.ScopeXAPI, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		x.client.user, x.client.secret = fresh.Key.ID, fresh.Secret
		anna, _ := s.AccountByEmail(ctx, "anna@example.org")
		if _, err := x.svc.Desk.Erase(ctx, anna.ID, audit.Staff("a-po")); err != nil {
			t.Fatal(err)
		}
		if code, body := x.client.send("POST", "", good("passed")); code != 400 || !strings.Contains(body, "not a known person") {
			t.Fatalf("a statement about an erased person: %d %s", code, body)
		}
		if n := len(x.records("learning_result")); n != 0 {
			t.Fatalf("an erased person got %d results", n)
		}
	})
}

// TestXAPIKeyChangedElsewhereIsRefusedAtOnce (issue 16): the server lets
// a key it has let in before in from memory, without a read; a rotation
// or revocation by another process (here another set of services on the
// same database) still stops it at the very next request — 401 with the
// Basic challenge, nothing stored — whether that request is good or
// malformed, and the new secret of a rotated key works (both stores).
func TestXAPIKeyChangedElsewhereIsRefusedAtOnce(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		x := newXAPISite(t, s)
		good := func() string {
			return statement(xapi.NewID(), x.srv.URL, x.lmsID, "scored", x.moodle, `{"score": {"scaled": 0.5}}`)
		}
		refused := func(what string) {
			t.Helper()
			for _, body := range []string{good(), `{"actor": `} {
				code, answer := x.client.send("POST", "", body)
				if code != http.StatusUnauthorized || !strings.Contains(answer, `"code":"unauthorized"`) {
					t.Errorf("%s, body %.20q: %d %s, want 401", what, body, code, answer)
				}
			}
		}
		for range 2 {
			if code, body := x.client.send("POST", "", good()); code != http.StatusOK {
				t.Fatalf("a working key: %d %s", code, body)
			}
		}
		rot, err := x.svc.APIKeys.Rotate(ctx, audit.Staff("a-po"), x.keyID)
		if err != nil {
			t.Fatal(err)
		}
		refused("the old secret after a rotation elsewhere")
		x.client.secret = rot.Secret
		for range 2 {
			if code, body := x.client.send("POST", "", good()); code != http.StatusOK {
				t.Fatalf("the new secret: %d %s", code, body)
			}
		}
		if _, err := x.svc.APIKeys.Revoke(ctx, audit.Staff("a-po"), x.keyID); err != nil {
			t.Fatal(err)
		}
		refused("a key revoked elsewhere")
		if n := len(x.records("learning_result")); n != 4 {
			t.Fatalf("%d learning results, want the 4 sent with a working key", n)
		}
	})
}

// TestXAPIResultsInMyDataExportAndErasure (issue 16 items 4, 6, 8): a
// passing statement's learning result and accreditation show in the
// person's My data and JSON with the course's title and their deletion
// date; the accreditation export to PE-online writes their register
// number (sealed at rest, opened with the site's data key) and the
// transfer shows in My data as a disclosure to PE-online with the
// accreditation's reported_at; erasing the account deletes both records
// and unlinks the disclosure (both stores).
func TestXAPIResultsInMyDataExportAndErasure(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		x := newXAPISite(t, s)
		if resp, _ := x.anna.submit("/account", "/account", url.Values{"lms_account.register_number": {"12345678901"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("saving the register number: %d", resp.StatusCode)
		}
		if code, body := x.client.send("POST", "", statement("", x.srv.URL, x.lmsID, "passed", x.moodle, `{"score": {"scaled": 0.9}}`)); code != 200 {
			t.Fatalf("POST: %d %s", code, body)
		}
		var file bytes.Buffer
		res, err := x.svc.Accreditation.Export(ctx, audit.Staff("a-po"), accservice.Options{Recipient: "pe_online", Register: "knmp",
			Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Prefix: accreditation.DefaultPrefix}, x.sealer.OpenField,
			func(rows []accreditation.Row) error { return accreditation.Write(&file, rows) })
		if err != nil || res.Rows != 1 || !strings.Contains(file.String(), "BIG-12345678901,medicatiebewaking,42,2,2026-11-23") {
			t.Fatalf("export %+v %v:\n%s", res, err, file.String())
		}
		_, data := x.anna.get("/account/data")
		text := visibleText(t, data)
		for _, want := range []string{"Leerresultaat", "Accreditatiepunten", "Medicatiebewaking", "PE-online", "Datum doorgegeven aan PE-online"} {
			if !strings.Contains(text, want) {
				t.Errorf("My data lacks %q", want)
			}
		}
		if strings.Contains(text, "12345678901") {
			t.Error("My data shows the register number unmasked")
		}
		_, js := x.anna.get("/api/v1/me/data")
		for _, want := range []string{`"kind":"learning_result"`, `"kind":"accreditation"`, `"score":"90"`, `"reported_at":"2026-11-24"`, `"recipient":"PE-online"`} {
			if !strings.Contains(js, want) {
				t.Errorf("the JSON lacks %s", want)
			}
		}
		if t.Failed() {
			t.Fatalf("My data:\n%s\n%s", mainOf(t, data), js)
		}
		anna, _ := s.AccountByEmail(ctx, "anna@example.org")
		if _, err := x.svc.Desk.Erase(ctx, anna.ID, audit.Staff("a-po")); err != nil {
			t.Fatal(err)
		}
		if recs, _ := s.RecordsOf(ctx, anna.ID); len(recs) != 0 {
			t.Fatalf("after erasure %+v", recs)
		}
		if dis, _ := s.DisclosuresOf(ctx, anna.ID, true); len(dis) != 0 {
			t.Fatalf("after erasure the disclosure still names the person: %+v", dis)
		}
		testkit.AssertNoPersonalValues(t, s, "anna@example.org", "12345678901")
	})
}
