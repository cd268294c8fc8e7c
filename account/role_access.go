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
