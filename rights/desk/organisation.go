package desk

import (
	"context"

	"steward"
	"steward/account"
	"steward/organisation"
	"steward/rights"
)

// organisations adds the person's organisation and the invitations they
// received to the overview (R6, issue 16), each going with the account:
// the membership is a column of it, the invitations are erased with it.
func (h *holdings) organisations(ctx context.Context) error {
	s, a := h.d.Store, h.a
	del := h.sch.account
	del.Via = account.RecordID
	invs, err := s.InvitationsOf(ctx, a.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	name := func(id string) (string, error) {
		if n, ok := names[id]; ok {
			return n, nil
		}
		o, err := s.Organisation(ctx, id)
		if steward.ErrorCode(err) == steward.ENOTFOUND {
			return id, nil
		}
		if err != nil {
			return "", err
		}
		names[id] = o.Name
		return o.Name, nil
	}
	h.ov.Organisations = []rights.OrganisationEntry{}
	h.ov.Invitations = []rights.InvitationEntry{}
	now := h.d.Clock.Now()
	for _, inv := range invs {
		n, err := name(inv.Organisation)
		if err != nil {
			return err
		}
		h.ov.Invitations = append(h.ov.Invitations, rights.InvitationEntry{ID: inv.ID, Organisation: inv.Organisation,
			OrganisationName: n, InvitedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt, State: inv.State(now),
			AnsweredAt: inv.AnsweredAt, Deletion: del})
	}
	if a.OrganisationID == "" {
		return nil
	}
	n, err := name(a.OrganisationID)
	if err != nil {
		return err
	}
	e := rights.OrganisationEntry{ID: a.OrganisationID, Name: n, Deletion: del}
	for _, inv := range invs {
		if inv.Organisation == a.OrganisationID && inv.Answer == organisation.Accepted {
			e.Since = inv.AnsweredAt
			break
		}
	}
	h.ov.Organisations = append(h.ov.Organisations, e)
	return nil
}
