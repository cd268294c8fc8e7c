// Package organisation is the domain of organisations people belong to
// (issue 16: R6, R9, R10): a hospital or a pharmacy chain with contract
// terms (the retention overrides that name it), its members, and the
// invitations that make an account a member — never silently: the person
// accepts or declines. It does no SQL and no HTTP; organisation/service
// applies it to the store, and the voucher issue builds on it (an
// organisation creates vouchers and sees its redeemers' reports).
package organisation

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"steward"
	"steward/account"
)

// Organisation is one organisation. Its id is opaque ("org-…" for new
// ones; ids that existed on accounts before issue 16 kept their text).
type Organisation struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// MaxNameLength bounds an organisation's name, in characters.
const MaxNameLength = 200

// CheckName normalises an organisation's name (trimmed, inner runs of
// white space as one space) and refuses an empty, over-long or control
// character name.
func CheckName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	switch {
	case name == "":
		return "", steward.FieldError("name", "error.is_required")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return "", steward.FieldError("name", "error.organisation_name_too_long", "max", MaxNameLength)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", steward.FieldError("name", "error.organisation_name_control")
	}
	return name, nil
}

// NewID returns a new organisation id.
func NewID() string { return account.NewID("org-") }

// InvitationLifetime is how long an invitation's mailed link works.
const InvitationLifetime = 14 * 24 * time.Hour

// Answer is what became of an invitation.
type Answer string

// The answers; "" is an open invitation.
const (
	Open      Answer = ""
	Accepted  Answer = "accepted"
	Declined  Answer = "declined"
	Withdrawn Answer = "withdrawn"
)

// Invitation asks one account to join one organisation.
type Invitation struct {
	ID           string
	Organisation string
	Account      string
	// InvitedBy is the audit actor who invited (staff:<id>, system:cli).
	InvitedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AnsweredAt time.Time
	Answer     Answer
}

// State is an invitation's state at a moment: its answer, or "expired"
// for an open one past its lifetime, or "open".
func (i *Invitation) State(now time.Time) string {
	switch {
	case i.Answer != Open:
		return string(i.Answer)
	case !now.Before(i.ExpiresAt):
		return "expired"
	}
	return "open"
}

// CanAnswer says whether the invitation can still be accepted or declined
// by account acct at now: it is theirs, open and not expired. Someone
// else's invitation is not found, so a link does not tell a stranger
// which organisation invited whom.
func (i *Invitation) CanAnswer(acct *account.Account, now time.Time) error {
	if i.Account != acct.ID {
		return steward.Errorf(steward.ENOTFOUND, "error.invitation_not_found")
	}
	switch i.State(now) {
	case "open":
		return nil
	case "expired":
		return steward.Errorf(steward.ECONFLICT, "error.invitation_expired")
	}
	return steward.Errorf(steward.ECONFLICT, "error.invitation_answered")
}

// CanInvite says whether acct may be invited: a person (staff are not
// members), not erased, not already in an organisation. The errors are
// for staff and the CLI; a page for an organisation manager says the same
// thing whatever the reason (it does not tell which addresses have an
// account or belong elsewhere).
func CanInvite(acct *account.Account, org string) error {
	switch {
	case acct.IsStaff():
		return steward.Errorf(steward.EINVALID, "error.invitation_staff")
	case acct.OrganisationID == org:
		return steward.Errorf(steward.ECONFLICT, "error.already_member")
	case acct.OrganisationID != "":
		return steward.Errorf(steward.ECONFLICT, "error.member_elsewhere")
	}
	return nil
}

// Fields are the field names an audit entry about membership names.
var (
	InviteFields = []string{"organisation_id", "account_id", "expires_at"}
	AnswerFields = []string{"answer", "organisation_id"}
	MemberFields = []string{"organisation_id"}
	AddFields    = []string{"name"}
)
