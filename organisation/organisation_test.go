package organisation_test

import (
	"strings"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/organisation"
)

// TestNamesAndInvitations: a name is trimmed and bounded; an invitation
// is answered only by its own account, while open and before it expires;
// staff and members of an organisation cannot be invited (issue 16, R6).
func TestNamesAndInvitations(t *testing.T) {
	if n, err := organisation.CheckName("  Ziekenhuis \t Noord "); err != nil || n != "Ziekenhuis Noord" {
		t.Fatalf("CheckName: %q, %v", n, err)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", organisation.MaxNameLength+1), "a\u0007b"} {
		if _, err := organisation.CheckName(bad); steward.ErrorCode(err) != steward.EINVALID {
			t.Errorf("CheckName(%q) = %v, want EINVALID", bad, err)
		}
	}
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	anna, bob := &account.Account{ID: "a_anna"}, &account.Account{ID: "a_bob"}
	inv := &organisation.Invitation{Account: anna.ID, Organisation: "org-1", CreatedAt: now, ExpiresAt: now.Add(organisation.InvitationLifetime)}
	for _, tc := range []struct {
		who  *account.Account
		at   time.Time
		ans  organisation.Answer
		want string
	}{
		{anna, now, organisation.Open, ""},
		{bob, now, organisation.Open, steward.ENOTFOUND},
		{anna, inv.ExpiresAt, organisation.Open, steward.ECONFLICT},
		{anna, now, organisation.Declined, steward.ECONFLICT},
	} {
		inv.Answer = tc.ans
		if got := steward.ErrorCode(inv.CanAnswer(tc.who, tc.at)); got != tc.want {
			t.Errorf("%s at %s with answer %q: %q, want %q", tc.who.ID, tc.at, tc.ans, got, tc.want)
		}
	}
	if err := organisation.CanInvite(&account.Account{Role: account.RoleSupport}, "org-1"); err == nil {
		t.Error("staff can be invited")
	}
	if err := organisation.CanInvite(&account.Account{OrganisationID: "org-2"}, "org-1"); steward.ErrorCode(err) != steward.ECONFLICT {
		t.Errorf("a member elsewhere: %v", err)
	}
	if err := organisation.CanInvite(anna, "org-1"); err != nil {
		t.Errorf("a person in no organisation: %v", err)
	}
	mgr := &account.Account{Role: account.RoleOrganisationManager, OrganisationID: "org-1"}
	if !mgr.MayManageOrganisation("org-1") || mgr.MayManageOrganisation("org-2") || mgr.Role.Allows(account.RoleSupport) {
		t.Error("an organisation manager manages their own organisation only, and nothing else")
	}
	if po := (&account.Account{Role: account.RolePrivacyOfficer}); !po.MayManageOrganisation("org-2") || (&account.Account{Role: account.RoleSupport}).MayManageOrganisation("org-2") {
		t.Error("a privacy officer manages every organisation; support none")
	}
}
