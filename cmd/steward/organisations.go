package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"steward"
	"steward/account"
	"steward/internal/wiring"
	"steward/organisation/service"
	"steward/store"
)

// orgCommand is what the changing organisation commands share: the
// staff account they act as (a privacy officer or admin, every step
// audited to it), the policy and the organisation service wired as serve
// wires it.
type orgCommand struct {
	store *store.Store
	svc   *service.Service
	by    service.Actor
}

func (a *app) orgCommand(ctx context.Context, db, pol, staff, base string) (*orgCommand, error) {
	p, err := loadPolicy(pol)
	if err != nil {
		return nil, err
	}
	s, _, err := a.openStoreAsStaff(ctx, db, staff)
	if err != nil {
		return nil, err
	}
	acc, err := s.AccountByID(ctx, staff)
	if err != nil {
		s.Close()
		return nil, err
	}
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock, BaseURL: base})
	if err != nil {
		s.Close()
		return nil, err
	}
	return &orgCommand{store: s, svc: svc.Organisations, by: service.Actor{Account: acc}}, nil
}

// runOrganisationsAdd creates an organisation (issue 16, R6).
func runOrganisationsAdd(ctx context.Context, a *app, args []string) error {
	fs := a.flags("organisations add", "NAME --staff ID",
		"Creates an organisation people can be invited into. Its contract terms are set\n"+
			"with 'steward retention override set --organisation ID'. Audited.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	c, err := a.orgCommand(ctx, *db, *pol, *staff, "")
	if err != nil {
		return err
	}
	defer c.store.Close()
	o, err := c.svc.Add(ctx, c.by, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "organisation %s: %s\n", o.ID, o.Name)
	return nil
}

// runOrganisationsList lists the organisations with their member counts.
func runOrganisationsList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("organisations list", "[--format table|json]", "Lists the organisations, by name, with their number of members.")
	db := a.dbFlag(fs)
	format := formatFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := format.check(); err != nil {
		return err
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	list, err := s.Organisations(ctx)
	if err != nil {
		return err
	}
	if format.json() {
		type row struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Members int    `json:"members"`
			Created string `json:"created"`
		}
		out := make([]row, 0, len(list))
		for _, o := range list {
			out = append(out, row{o.ID, o.Name, o.Members, o.CreatedAt.Format(time.DateOnly)})
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tMEMBERS\tCREATED")
	for _, o := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", o.ID, o.Name, o.Members, o.CreatedAt.Format(time.DateOnly))
	}
	return tw.Flush()
}

// runOrganisationsInvite mails a person an invitation to join an
// organisation; they join only by accepting it on the site.
func runOrganisationsInvite(ctx context.Context, a *app, args []string) error {
	fs := a.flags("organisations invite", "EMAIL --organisation ID --staff ID --base-url URL [--lang nl|en]",
		"Mails the person with this address an invitation to join the organisation. The\n"+
			"link (valid 14 days) opens a page where they, logged in, see the organisation's\n"+
			"name and accept or decline; nobody is linked without accepting. Audited.")
	db, pol, staff, baseURL := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs), a.baseURLFlag(fs)
	org := fs.String("organisation", "", "the organisation's id (see 'organisations list')")
	lang := fs.String("lang", "nl", "the language of the mail: nl or en")
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	if *lang != "nl" && *lang != "en" {
		return steward.FieldError("lang", "error.must_be_nl_or_en")
	}
	if *org == "" {
		return steward.FieldError("organisation", "error.is_required")
	}
	email, err := account.NormalizeEmail(pos[0])
	if err != nil {
		return steward.FieldError("email", "error.is_not_valid_email")
	}
	base, err := publicBase(*baseURL)
	if err != nil {
		return err
	}
	c, err := a.orgCommand(ctx, *db, *pol, *staff, base)
	if err != nil {
		return err
	}
	defer c.store.Close()
	inv, err := c.svc.Invite(ctx, c.by, *org, email, *lang)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "invitation %s mailed to account %s; valid until %s\n", inv.ID, inv.Account, inv.ExpiresAt.Format(time.DateOnly))
	return nil
}

// runOrganisationsRemoveMember ends a person's membership.
func runOrganisationsRemoveMember(ctx context.Context, a *app, args []string) error {
	fs := a.flags("organisations remove-member", "EMAIL|ACCOUNT-ID --organisation ID --staff ID",
		"Ends a person's membership of the organisation; its contract terms no longer\n"+
			"apply to them. Their account stays. Audited.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	org := fs.String("organisation", "", "the organisation's id")
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	if *org == "" {
		return steward.FieldError("organisation", "error.is_required")
	}
	c, err := a.orgCommand(ctx, *db, *pol, *staff, "")
	if err != nil {
		return err
	}
	defer c.store.Close()
	id, err := memberID(ctx, c.store, pos[0])
	if err != nil {
		return err
	}
	if err := c.svc.RemoveMember(ctx, c.by, *org, id); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "account %s is no longer a member of %s\n", id, *org)
	return nil
}

// memberID resolves an address or account id to an account id.
func memberID(ctx context.Context, s *store.Store, who string) (string, error) {
	if !strings.Contains(who, "@") {
		return who, nil
	}
	acc, err := s.AccountByEmail(ctx, who)
	if err != nil {
		return "", steward.Errorf(steward.ENOTFOUND, "error.no_account_has_email")
	}
	return acc.ID, nil
}
