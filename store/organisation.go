package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"steward"
	"steward/account"
	"steward/organisation"
)

// unknownOrganisation is the one answer for an organisation id that
// names none.
func unknownOrganisation(id string) error {
	return steward.Errorf(steward.ENOTFOUND, "error.unknown_organisation", "organisation", id)
}

// InsertOrganisation stores a new organisation (migration 0021). A second
// organisation with the same name is ECONFLICT.
func (tx *Tx) InsertOrganisation(ctx context.Context, o *organisation.Organisation) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)`,
		o.ID, o.Name, o.CreatedAt.UnixMilli())
	if err != nil {
		if isUniqueViolation(err) {
			return steward.Errorf(steward.ECONFLICT, "error.organisation_name_exists")
		}
		return fmt.Errorf("store: insert organisation %s: %w", o.ID, err)
	}
	return nil
}

// Organisation returns the organisation with id, ENOTFOUND for none.
func (r *Reader) Organisation(ctx context.Context, id string) (*organisation.Organisation, error) {
	var o organisation.Organisation
	var created int64
	err := r.q.QueryRowContext(ctx, `SELECT id, name, created_at FROM organisations WHERE id = $1`, id).Scan(&o.ID, &o.Name, &created)
	if isNoRows(err) {
		return nil, unknownOrganisation(id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: organisation %s: %w", id, err)
	}
	o.CreatedAt = millis(created)
	return &o, nil
}

// OrganisationSummary is an organisation with its number of members.
type OrganisationSummary struct {
	organisation.Organisation
	Members int
}

// Organisations lists every organisation by name with its member count
// (people, not its managers).
func (s *Store) Organisations(ctx context.Context) ([]OrganisationSummary, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (OrganisationSummary, error) {
		var o OrganisationSummary
		var created int64
		err := rows.Scan(&o.ID, &o.Name, &created, &o.Members)
		o.CreatedAt = millis(created)
		return o, err
	}, `SELECT o.id, o.name, o.created_at,
			(SELECT COUNT(*) FROM accounts a WHERE a.organisation_id = o.id AND a.role = '' AND a.anonymised_at IS NULL)
		FROM organisations o ORDER BY o.name, o.id`)
	if err != nil {
		return nil, fmt.Errorf("store: organisations: %w", err)
	}
	return out, nil
}

// OrganisationAccounts returns the accounts of an organisation — its
// members and its managers — by address.
func (s *Store) OrganisationAccounts(ctx context.Context, org string) ([]*account.Account, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (*account.Account, error) { return scanAccount(rows) },
		`SELECT `+accountColumns+` FROM accounts WHERE organisation_id = $1 AND anonymised_at IS NULL ORDER BY email_key`, org)
	if err != nil {
		return nil, fmt.Errorf("store: accounts of organisation %s: %w", org, err)
	}
	return out, nil
}

// SetMembership makes account id a member of org ("" for none). from is
// the organisation it must belong to now ("" for none), so a membership
// that changed meanwhile is not overwritten: ECONFLICT then.
func (tx *Tx) SetMembership(ctx context.Context, id, from, org string) error {
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET organisation_id = $1 WHERE id = $2 AND organisation_id = $3 AND anonymised_at IS NULL`, org, id, from)
	if err != nil {
		return fmt.Errorf("store: membership of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return steward.Errorf(steward.ECONFLICT, "error.membership_changed")
	}
	return nil
}

const invitationColumns = `id, organisation_id, account_id, invited_by, created_at, expires_at, answered_at, answer`

func scanInvitation(r interface{ Scan(...any) error }) (organisation.Invitation, error) {
	var i organisation.Invitation
	var created, expires int64
	var answered sql.NullInt64
	var answer string
	err := r.Scan(&i.ID, &i.Organisation, &i.Account, &i.InvitedBy, &created, &expires, &answered, &answer)
	i.CreatedAt, i.ExpiresAt, i.AnsweredAt, i.Answer = millis(created), millis(expires), fromNullMillis(answered), organisation.Answer(answer)
	return i, err
}

// InsertInvitation stores an invitation with the hash of its mailed
// link's secret.
func (tx *Tx) InsertInvitation(ctx context.Context, i *organisation.Invitation, tokenHash string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO organisation_invitations (id, token_hash, organisation_id, account_id, invited_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, i.ID, tokenHash, i.Organisation, i.Account, i.InvitedBy, i.CreatedAt.UnixMilli(), i.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: insert invitation %s: %w", i.ID, err)
	}
	return nil
}

// InvitationByToken returns the invitation whose link secret hashes to
// hash; ENOTFOUND for none.
func (r *Reader) InvitationByToken(ctx context.Context, hash string) (organisation.Invitation, error) {
	i, err := scanInvitation(r.q.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM organisation_invitations WHERE token_hash = $1`, hash))
	if isNoRows(err) {
		return i, steward.Errorf(steward.ENOTFOUND, "error.invitation_not_found")
	}
	if err != nil {
		return i, fmt.Errorf("store: invitation by token: %w", err)
	}
	return i, nil
}

// Invitations lists an organisation's invitations, newest first.
func (s *Store) Invitations(ctx context.Context, org string) ([]organisation.Invitation, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (organisation.Invitation, error) { return scanInvitation(rows) },
		`SELECT `+invitationColumns+` FROM organisation_invitations WHERE organisation_id = $1 ORDER BY created_at DESC, id`, org)
	if err != nil {
		return nil, fmt.Errorf("store: invitations of %s: %w", org, err)
	}
	return out, nil
}

// InvitationsOf lists the invitations a person received, newest first
// (My data and the export).
func (s *Store) InvitationsOf(ctx context.Context, accountID string) ([]organisation.Invitation, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (organisation.Invitation, error) { return scanInvitation(rows) },
		`SELECT `+invitationColumns+` FROM organisation_invitations WHERE account_id = $1 ORDER BY created_at DESC, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("store: invitations of %s: %w", accountID, err)
	}
	return out, nil
}

// AnswerInvitation records the answer to an open invitation; one that was
// answered meanwhile is ECONFLICT.
func (tx *Tx) AnswerInvitation(ctx context.Context, id string, answer organisation.Answer, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE organisation_invitations SET answer = $1, answered_at = $2 WHERE id = $3 AND answer = ''`,
		string(answer), at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: answer invitation %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return steward.Errorf(steward.ECONFLICT, "error.invitation_answered")
	}
	return nil
}
