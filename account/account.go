// Package account is the domain of people's accounts and staff: the account
// and its profile, validated from the policy's field declarations (R1, Z2,
// R4), passwords (argon2id), sealed sensitive values (R3), sessions and
// single-use tokens. It does no SQL and no HTTP; package store keeps what it
// describes and package web serves it.
package account

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"

	"steward"
)

// RecordID is the id of the policy record kind that holds a person's account
// fields (R1, Z2). Sign-up asks exactly its data_subject fields.
const RecordID = "account"

// Account is one person's (or staff member's) account. Its profile values
// are kept apart, per declared field (R4).
type Account struct {
	// ID is random and opaque: it says nothing about the person.
	ID string
	// Email is the login address, normalised (trimmed, lower-case domain).
	Email string
	// PasswordHash is the argon2id PHC string; empty until a password is set.
	PasswordHash string
	// Pseudonym names the person in the audit log (G2); it is stored only
	// here, so erasing the account unlinks every log entry.
	Pseudonym string
	// Role is empty for a person and one of the staff roles for staff (R12).
	Role Role
	// OrganisationID links the account to an organisation, whose contract
	// may override retention periods (R9, R10).
	OrganisationID string
	CreatedAt      time.Time
	// ConfirmedAt is zero while the e-mail address is unconfirmed; the
	// retention engine purges accounts never confirmed (R10).
	ConfirmedAt    time.Time
	LastLoginAt    time.Time
	LastActivityAt time.Time
}

// Confirmed reports whether the account's e-mail address is confirmed.
func (a *Account) Confirmed() bool { return !a.ConfirmedAt.IsZero() }

// IsStaff reports whether the account belongs to staff.
func (a *Account) IsStaff() bool { return a.Role != "" }

// Role is a staff role (R12, Z7: need to know).
type Role string

// The staff roles, from least to most privileged for personal data.
const (
	// RoleSupport helps people with their account; sees account status,
	// not profile values.
	RoleSupport Role = "support"
	// RolePrivacyOfficer handles data-subject requests and may view a
	// person's record (every view is recorded).
	RolePrivacyOfficer Role = "privacy_officer"
	// RoleAdmin may do everything a privacy officer may, and manage staff.
	RoleAdmin Role = "admin"
	// RoleOrganisationManager manages the members of one organisation (the
	// account's OrganisationID) and nothing else: it ranks below support,
	// so Allows grants it no other staff page (issue 16, R6).
	RoleOrganisationManager Role = "organisation_manager"
)

// Roles lists the staff roles.
var Roles = []Role{RoleAdmin, RolePrivacyOfficer, RoleSupport, RoleOrganisationManager}

// Valid reports whether r is a staff role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Allows reports whether a staff member with role r may do what needs role
// need. Admin includes privacy officer; privacy officer includes support.
// What an organisation manager may do, a privacy officer may do too (for
// every organisation: Account.MayManageOrganisation scopes it); an
// organisation manager may do nothing else.
func (r Role) Allows(need Role) bool {
	if need == RoleOrganisationManager {
		return r == RoleOrganisationManager || r.Allows(RolePrivacyOfficer)
	}
	rank := map[Role]int{RoleSupport: 1, RolePrivacyOfficer: 2, RoleAdmin: 3}
	return rank[r] > 0 && rank[r] >= rank[need]
}

// ParseRole returns the role named s or an EINVALID error.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", steward.FieldError("role", "error.must_be_staff_role")
	}
	return r, nil
}

// NewID returns a new random opaque id with the given prefix ("a-" for
// accounts), 128 bits of randomness in hex, so it passes the audit log's
// opaque-id check and says nothing about the person.
func NewID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
