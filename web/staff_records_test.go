package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"steward/account"
	"steward/internal/testkit"
	"steward/store"
)

// TestStaffRecordsNeedAdmin: a privacy officer handles the people the site
// serves, not the staff who could audit them: opening the admin's record
// or ending the admin's sessions is 403 for a privacy officer and changes
// nothing; the admin may; a person's record stays open to the officer
// (issue 14, finding 14).
func TestStaffRecordsNeedAdmin(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		admin := staffBrowser(t, st, "admin@example.org", account.RoleAdmin)
		adminAcc, err := s.AccountByEmail(ctx, "admin@example.org")
		if err != nil {
			t.Fatal(err)
		}
		person := insertPerson(t, st, "anna@example.org")

		if resp, _ := officer.get("/staff/people/" + adminAcc.ID); resp.StatusCode != http.StatusForbidden {
			t.Errorf("officer opens the admin's record: %d, want 403", resp.StatusCode)
		}
		csrf := officer.csrf("/staff/people/" + person.ID)
		if resp, _ := officer.post("/staff/people/"+adminAcc.ID+"/revoke-sessions", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("officer ends the admin's sessions: %d, want 403", resp.StatusCode)
		}
		if resp, _ := admin.get("/account"); resp.StatusCode != http.StatusOK {
			t.Errorf("the admin's session ended after a refused revoke: %d", resp.StatusCode)
		}
		if resp, _ := officer.get("/staff/people/" + person.ID); resp.StatusCode != http.StatusOK {
			t.Errorf("officer opens a person's record: %d, want 200", resp.StatusCode)
		}
		officerAcc, _ := s.AccountByEmail(ctx, "officer@example.org")
		if resp, _ := admin.get("/staff/people/" + officerAcc.ID); resp.StatusCode != http.StatusOK {
			t.Errorf("admin opens a staff record: %d, want 200", resp.StatusCode)
		}
	})
}
