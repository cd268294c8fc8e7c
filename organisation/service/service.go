// Package service applies the organisation domain to the store (issue 16:
// R6, R9, R10): organisations are added, people are invited by a mailed
// link and join only by accepting it, members are removed — each change
// one transaction with its audit entry (ids and field names only) and its
// mail. Built once in internal/wiring; the staff pages and the
// 'organisations' commands call the same methods.
package service

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/mail"
	"steward/message"
	"steward/organisation"
	"steward/policy"
	"steward/store"
)

// MailKind is the outbox kind of an invitation.
const MailKind mail.Kind = "organisation_invitation"

// InvitationPath is the page an invitation's link opens.
const InvitationPath = "/organisations/invitation"

// Service manages organisations and their members.
type Service struct {
	Policy  *policy.Policy
	Store   *store.Store
	Clock   clock.Clock
	Audit   *audit.Log
	BaseURL string
	// MailNotify, when set, wakes the mail dispatcher.
	MailNotify func()
}

// Actor is who acts: staff (or an organisation manager) by account, or
// the operator's command line (Account nil, audited as system:cli).
type Actor struct {
	Account *account.Account
}

// Operator is the command line.
var Operator = Actor{}

func (a Actor) audit() audit.Actor {
	if a.Account == nil {
		return audit.System("cli")
	}
	return audit.Staff(a.Account.ID)
}

// may refuses an actor who may not manage org: the command line may,
// staff by role, an organisation manager only their own.
func (a Actor) may(org string) error {
	if a.Account == nil || a.Account.MayManageOrganisation(org) {
		return nil
	}
	return steward.Errorf(steward.EFORBIDDEN, "error.page_needs_another_role")
}

// Add creates an organisation. Only the command line and privacy officers
// or admins add organisations.
func (s *Service) Add(ctx context.Context, by Actor, name string) (*organisation.Organisation, error) {
	if by.Account != nil && !by.Account.Role.Allows(account.RolePrivacyOfficer) {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.page_needs_another_role")
	}
	name, err := organisation.CheckName(name)
	if err != nil {
		return nil, err
	}
	o := &organisation.Organisation{ID: organisation.NewID(), Name: name, CreatedAt: s.Clock.Now()}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertOrganisation(ctx, o); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: by.audit(), Action: audit.OrganisationCreate,
			ObjectKind: "organisation", ObjectID: o.ID, Fields: organisation.AddFields})
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Invite mails the account with address email an invitation to join org,
// in lang. The person joins only by accepting it (Answer). An address
// without an account, a staff account, and a member of any organisation
// are refused with their own error; a page for an organisation manager
// shows them all alike.
func (s *Service) Invite(ctx context.Context, by Actor, org, email, lang string) (*organisation.Invitation, error) {
	if err := by.may(org); err != nil {
		return nil, err
	}
	norm, err := account.NormalizeEmail(email)
	if err != nil {
		return nil, steward.FieldError("email", "error.is_not_valid_email")
	}
	if !slices.Contains(policy.Languages, lang) {
		lang = policy.Languages[0]
	}
	var inv *organisation.Invitation
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		o, err := tx.Organisation(ctx, org)
		if err != nil {
			return err
		}
		acct, err := tx.AccountByEmail(ctx, norm)
		if err != nil {
			return err
		}
		if err := organisation.CanInvite(acct, org); err != nil {
			return err
		}
		now := s.Clock.Now()
		secret, hash := account.NewSecret()
		inv = &organisation.Invitation{ID: account.NewID("inv-"), Organisation: org, Account: acct.ID,
			InvitedBy: string(by.audit()), CreatedAt: now, ExpiresAt: now.Add(organisation.InvitationLifetime)}
		if err := tx.InsertInvitation(ctx, inv, hash); err != nil {
			return err
		}
		if err := s.mail(ctx, tx, acct, o, secret, lang); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: by.audit(), Action: audit.OrganisationInvite,
			ObjectKind: "organisation_invitation", ObjectID: inv.ID, Subject: audit.Pseudonym(acct.Pseudonym),
			Fields: organisation.InviteFields})
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return inv, nil
}

// mail enqueues the invitation with its single-use link.
func (s *Service) mail(ctx context.Context, tx *store.Tx, a *account.Account, o *organisation.Organisation, secret, lang string) error {
	q := url.Values{"token": {secret}}
	if lang != policy.Languages[0] {
		q.Set("lang", lang)
	}
	link := strings.TrimRight(s.BaseURL, "/") + InvitationPath + "?" + q.Encode()
	vals, err := tx.Profile(ctx, a.ID, account.RecordID)
	if err != nil {
		return err
	}
	first := vals["first_name"]
	if account.IsSealed(first) {
		first = ""
	}
	site := s.Policy.Site.Name
	text := message.Format(lang, "mail.organisation_invitation.body", "site", site, "link", link, "first_name", first, "organisation", o.Name)
	subject := message.Format(lang, "mail.organisation_invitation.subject", "site", site, "organisation", o.Name)
	_, err = mail.Enqueue(ctx, tx, s.Clock.Now(), mail.Message{Kind: MailKind, SubjectID: a.ID, To: a.Email, Subject: subject, Text: text})
	return err
}

func (s *Service) notify() {
	if s.MailNotify != nil {
		s.MailNotify()
	}
}

// Pending is an open invitation as its link shows it: the invitation and
// the organisation's name.
type Pending struct {
	Invitation   organisation.Invitation
	Organisation *organisation.Organisation
}

