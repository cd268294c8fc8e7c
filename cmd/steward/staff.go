package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/store"
)

func runStaffAdd(ctx context.Context, a *app, args []string) error {
	fs := a.flags("staff add", "EMAIL --role admin|privacy_officer|support", "Creates a staff account (R12: staff reach personal data only with their own\naccount and a role) and prints a one-time link, valid 72 hours, where the staff\nmember sets their password. The link is shown once; only its hash is stored.")
	db := a.dbFlag(fs)
	pol := a.policyFlag(fs)
	role := fs.String("role", "", "admin, privacy_officer or support")
	baseURL := fs.String("base-url", a.env("STEWARD_BASE_URL", "http://"+defaultAddr), "public URL of the site (env STEWARD_BASE_URL)")
	// Allow EMAIL before the flags, as the usage line shows it.
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	email := pos[0]
	r, err := account.ParseRole(*role)
	if err != nil {
		return err
	}
	norm, err := account.NormalizeEmail(email)
	if err != nil {
		return steward.FieldError("email", "error.is_not_valid_email")
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	now := a.clock.Now()
	acct := &account.Account{ID: account.NewID("a-"), Email: norm, Pseudonym: string(audit.NewPseudonym()), Role: r, CreatedAt: now}
	secret, hash := account.NewSecret()
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAccount(ctx, acct); err != nil {
			return err
		}
		if err := tx.InsertToken(ctx, hash, account.TokenSetPassword, acct.ID, now, now.Add(account.TokenLifetime(account.TokenSetPassword))); err != nil {
			return err
		}
		return tx.AppendAudit(audit.Entry{Time: now, Actor: audit.System("cli"), Action: audit.AccountCreate,
			ObjectKind: "account", ObjectID: acct.ID, Subject: audit.Pseudonym(acct.Pseudonym), Fields: []string{"role"},
			PolicyVersion: p.Version.Number})
	})
	if err != nil {
		return err
	}
	link := strings.TrimRight(*baseURL, "/") + "/reset/confirm?" + url.Values{"token": {secret}}.Encode()
	fmt.Fprintf(a.stdout, "created staff account %s with role %s\nset-password link (valid 72 hours, shown once):\n%s\n", acct.ID, r, link)
	return nil
}
