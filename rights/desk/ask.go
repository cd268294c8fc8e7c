package desk

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"steward"
	"steward/audit"
	"steward/rights"
	"steward/store"
)

// AskJob is the audit actor's job name ("system:request_page") of a
// request entered on the public request page: whoever filled in the form
// is not known until the mailed link is followed.
const AskJob = "request_page"

// Ask is a request made on the public request page (issue 13 item 5):
// anyone the site holds data on — an account holder or a newsletter
// sign-up without an account — asks by e-mail address, without logging
// in.
type Ask struct {
	Email   string
	Type    rights.Type
	Purpose string
	Details string
}

// AskByEmail enters a request made on the public request page and mails
// its confirmation link to the address, in one transaction: the request
// (channel self_service, received today), its received and verify_asked
// steps with their audit entries, and the mail (Art. 12(6): whoever
// follows the link proves they hold the address; VerifyLink then marks it
// verified and its deadline runs as for every request).
//
// The form is checked the same way whoever the address turns out to
// name, before it is looked up, and the caller must answer the same in
// every case, so the page tells no one whether the site knows an address.
// An address the site holds nothing on enters nothing and mails nothing
// (it returns ""). An open request of the same type from this page still
// awaiting its link is not entered twice: it gets a fresh link, and the
// old one is void. A sign-up is asked about what it holds: an objection
// or withdrawal is its unsubscription whatever purpose the form named.
func (d *Desk) AskByEmail(ctx context.Context, a Ask) (string, error) {
	email := strings.TrimSpace(a.Email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		return "", steward.FieldError("email", "error.is_not_valid_email")
	}
	n := rights.NewRequest{SubjectKind: rights.SubjectAccount, SubjectID: "?", Type: a.Type, Channel: rights.ChannelSelfService,
		ReceivedOn: d.Today(), Details: strings.TrimSpace(a.Details), Purpose: a.Purpose}
	if err := n.Check(d.Policy, d.Today()); err != nil {
		return "", err
	}
	actor := audit.System(AskJob)
	var id string
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		id = ""
		h, err := findHolder(ctx, tx, email)
		if steward.ErrorCode(err) == steward.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		n.SubjectKind, n.SubjectID = h.kind, h.id
		if h.kind == rights.SubjectSignUp {
			n.Purpose = ""
		}
		if err := n.Check(d.Policy, d.Today()); err != nil {
			return err
		}
		r, err := d.pendingAsk(ctx, tx, h, n.Type, actor)
		if err != nil {
			return err
		}
		if r == nil {
			if r, err = d.addInTx(ctx, tx, actor, n, h, false); err != nil {
				return err
			}
		}
		id = r.ID
		return d.askInTx(ctx, tx, actor, r, h)
	})
	if err != nil {
		return "", fmt.Errorf("desk: request by e-mail: %w", err)
	}
	if id != "" {
		d.log().Info("request asked on the request page", "request", id, "type", n.Type, "subject_kind", n.SubjectKind)
	}
	return id, nil
}

// pendingAsk returns h's open request of type t entered on the request
// page and not yet confirmed by its link, locked; nil when there is none.
func (d *Desk) pendingAsk(ctx context.Context, tx *store.Tx, h holder, t rights.Type, actor audit.Actor) (*rights.Request, error) {
	rows, err := requestsOf(tx.RequestsOf(ctx, h.id))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Type == t && r.Status == rights.StatusReceived && r.CreatedBy == string(actor) && r.SubjectKind == h.kind {
			return requestForUpdate(ctx, tx, r.ID, h.id)
		}
	}
	return nil, nil
}
