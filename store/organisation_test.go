package store_test

import (
	"context"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/organisation"
	"steward/policy"
	"steward/store"
)

// TestOrganisationMigrationKeepsMeaning (issue 16, R9, R10): before
// migration 0021 an organisation was only an id on accounts and contract
// overrides. Migrating turns each id in use into an organisation of that
// name, so every member keeps their organisation and every override its
// members; the role column then takes organisation_manager and still
// refuses an unknown role; an override for an organisation that does not
// exist is refused (both stores).
func TestOrganisationMigrationKeepsMeaning(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		all, err := store.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		var before []store.Migration
		for _, m := range all {
			if m.Version < 21 {
				before = append(before, m)
			}
		}
		if _, err := store.MigrateWith(ctx, s, before); err != nil {
			t.Fatal(err)
		}
		created := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)
		err = s.InTx(ctx, func(tx *store.Tx) error {
			for _, q := range []string{
				`INSERT INTO accounts (id, email, email_key, pseudonym, role, organisation_id, created_at) VALUES ('a_member', 'm@example.org', 'm@example.org', 'p1', '', 'org_hospital', 1583020800000)`,
				`INSERT INTO accounts (id, email, email_key, pseudonym, role, organisation_id, created_at) VALUES ('a_po', 'po@example.org', 'po@example.org', 'p2', 'privacy_officer', '', 1583020800000)`,
				`INSERT INTO retention_overrides (organisation_id, rule_id, period, contract_ref, valid_from, created_at) VALUES ('org_hospital', 'lms_account_inactive', 'P10Y', 'C-1', 1577836800000, 1583020800000)`,
				`INSERT INTO retention_overrides (organisation_id, rule_id, period, contract_ref, valid_from, created_at) VALUES ('org_gone', 'lms_account_inactive', 'P6Y', 'C-2', 1577836800000, 1590969600000)`,
			} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate 0021 over old data: %v", err)
		}
		orgs, err := s.Organisations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]store.OrganisationSummary{}
		for _, o := range orgs {
			got[o.ID] = o
		}
		if len(got) != 2 || got["org_hospital"].Members != 1 || got["org_hospital"].Name != "org_hospital" ||
			!got["org_hospital"].CreatedAt.Equal(created) || got["org_gone"].Members != 0 {
			t.Fatalf("organisations after migrating: %+v", orgs)
		}
		m, err := s.AccountByID(ctx, "a_member")
		if err != nil || m.OrganisationID != "org_hospital" {
			t.Fatalf("member after migrating: %+v, %v", m, err)
		}
		po, err := s.AccountByID(ctx, "a_po")
		if err != nil || po.Role != account.RolePrivacyOfficer {
			t.Fatalf("staff role after migrating: %+v, %v", po, err)
		}
		if list, _ := s.ListOverrides(ctx, store.OverrideFilter{Organisation: "org_hospital"}); len(list) != 1 || list[0].Period.String() != "P10Y" {
			t.Fatalf("override of org_hospital: %+v", list)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertAccount(ctx, &account.Account{ID: "a_mgr", Email: "mgr@example.org", Pseudonym: string(audit.NewPseudonym()),
				Role: account.RoleOrganisationManager, OrganisationID: "org_hospital", CreatedAt: created})
		})
		if err != nil {
			t.Fatalf("an organisation manager: %v", err)
		}
		if mgr, err := s.AccountByID(ctx, "a_mgr"); err != nil || mgr.Role != account.RoleOrganisationManager {
			t.Fatalf("manager read back: %+v, %v", mgr, err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertAccount(ctx, &account.Account{ID: "a_bad", Email: "bad@example.org", Pseudonym: string(audit.NewPseudonym()), Role: "owner", CreatedAt: created})
		})
		if err == nil {
			t.Fatal("the role column took an unknown role")
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.SetOverride(ctx, store.Override{Organisation: "org_nobody", Rule: "lms_account_inactive",
				Period: policy.MustDuration("P5Y"), ContractRef: "C-3", ValidFrom: created}, created)
			return err
		})
		if steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Fatalf("override of an unknown organisation: %v, want ENOTFOUND", err)
		}
	})
}

// TestInvitationsAndMembership: an invitation is found by its link's
// hash, answered once (a second answer is a conflict), and membership
// changes only from the organisation it is expected to be in; erasing the
// account takes its invitations along (both stores).
func TestInvitationsAndMembership(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		a := &account.Account{ID: "a_anna", Email: "anna@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: now}
		org := &organisation.Organisation{ID: "org-1", Name: "Apotheek Noord", CreatedAt: now}
		inv := &organisation.Invitation{ID: "inv-1", Organisation: org.ID, Account: a.ID, InvitedBy: "system:cli", CreatedAt: now, ExpiresAt: now.Add(organisation.InvitationLifetime)}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
			if err := tx.InsertOrganisation(ctx, org); err != nil {
				return err
			}
			return tx.InsertInvitation(ctx, inv, "h1")
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertOrganisation(ctx, &organisation.Organisation{ID: "org-2", Name: "Apotheek Noord", CreatedAt: now})
		})
		if steward.ErrorCode(err) != steward.ECONFLICT {
			t.Fatalf("a second organisation of the same name: %v", err)
		}
		got, err := s.InvitationByToken(ctx, "h1")
		if err != nil || got.Account != a.ID || got.State(now) != "open" || got.State(inv.ExpiresAt) != "expired" {
			t.Fatalf("invitation by token: %+v, %v", got, err)
		}
		if _, err := s.InvitationByToken(ctx, "h2"); steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Fatalf("unknown token: %v", err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.AnswerInvitation(ctx, inv.ID, organisation.Accepted, now); err != nil {
				return err
			}
			return tx.SetMembership(ctx, a.ID, "", org.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.AnswerInvitation(ctx, inv.ID, organisation.Declined, now) })
		if steward.ErrorCode(err) != steward.ECONFLICT {
			t.Fatalf("second answer: %v, want ECONFLICT", err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.SetMembership(ctx, a.ID, "", "org-other") })
		if steward.ErrorCode(err) != steward.ECONFLICT {
			t.Fatalf("membership from the wrong organisation: %v, want ECONFLICT", err)
		}
		members, err := s.OrganisationAccounts(ctx, org.ID)
		if err != nil || len(members) != 1 || members[0].ID != a.ID {
			t.Fatalf("members: %+v, %v", members, err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(ctx, a.ID) }); err != nil {
			t.Fatal(err)
		}
		if left, err := s.Invitations(ctx, org.ID); err != nil || len(left) != 0 {
			t.Fatalf("invitations of an erased account: %+v, %v", left, err)
		}
	})
}
