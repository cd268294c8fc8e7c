package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"steward/audit"
	"steward/internal/testkit"
	"steward/rights"
	"steward/store"
)

// TestStaffQueueNeedsPrivacyOfficer checks that a person without a staff
// role gets neither the queue nor any step on a request (IDOR, R12), and
// that nothing changes when they try.
func TestStaffQueueNeedsPrivacyOfficer(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "anna@example.org")
		b.login("anna@example.org", "correct horse battery")
		id := personID(t, s, "anna@example.org")
		d := testDesk(t, st, "ivm")
		req, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: id, Type: rights.TypeErasure, Channel: rights.ChannelLetter, ReceivedOn: st.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if resp, _ := b.get("/staff/requests"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("queue for a person: %d, want 403", resp.StatusCode)
		}
		if resp, _ := b.get("/staff/requests/" + req.ID); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("request page for a person: %d, want 403", resp.StatusCode)
		}
		csrf := b.csrf("/account/data")
		for _, action := range []string{"verify-manual", "extend", "complete", "refuse"} {
			resp, _ := b.post("/staff/requests/"+req.ID+"/"+action, url.Values{"csrf": {csrf}, "note": {"x"}, "reason": {"x"}, "period": {"P1M"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s by a person: %d, want 403", action, resp.StatusCode)
			}
		}
		got, err := d.Request(ctx, req.ID, "")
		if err != nil || got.Status != rights.StatusReceived || len(got.Steps) != 1 {
			t.Fatalf("a refused step changed the request: %+v %v", got.Request, err)
		}
		// Anonymous: to the login page, nothing served.
		if resp, _ := st.browser().get("/account/data"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("anonymous my data: %d", resp.StatusCode)
		}
		if resp, _ := st.browser().get("/api/v1/me/data"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("anonymous api: %d", resp.StatusCode)
		}
	})
}
