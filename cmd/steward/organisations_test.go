package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// TestOrganisationsCommands (issue 16, R6, R9, R10): 'organisations add'
// creates an organisation, 'list' shows it with its members, 'invite'
// mails a person an invitation (and links nobody), 'remove-member' ends a
// membership, and 'retention override set' works on the real
// organisation; bad input — no name, a duplicate name, an unknown
// organisation, a malformed address, a non-member, a non-staff actor —
// exits 1 with one line and changes nothing. Every change is audited by
// ids only (both stores).
func TestOrganisationsCommands(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		pol := testkit.PolicyPath(t, "ivm")
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_DB": db, "STEWARD_POLICY": pol,
			"STEWARD_STAFF": "st_po", "STEWARD_BASE_URL": "https://leren.example"}
		s := openTestStore(t, env)
		created := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, a := range []*account.Account{
				{ID: "st_po", Email: "po@example.org", Role: account.RolePrivacyOfficer},
				{ID: "a_anna", Email: "anna@example.org", ConfirmedAt: created},
				{ID: "a_bob", Email: "bob@example.org", ConfirmedAt: created},
			} {
				a.Pseudonym, a.CreatedAt = string(audit.NewPseudonym()), created
				if err := tx.InsertAccount(ctx, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		since := testkit.AuditHead(t, s)
		one := func(name string, args []string, want string) {
			t.Helper()
			code, _, stderr := run(t, env, args...)
			if code != 1 || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%s: exit %d, stderr %q; want 1 and one line with %q", name, code, stderr, want)
			}
		}
		one("no name", []string{"organisations", "add", "  "}, "name: is required")
		one("not staff", []string{"organisations", "add", "Ziekenhuis Noord", "--staff", "a_anna"}, "not a staff account")
		testkit.AssertAudit(t, s, since)

		code, out, stderr := run(t, env, "organisations", "add", "Ziekenhuis Noord")
		m := regexp.MustCompile(`^organisation (org-[0-9a-f]+): Ziekenhuis Noord\n$`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("add: exit %d\n%s%s", code, out, stderr)
		}
		org := m[1]
		one("duplicate name", []string{"organisations", "add", "Ziekenhuis  Noord"}, "already exists")
		one("invite into an unknown organisation", []string{"organisations", "invite", "anna@example.org", "--organisation", "org-nope"}, `unknown organisation "org-nope"`)
		one("invite a malformed address", []string{"organisations", "invite", "anna(at)example.org", "--organisation", org}, "e-mail")
		one("invite without an organisation", []string{"organisations", "invite", "anna@example.org"}, "organisation: is required")
		one("remove a non-member", []string{"organisations", "remove-member", "bob@example.org", "--organisation", org}, "not a member")
		one("override for an unknown organisation", []string{"retention", "override", "set", "--organisation", "org-nope", "--rule", "lms_account_inactive",
			"--period", "P6Y", "--contract", "C-7", "--from", "2026-01-01"}, `unknown organisation "org-nope"`)
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.OrganisationCreate, Actor: audit.Staff("st_po"), ObjectKind: "organisation", ObjectID: org, Fields: []string{"name"}})

		since = testkit.AuditHead(t, s)
		code, out, stderr = run(t, env, "organisations", "invite", "anna@example.org", "--organisation", org, "--lang", "en")
		if code != 0 || !strings.Contains(out, "mailed to account a_anna") {
			t.Fatalf("invite: exit %d\n%s%s", code, out, stderr)
		}
		var kind, text string
		if err := s.Read().QueryRowContext(ctx, `SELECT kind, text_body FROM outbox WHERE subject_id = 'a_anna'`).Scan(&kind, &text); err != nil {
			t.Fatal(err)
		}
		if kind != "organisation_invitation" || !strings.Contains(text, "Ziekenhuis Noord invites you") || !strings.Contains(text, "https://leren.example/organisations/invitation?lang=en&token=") {
			t.Fatalf("the invitation mail: %s\n%s", kind, text)
		}
		if a, _ := s.AccountByID(ctx, "a_anna"); a.OrganisationID != "" {
			t.Fatal("invite linked the person without their acceptance")
		}
		// Existing data: a member from before invitations.
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.SetMembership(ctx, "a_bob", "", org) }); err != nil {
			t.Fatal(err)
		}
		code, out, _ = run(t, env, "organisations", "list")
		if code != 0 || !regexp.MustCompile(org+`\s+Ziekenhuis Noord\s+1\s+2026-11-24`).MatchString(out) {
			t.Fatalf("list: exit %d\n%s", code, out)
		}
		if code, out, stderr := run(t, env, "retention", "override", "set", "--organisation", org, "--rule", "lms_account_inactive",
			"--period", "P6Y", "--contract", "C-7", "--from", "2026-01-01"); code != 0 {
			t.Fatalf("override on a real organisation: exit %d\n%s%s", code, out, stderr)
		}
		if code, out, stderr := run(t, env, "organisations", "remove-member", "bob@example.org", "--organisation", org); code != 0 {
			t.Fatalf("remove-member: exit %d\n%s%s", code, out, stderr)
		}
		if b, _ := s.AccountByID(ctx, "a_bob"); b.OrganisationID != "" {
			t.Fatalf("bob still belongs to %q", b.OrganisationID)
		}
		anna, _ := s.AccountByID(ctx, "a_anna")
		bob, _ := s.AccountByID(ctx, "a_bob")
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.OrganisationInvite, Actor: audit.Staff("st_po"), ObjectKind: "organisation_invitation", Subject: audit.Pseudonym(anna.Pseudonym)},
			testkit.AuditWant{Action: audit.RetentionOverride, Actor: audit.Staff("st_po")},
			testkit.AuditWant{Action: audit.OrganisationRemove, Actor: audit.Staff("st_po"), ObjectKind: "account", ObjectID: "a_bob", Subject: audit.Pseudonym(bob.Pseudonym)})
		// An organisation manager is staff of one organisation.
		one("manager without organisation", []string{"staff", "add", "mgr@example.org", "--role", "organisation_manager"}, "organisation")
		one("manager of an unknown organisation", []string{"staff", "add", "mgr@example.org", "--role", "organisation_manager", "--organisation", "org-nope"}, `unknown organisation "org-nope"`)
		if code, out, stderr := run(t, env, "staff", "add", "mgr@example.org", "--role", "organisation_manager", "--organisation", org); code != 0 {
			t.Fatalf("staff add an organisation manager: exit %d\n%s%s", code, out, stderr)
		}
		if mgr, err := s.AccountByEmail(ctx, "mgr@example.org"); err != nil || mgr.Role != account.RoleOrganisationManager || mgr.OrganisationID != org {
			t.Fatalf("the manager: %+v, %v", mgr, err)
		}
		testkit.AssertNoPersonalValues(t, s, "anna@example.org", "bob@example.org", "Ziekenhuis")
	})
}