// Invitation returns the invitation of a mailed link's secret for the
// logged-in account acct, if acct may still answer it.
func (s *Service) Invitation(ctx context.Context, acct *account.Account, secret string) (*Pending, error) {
	if secret == "" {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.invitation_not_found")
	}
	inv, err := s.Store.InvitationByToken(ctx, account.HashSecret(secret))
	if err != nil {
		return nil, err
	}
	if err := inv.CanAnswer(acct, s.Clock.Now()); err != nil {
		return nil, err
	}
	o, err := s.Store.Organisation(ctx, inv.Organisation)
	if err != nil {
		return nil, err
	}
	return &Pending{Invitation: inv, Organisation: o}, nil
}

// Answer records the person's answer to the invitation of secret: accept
// makes them a member, decline does not. One transaction with the audit
// entry, by the person's pseudonym.
func (s *Service) Answer(ctx context.Context, acct *account.Account, secret string, accept bool) (*Pending, error) {
	if secret == "" {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.invitation_not_found")
	}
	var p *Pending
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		inv, err := tx.InvitationByToken(ctx, account.HashSecret(secret))
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		if err := inv.CanAnswer(acct, now); err != nil {
			return err
		}
		o, err := tx.Organisation(ctx, inv.Organisation)
		if err != nil {
			return err
		}
		current, err := tx.AccountByID(ctx, acct.ID)
		if err != nil {
			return err
		}
		answer, action := organisation.Declined, audit.OrganisationDecline
		if accept {
			if err := organisation.CanInvite(current, o.ID); err != nil {
				return err
			}
			if err := tx.SetMembership(ctx, acct.ID, "", o.ID); err != nil {
				return err
			}
			answer, action = organisation.Accepted, audit.OrganisationJoin
		}
		if err := tx.AnswerInvitation(ctx, inv.ID, answer, now); err != nil {
			return err
		}
		inv.Answer, inv.AnsweredAt = answer, now
		p = &Pending{Invitation: inv, Organisation: o}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.SubjectActor(audit.Pseudonym(acct.Pseudonym)), Action: action,
			ObjectKind: "organisation_invitation", ObjectID: inv.ID, Subject: audit.Pseudonym(acct.Pseudonym),
			Fields: organisation.AnswerFields})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// RemoveMember ends account id's membership of org. The person keeps
// their account; the organisation's contract terms no longer apply to
// them.
func (s *Service) RemoveMember(ctx context.Context, by Actor, org, id string) error {
	if err := by.may(org); err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Organisation(ctx, org); err != nil {
			return err
		}
		acct, err := tx.AccountByID(ctx, id)
		if err != nil {
			return err
		}
		if acct.OrganisationID != org || acct.IsStaff() {
			return steward.Errorf(steward.ENOTFOUND, "error.not_a_member")
		}
		if err := tx.SetMembership(ctx, id, org, ""); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: by.audit(), Action: audit.OrganisationRemove,
			ObjectKind: "account", ObjectID: id, Subject: audit.Pseudonym(acct.Pseudonym), Fields: organisation.MemberFields})
	})
}

// Detail is an organisation with what its page shows.
type Detail struct {
	Organisation *organisation.Organisation
	Members      []*account.Account
	Managers     []*account.Account
	Invitations  []organisation.Invitation
	// Invitees are the invited accounts by id (an erased one is absent).
	Invitees map[string]*account.Account
	// Terms are the organisation's contract terms: the retention periods
	// its contracts set for its members (R9, R10).
	Terms []store.StoredOverride
}

// Detail returns org's members, managers and invitations for by, who must
// be allowed to manage it.
func (s *Service) Detail(ctx context.Context, by Actor, org string) (*Detail, error) {
	if err := by.may(org); err != nil {
		return nil, err
	}
	o, err := s.Store.Organisation(ctx, org)
	if err != nil {
		return nil, err
	}
	d := &Detail{Organisation: o, Invitees: map[string]*account.Account{}}
	accts, err := s.Store.OrganisationAccounts(ctx, org)
	if err != nil {
		return nil, err
	}
	for _, a := range accts {
		if a.IsStaff() {
			d.Managers = append(d.Managers, a)
		} else {
			d.Members = append(d.Members, a)
		}
	}
	if d.Invitations, err = s.Store.Invitations(ctx, org); err != nil {
		return nil, err
	}
	if d.Terms, err = s.Store.ListOverrides(ctx, store.OverrideFilter{Organisation: org}); err != nil {
		return nil, err
	}
	for _, inv := range d.Invitations {
		if _, ok := d.Invitees[inv.Account]; ok {
			continue
		}
		a, err := s.Store.AccountByID(ctx, inv.Account)
		if steward.ErrorCode(err) == steward.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		d.Invitees[a.ID] = a
	}
	return d, nil
}

// List returns the organisations by may see: all for staff and the
// command line, their own for an organisation manager.
func (s *Service) List(ctx context.Context, by Actor) ([]store.OrganisationSummary, error) {
	all, err := s.Store.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	if by.Account == nil || by.Account.Role.Allows(account.RolePrivacyOfficer) {
		return all, nil
	}
	if by.Account.Role != account.RoleOrganisationManager {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.page_needs_another_role")
	}
	var out []store.OrganisationSummary
	for _, o := range all {
		if by.Account.MayManageOrganisation(o.ID) {
			out = append(out, o)
		}
	}
	return out, nil
}
