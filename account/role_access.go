package account

// MayOpen reports whether staff with role r may open target's record and
// act on it (sessions, restrictions). Staff records need the admin role:
// a privacy officer handles the people the site serves, not the accounts
// of the staff who could audit the privacy officer (R12, Z7: need to
// know; issue 14, finding 14).
func (r Role) MayOpen(target *Account) bool {
	if target.IsStaff() {
		return r.Allows(RoleAdmin)
	}
	return r.Allows(RolePrivacyOfficer)
}

// MayManageOrganisation reports whether a may see the members and
// invitations of organisation org and invite people into it: a privacy
// officer or admin for every organisation, an organisation manager for
// their own only (issue 16, R6: need to know).
func (a *Account) MayManageOrganisation(org string) bool {
	if a.Role.Allows(RolePrivacyOfficer) {
		return true
	}
	return a.Role == RoleOrganisationManager && org != "" && a.OrganisationID == org
}
