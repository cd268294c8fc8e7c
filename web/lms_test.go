package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/account/service"
	"steward/audit"
	"steward/internal/testkit"
	lmsout "steward/lms"
	"steward/rights"
	"steward/store"
)

// TestLMSStatusInMyDataAndRequestPage (issue 16 item 5): a person with a
// learning environment account corrects their last name on the profile
// page; My data says in words that the correction waits to be sent, then
// — the test Moodle failing once — that it is not confirmed yet and when
// it is tried again, then that the LMS confirmed it on a date. Staff's
// rectification for a request is told to the LMS too, and the request's
// page says whether the LMS confirmed (both stores).
func TestLMSStatusInMyDataAndRequestPage(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "anna@example.org")
		if resp := b.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		id := personID(t, s, "anna@example.org")
		addRecord(t, s, "ivm", id, "lms_account", st.clock.Now(), nil)
		rec, _ := s.RecordOfKind(ctx, id, "lms_account")
		moodle := testkit.NewMoodle(t)
		user := moodle.AddUser(fmt.Sprint(rec), "anna@example.org", "Anna", "Jansen")

		if _, body := b.get("/account/data?lang=en"); strings.Contains(body, `id="lms"`) {
			t.Fatal("My data shows LMS messages before there are any")
		}
		_, page := b.get("/account")
		csrf := csrfRE.FindStringSubmatch(page)[1]
		if resp, body := b.post("/account", url.Values{"csrf": {csrf}, "lms_account.email": {"anna@example.org"},
			"lms_account.first_name": {"Anna"}, "lms_account.last_name": {"de Vries"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("profile edit: %d\n%s", resp.StatusCode, body)
		}
		lmsText := func(path string, br *browser) string {
			t.Helper()
			resp, body := br.get(path)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", path, resp.StatusCode)
			}
			if !strings.Contains(body, `id="lms"`) {
				t.Fatalf("%s has no learning environment section:\n%s", path, body)
			}
			return visibleText(t, body)
		}
		if got := lmsText("/account/data?lang=en", b); !strings.Contains(got, "Correction sent on 24 November 2026") ||
			!strings.Contains(got, "waiting to be sent") || !strings.Contains(got, "Last name") {
			t.Errorf("pending correction in My data: %q", got)
		}
		svcValues := &lmsout.ProfileValues{Policy: testkit.Policy(t, "ivm"), Store: s}
		d := lmsout.NewDispatcher(s, lmsout.NewClient(lmsout.Config{URL: moodle.URL, Token: moodle.Token}, nil), svcValues, st.clock,
			&audit.Log{Clock: st.clock}, lmsout.Options{})
		moodle.FailNext("servicenotavailable")
		if r, err := d.DeliverDue(ctx); err != nil || r.Retrying != 1 {
			t.Fatalf("first attempt: %+v, %v", r, err)
		}
		if got := lmsText("/account/data?lang=en", b); !strings.Contains(got, "not confirmed yet") || !strings.Contains(got, "(1 attempts)") {
			t.Errorf("retrying correction in My data: %q", got)
		}
		st.clock.Advance(2 * time.Minute)
		if r, err := d.DeliverDue(ctx); err != nil || r.Done != 1 {
			t.Fatalf("second attempt: %+v, %v", r, err)
		}
		if got := lmsText("/account/data", b); !strings.Contains(got, "bevestigd door de leeromgeving op 24 november 2026") {
			t.Errorf("confirmed correction in My data: %q", got)
		}
		if u := moodle.User(user); u.LastName != "de Vries" {
			t.Errorf("Moodle's last name: %q", u.LastName)
		}

		// Staff rectify for a request: the request page shows the LMS.
		dk := testDesk(t, st, "ivm")
		key, _ := account.ParseKey(account.NewKey())
		sealer, _ := account.NewSealer(key)
		dk.Audit = &audit.Log{Clock: st.clock}
		dk.Profiles = &service.Service{Policy: dk.Policy, Store: s, Clock: st.clock, Sealer: sealer}
		staff := audit.Staff("a-po")
		r, err := dk.Add(ctx, staff, rights.NewRequest{SubjectKind: rights.SubjectAccount, SubjectID: id, Type: rights.TypeRectification,
			Channel: rights.ChannelEmail, ReceivedOn: st.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dk.VerifyManually(ctx, staff, r.ID, "called back"); err != nil {
			t.Fatal(err)
		}
		if _, err := dk.Rectify(ctx, staff, r.ID, map[string]map[string]string{"lms_account": {"first_name": "Anne"}}); err != nil {
			t.Fatal(err)
		}
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		if got := lmsText("/staff/requests/"+r.ID+"?lang=en", officer); !strings.Contains(got, "First name") || !strings.Contains(got, "waiting to be sent") {
			t.Errorf("request page: %q", got)
		}
		st.clock.Advance(time.Minute)
		if r, err := d.DeliverDue(ctx); err != nil || r.Done != 1 {
			t.Fatalf("rectification: %+v, %v", r, err)
		}
		if got := lmsText("/staff/requests/"+r.ID+"?lang=en", officer); !strings.Contains(got, "confirmed by the learning environment on 24 November 2026") {
			t.Errorf("request page after confirmation: %q", got)
		}
		if u := moodle.User(user); u.FirstName != "Anne" {
			t.Errorf("Moodle's first name: %q", u.FirstName)
		}
	})
}
