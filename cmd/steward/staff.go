package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/policy"
	"steward/store"
)

// baseURLFlag adds --base-url (env STEWARD_BASE_URL): the site's public
// address, which 'serve' uses for the links it mails.
func (a *app) baseURLFlag(fs *flag.FlagSet) *string {
	return fs.String("base-url", a.env("STEWARD_BASE_URL", ""), "public URL of the site, as serve has it (env STEWARD_BASE_URL); required")
}

// publicBase checks the public base URL a printed link starts with. There
// is no default: a guess (http://127.0.0.1:8080) printed a link to the
// wrong address whenever the server ran elsewhere (issue 13).
func publicBase(raw string) (string, error) {
	if raw == "" {
		return "", steward.Errorf(steward.EINVALID, "error.base_url_required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", steward.Errorf(steward.EINVALID, "error.base_url_invalid", "url", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// staffArgs parses a staff command's line: EMAIL before or after the
// flags (positional), or as --email.
func staffArgs(fs *flag.FlagSet, args []string) (string, error) {
	emailFlag := fs.String("email", "", "the staff member's address (or EMAIL as the first argument)")
	n := 1
	if slices.ContainsFunc(args, func(s string) bool {
		return strings.TrimLeft(strings.SplitN(s, "=", 2)[0], "-") == "email" && strings.HasPrefix(s, "-")
	}) {
		n = 0
	}
	pos, err := positional(fs, args, n)
	if err != nil {
		return "", err
	}
	email := *emailFlag
	if n == 1 {
		email = pos[0]
	}
	norm, err := account.NormalizeEmail(email)
	if err != nil {
		return "", steward.FieldError("email", "error.is_not_valid_email")
	}
	return norm, nil
}

// setPasswordLink stores a new single-use set-password token for acct in
// tx and returns the link that spends it: the new-password form, as the
// reset mail links to it.
func setPasswordLink(ctx context.Context, tx *store.Tx, base string, acct *account.Account, now time.Time) (string, error) {
	secret, hash := account.NewSecret()
	if err := tx.InsertToken(ctx, hash, account.TokenSetPassword, acct.ID, now, now.Add(account.TokenLifetime(account.TokenSetPassword))); err != nil {
		return "", err
	}
	return base + "/reset/confirm?" + url.Values{"token": {secret}}.Encode(), nil
}

// staffCommand is what both staff commands share: the command line (EMAIL,
// --base-url, --db, --policy and the flags more adds), checked before the
// database is opened (G3), then the policy and the store.
type staffCommand struct {
	email, base string
	policy      *policy.Policy
	store       *store.Store
}

func (a *app) staffCommand(ctx context.Context, name, usage, about string, args []string, more func(*flag.FlagSet) func() error) (*staffCommand, error) {
	fs := a.flags(name, usage, about)
	db := a.dbFlag(fs)
	pol := a.policyFlag(fs)
	baseURL := a.baseURLFlag(fs)
	check := more(fs)
	email, err := staffArgs(fs, args)
	if err != nil {
		return nil, err
	}
	if err := check(); err != nil {
		return nil, err
	}
	c := &staffCommand{email: email}
	if c.base, err = publicBase(*baseURL); err != nil {
		return nil, err
	}
	if c.policy, err = loadPolicy(*pol); err != nil {
		return nil, err
	}
	if c.store, err = a.openStoreToChange(ctx, *db); err != nil {
		return nil, err
	}
	return c, nil
}

func runStaffAdd(ctx context.Context, a *app, args []string) error {
	var r account.Role
	var org *string
	c, err := a.staffCommand(ctx, "staff add", "EMAIL|--email EMAIL --role admin|privacy_officer|support|organisation_manager [--organisation ID] --base-url URL", "Creates a staff account (R12: staff reach personal data only with their own\naccount and a role) and prints a one-time link, valid 72 hours, where the staff\nmember sets their password. The link starts with the site's public URL\n(--base-url or STEWARD_BASE_URL, as serve has it) and is shown once; only its\nhash is stored. 'steward staff link' issues a fresh one. An organisation\nmanager manages the members of one organisation (--organisation ID) only.", args,
		func(fs *flag.FlagSet) func() error {
			role := fs.String("role", "", "admin, privacy_officer, support or organisation_manager")
			org = fs.String("organisation", "", "the organisation an organisation_manager manages (see 'organisations list')")
			return func() (err error) {
				if r, err = account.ParseRole(*role); err != nil {
					return err
				}
				if (r == account.RoleOrganisationManager) != (*org != "") {
					return steward.FieldError("organisation", "error.organisation_for_managers_only")
				}
				return nil
			}
		})
	if err != nil {
		return err
	}
	s := c.store
	defer s.Close()
	now := a.clock.Now()
	acct := &account.Account{ID: account.NewID("a-"), Email: c.email, Pseudonym: string(audit.NewPseudonym()), Role: r, OrganisationID: *org, CreatedAt: now}
	var link string
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if acct.OrganisationID != "" {
			if _, err := tx.Organisation(ctx, acct.OrganisationID); err != nil {
				return err
			}
		}
		if err := tx.InsertAccount(ctx, acct); err != nil {
			return err
		}
		if link, err = setPasswordLink(ctx, tx, c.base, acct, now); err != nil {
			return err
		}
		return tx.AppendAudit(audit.Entry{Time: now, Actor: audit.System("cli"), Action: audit.AccountCreate,
			ObjectKind: "account", ObjectID: acct.ID, Subject: audit.Pseudonym(acct.Pseudonym), Fields: []string{"role"},
			PolicyVersion: c.policy.Version.Number})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "created staff account %s with role %s\nset-password link (valid 72 hours, shown once):\n%s\n", acct.ID, r, link)
	return nil
}

func runStaffLink(ctx context.Context, a *app, args []string) error {
	c, err := a.staffCommand(ctx, "staff link", "EMAIL|--email EMAIL --base-url URL", "Issues a fresh one-time link, valid 72 hours, where an existing staff member\nsets a new password: for a link from 'staff add' that expired or was lost, or a\nforgotten password. Every older link of the account stops working. The link\nstarts with the site's public URL (--base-url or STEWARD_BASE_URL) and is shown\nonce; only its hash is stored. Audited as account.password_link.", args,
		func(*flag.FlagSet) func() error { return func() error { return nil } })
	if err != nil {
		return err
	}
	s := c.store
	defer s.Close()
	acct, err := s.AccountByEmail(ctx, c.email)
	if steward.ErrorCode(err) == steward.ENOTFOUND || (err == nil && !acct.IsStaff()) {
		return steward.Errorf(steward.ENOTFOUND, "error.no_staff_account", "email", c.email)
	}
	if err != nil {
		return err
	}
	now := a.clock.Now()
	var link string
	err = s.InTx(ctx, func(tx *store.Tx) error {
		// Only the newest link works: one shown earlier, perhaps to
		// someone else, no longer sets the password.
		if _, err := tx.VoidTokens(ctx, acct.ID); err != nil {
			return err
		}
		if link, err = setPasswordLink(ctx, tx, c.base, acct, now); err != nil {
			return err
		}
		return tx.AppendAudit(audit.Entry{Time: now, Actor: audit.System("cli"), Action: audit.PasswordLink,
			ObjectKind: "account", ObjectID: acct.ID, Subject: audit.Pseudonym(acct.Pseudonym), PolicyVersion: c.policy.Version.Number})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "new set-password link for staff account %s (valid 72 hours, shown once; older links no longer work):\n%s\n", acct.ID, link)
	return nil
}
