package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/organisation"
	orgservice "steward/organisation/service"
	"steward/store"
)

// Organisations for staff and organisation managers (issue 16: R6, R9,
// R10): the list, one organisation's members and invitations, inviting
// by address, removing a member; and the page where a person answers an
// invitation they were mailed. Privacy officers and admins see every
// organisation, an organisation manager only their own. Every member and
// invitee shown is a staff view on the person's record (R12, Z7).

// orgViewFields are what the organisation page shows of a person.
var orgViewFields = []string{"account.email", "organisation_membership"}

// orgNotices are the notices the organisation page shows after a change.
var orgNotices = []string{"added", "invited", "removed"}

type staffOrgsView struct {
	Orgs   []store.OrganisationSummary
	CanAdd bool
	CSRF   string
}

type staffOrgView struct {
	Detail *orgservice.Detail
	// Vouchers links the organisation's vouchers and report (issue 17).
	Vouchers bool
	Invites  []staffOrgInvite
	CSRF     string
	Notice   string
}

type staffOrgInvite struct {
	organisation.Invitation
	Email string
	State string
}

// requireOrgStaff answers unless the request comes from staff who may see
// organisations: a privacy officer or admin, or an organisation manager.
func (s *Server) requireOrgStaff(w http.ResponseWriter, r *http.Request) *authed {
	return s.requireRole(w, r, account.RoleOrganisationManager, false)
}

func orgActor(au *authed) orgservice.Actor { return orgservice.Actor{Account: au.Account} }

// staffOrganisations is GET /staff/organisations.
func (s *Server) staffOrganisations(w http.ResponseWriter, r *http.Request) {
	au := s.requireOrgStaff(w, r)
	if au == nil {
		return
	}
	list, err := s.cfg.Organisations.List(r.Context(), orgActor(au))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &staffOrgsView{Orgs: list, CanAdd: au.Account.Role.Allows(account.RolePrivacyOfficer), CSRF: au.Session.CSRF}
	s.render(w, r, http.StatusOK, "staff_organisations", s.page(r, mustLang(r), "staff_organisations.title", v))
}

// staffOrganisationAdd is POST /staff/organisations: a privacy officer or
// admin adds an organisation.
func (s *Server) staffOrganisationAdd(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, false)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	o, err := s.cfg.Organisations.Add(r.Context(), orgActor(au), r.PostForm.Get("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.orgRedirect(w, r, o.ID, "added")
}

func (s *Server) orgRedirect(w http.ResponseWriter, r *http.Request, id, notice string) {
	q := url.Values{"done": {notice}}
	if l := mustLang(r); l != "nl" {
		q.Set("lang", l)
	}
	http.Redirect(w, r, "/staff/organisations/"+url.PathEscape(id)+"?"+q.Encode(), http.StatusSeeOther)
}

// staffOrganisation is GET /staff/organisations/{id}: members, managers
// and invitations, with the invite form.
func (s *Server) staffOrganisation(w http.ResponseWriter, r *http.Request) {
	au := s.requireOrgStaff(w, r)
	if au == nil {
		return
	}
	ctx := r.Context()
	d, err := s.cfg.Organisations.Detail(ctx, orgActor(au), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &staffOrgView{Detail: d, CSRF: au.Session.CSRF, Vouchers: s.vouchersEnabled()}
	if n := r.URL.Query().Get("done"); slices.Contains(orgNotices, n) {
		v.Notice = n
	}
	now := s.cfg.Clock.Now()
	seen := map[string]bool{}
	for _, inv := range d.Invitations {
		it := staffOrgInvite{Invitation: inv, State: inv.State(now)}
		if a := d.Invitees[inv.Account]; a != nil {
			it.Email = a.Email
		}
		v.Invites = append(v.Invites, it)
	}
	// The addresses are personal data: each person shown is a recorded
	// staff view, before the page is sent.
	for _, a := range append(slices.Clone(d.Members), inviteesOf(d)...) {
		if seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		if err := s.recordStaffView(ctx, au, a.ID, audit.Pseudonym(a.Pseudonym), "account", a.ID, orgViewFields); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "staff_organisation", s.page(r, mustLang(r), "staff_organisation.title", v))
}

func inviteesOf(d *orgservice.Detail) []*account.Account {
	out := make([]*account.Account, 0, len(d.Invitees))
	for _, inv := range d.Invitations {
		if a := d.Invitees[inv.Account]; a != nil {
			out = append(out, a)
		}
	}
	return out
}

// staffOrganisationInvite is POST /staff/organisations/{id}/invite. An
// organisation manager is told the same whatever the address (no account,
// staff, in another organisation): the page does not tell them who has an
// account here. Staff who look people up anyway are told why.
func (s *Server) staffOrganisationInvite(w http.ResponseWriter, r *http.Request) {
	au := s.requireOrgStaff(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	id := r.PathValue("id")
	_, err := s.cfg.Organisations.Invite(r.Context(), orgActor(au), id, r.PostForm.Get("email"), mustLang(r))
	if err != nil && !(au.Account.Role == account.RoleOrganisationManager && hiddenFromManager(err)) {
		s.fail(w, r, err)
		return
	}
	s.orgRedirect(w, r, id, "invited")
}

// hiddenFromManager reports whether an organisation manager is told
// "invited" anyway: no account with the address, a staff account, or a
// member of an organisation — what would tell them who has an account
// here. A mistyped address is said.
func hiddenFromManager(err error) bool {
	var se *steward.Error
	if errors.As(err, &se) && se.Field == "email" {
		return false
	}
	switch steward.ErrorCode(err) {
	case steward.ENOTFOUND, steward.ECONFLICT, steward.EINVALID:
		return true
	}
	return false
}

// staffOrganisationRemove is POST /staff/organisations/{id}/members/{account}/remove.
func (s *Server) staffOrganisationRemove(w http.ResponseWriter, r *http.Request) {
	au := s.requireOrgStaff(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	id := r.PathValue("id")
	if err := s.cfg.Organisations.RemoveMember(r.Context(), orgActor(au), id, r.PathValue("account")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.orgRedirect(w, r, id, "removed")
}

type invitationView struct {
	Pending *orgservice.Pending
	Token   string
	CSRF    string
}

// invitationPage is GET /organisations/invitation?token=…, the page a
// mailed invitation opens: logged in, the person sees the organisation's
// name and accepts or declines. Logged out, they log in first and come
// back here.
func (s *Server) invitationPage(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	token := r.URL.Query().Get("token")
	p, err := s.cfg.Organisations.Invitation(r.Context(), au.Account, token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &invitationView{Pending: p, Token: token, CSRF: au.Session.CSRF}
	s.render(w, r, http.StatusOK, "org_invitation", s.page(r, mustLang(r), "org_invitation.title", v))
}

// invitationSubmit is POST /organisations/invitation: the answer.
func (s *Server) invitationSubmit(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	var accept bool
	switch strings.TrimSpace(r.PostForm.Get("answer")) {
	case "accept":
		accept = true
	case "decline":
	default:
		s.fail(w, r, steward.FieldError("answer", "error.choose_accept_or_decline"))
		return
	}
	if _, err := s.cfg.Organisations.Answer(r.Context(), au.Account, r.PostForm.Get("token"), accept); err != nil {
		s.fail(w, r, err)
		return
	}
	if accept {
		s.message(w, r, mustLang(r), http.StatusOK, "org_invitation.accepted_title", "org_invitation.accepted")
		return
	}
	s.message(w, r, mustLang(r), http.StatusOK, "org_invitation.declined_title", "org_invitation.declined")
}
