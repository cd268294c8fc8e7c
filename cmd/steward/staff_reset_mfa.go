package main

import (
	"context"
	"fmt"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/internal/wiring"
)

// runStaffResetMFA clears an account's second factor for a lost device
// (issue 14, finding 4; ASVS 2.5.7): its TOTP key, recovery codes and
// half-done logins go, every session ends, the account is mailed, and the
// next login enrols again. The operator checks who is asking before
// running it; the audit entry names the account by id, never a value.
func runStaffResetMFA(ctx context.Context, a *app, args []string) error {
	fs := a.flags("staff reset-mfa", "EMAIL|ACCOUNT-ID", "Clears the second factor (authenticator app and recovery codes) of a staff member or\nperson who lost their device, after you have checked who is asking. Every session of\nthe account ends and it is mailed; the next login sets up a second factor again.\nAudited by account id.")
	db := a.dbFlag(fs)
	pol := a.policyFlag(fs)
	baseURL := a.baseURLFlag(fs)
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	// The mail links to the site's public address, as staff add's link
	// does; never a guessed local one (issue 13).
	base, err := publicBase(*baseURL)
	if err != nil {
		return err
	}
	who := pos[0]
	if strings.Contains(who, "@") {
		norm, err := account.NormalizeEmail(who)
		if err != nil {
			return steward.FieldError("email", "error.is_not_valid_email")
		}
		who = norm
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	s, err := a.openStoreToChange(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	acct, err := s.AccountByID(ctx, who)
	if strings.Contains(who, "@") {
		acct, err = s.AccountByEmail(ctx, who)
	}
	if steward.ErrorCode(err) == steward.ENOTFOUND {
		return steward.Errorf(steward.ENOTFOUND, "error.no_account")
	}
	if err != nil {
		return err
	}
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock, BaseURL: base})
	if err != nil {
		return err
	}
	if err := svc.Accounts.ResetSecondFactor(ctx, audit.System("cli"), acct, ""); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "reset the second factor of account %s; its sessions ended and it was mailed; the next login sets one up again\n", acct.ID)
	return nil
}
