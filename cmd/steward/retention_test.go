package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/organisation"
	"steward/policy"
	"steward/policy/publication"
	"steward/store"
)

func TestRetentionCommandsRefuseBadInput(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "r.db")
	pol := testkit.PolicyPath(t, "ivm")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"retention", "plan", "--db", db, "--policy", pol, "--as-of", "2024-13-01"}, `--as-of "2024-13-01": must be a date YYYY-MM-DD`},
		{[]string{"retention", "run", "--db", db, "--policy", pol, "--as-of", "1-1-2024"}, "must be a date"},
		{[]string{"retention", "plan", "--db", db, "--policy", pol, "--rule", "nope"}, `no retention rule "nope"`},
		{[]string{"retention", "plan", "--db", db, "--policy", pol, "--format", "xml"}, "retention plan: format: must be table or json"},
		{[]string{"retention", "run", "--db", db, "--policy", pol, "--batch", "-1"}, "retention run: batch: must be between 1 and 10000"},
	} {
		code, _, stderr := run(t, nil, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if code, _, stderr := run(t, withKeys(t, map[string]string{"STEWARD_DB": db}), "migrate"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := run(t, nil, "retention", "plan", "--db", db, "--policy", pol, "--as-of", "2030-01-01", "--format", "json")
	if code != 0 || !strings.Contains(stdout, `"website_account_inactive"`) {
		t.Fatalf("plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestRetentionOverrideCommands: set, list and remove a contract override
// (R9, R10), each audited; bad input exits 1 with one line and changes
// nothing (G3).
func TestRetentionOverrideCommands(t *testing.T) {
	ctx := context.Background()
	db := "sqlite:" + filepath.Join(t.TempDir(), "o.db")
	pol := testkit.PolicyPath(t, "ivm")
	env := withKeys(t, map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key")})
	if code, _, stderr := run(t, env, "migrate", "--db", db); code != 0 {
		t.Fatal(stderr)
	}
	s, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertOrganisation(ctx, &organisation.Organisation{ID: "org_hospital", Name: "Ziekenhuis Noord", CreatedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			return err
		}
		for _, a := range []*account.Account{
			{ID: "st_po", Email: "po@example.org", Role: account.RolePrivacyOfficer},
			{ID: "a_member", Email: "member@example.org", OrganisationID: "org_hospital"},
		} {
			a.Pseudonym, a.CreatedAt = string(audit.NewPseudonym()), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	set := func(extra ...string) []string {
		return append([]string{"retention", "override", "set", "--db", db, "--policy", pol, "--staff", "st_po"}, extra...)
	}
	good := []string{"--organisation", "org_hospital", "--rule", "website_account_with_orders", "--period", "P10Y", "--contract", "IVM-2025-014", "--from", "2025-01-01"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown organisation", set("--organisation", "org_nobody", "--rule", "website_account_with_orders", "--period", "P10Y", "--contract", "C1", "--from", "2025-01-01"), `unknown organisation "org_nobody"`},
		{"rule without contract_override", set("--organisation", "org_hospital", "--rule", "website_account_inactive", "--period", "P2Y", "--contract", "C1", "--from", "2025-01-01"), "does not allow a contract override"},
		{"unknown rule", set("--organisation", "org_hospital", "--rule", "nope", "--period", "P2Y", "--contract", "C1", "--from", "2025-01-01"), `no retention rule "nope"`},
		{"bad from date", set("--organisation", "org_hospital", "--rule", "website_account_with_orders", "--period", "P10Y", "--contract", "C1", "--from", "2025-02-30"), `--from "2025-02-30": must be a date`},
		{"until before from", set("--organisation", "org_hospital", "--rule", "website_account_with_orders", "--period", "P10Y", "--contract", "C1", "--from", "2025-01-01", "--until", "2024-01-01"), "must be after valid_from"},
		{"bad period", set("--organisation", "org_hospital", "--rule", "website_account_with_orders", "--period", "ten years", "--contract", "C1", "--from", "2025-01-01"), "ISO 8601"},
		{"not staff", append([]string{"retention", "override", "set", "--db", db, "--policy", pol, "--staff", "a_member"}, good...), "not a staff account"},
		{"remove unknown", []string{"retention", "override", "remove", "--db", db, "--staff", "st_po", "--id", "99"}, "no override 99"},
	} {
		code, _, stderr := run(t, env, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want 1 and one line with %q", tc.name, code, stderr, tc.want)
		}
	}
	if list, _ := s.ListOverrides(ctx, store.OverrideFilter{}); len(list) != 0 {
		t.Fatalf("bad input stored overrides: %+v", list)
	}
	entries := func() int {
		l, _, err := s.Audit().List(ctx, audit.Filter{Action: audit.RetentionOverride}, audit.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(l)
	}
	if n := entries(); n != 0 {
		t.Fatalf("bad input wrote %d audit entries", n)
	}

	if code, out, stderr := run(t, env, set(good...)...); code != 0 || !strings.Contains(out, "override 1") {
		t.Fatalf("set: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ := run(t, env, "retention", "override", "list", "--db", db, "--format", "json")
	if code != 0 || !strings.Contains(out, `"contract": "IVM-2025-014"`) || !strings.Contains(out, `"period": "P10Y"`) ||
		!strings.Contains(out, `"organisation": "org_hospital"`) || !strings.Contains(out, `"organisation_name": "Ziekenhuis Noord"`) {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	// The table names the organisation beside its id.
	if code, out, _ := run(t, env, "retention", "override", "list", "--db", db); code != 0 || !regexp.MustCompile(`(?m)^1\s+org_hospital\s+Ziekenhuis Noord\s+website_account_with_orders\s`).MatchString(out) {
		t.Fatalf("list as a table: exit %d\n%s", code, out)
	}
	if code, out, stderr := run(t, env, "retention", "override", "remove", "--db", db, "--staff", "st_po", "--id", "1"); code != 0 {
		t.Fatalf("remove: exit %d\n%s%s", code, out, stderr)
	}
	if n := entries(); n != 2 {
		t.Fatalf("%d retention.override entries, want 2 (set, remove)", n)
	}
	if list, _ := s.ListOverrides(ctx, store.OverrideFilter{}); len(list) != 0 {
		t.Fatalf("removed override still listed: %+v", list)
	}
	// G2: the commands signed what they appended.
	if code, out, stderr := run(t, env, "audit", "verify", "--db", db); code != 0 || !strings.Contains(out, "intact") || stderr != "" {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, stderr)
	}
}

// TestRetentionRunCommand runs 'retention run' from the command line on
// both stores: a future --as-of is refused and changes nothing; a run
// deletes exactly the due accounts in batches with their audit entries,
// reports progress as whole lines when stderr is no terminal (cron), and a
// second run finds nothing left to do.
func TestRetentionRunCommand(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		pol := testkit.PolicyPath(t, "ivm")
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_DB": db, "STEWARD_POLICY": pol}
		s := openTestStore(t, env)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for i, login := range []string{"2021-01-01", "2021-02-01", "2021-03-01", "2026-11-01"} {
				last, _ := time.Parse(time.DateOnly, login)
				a := &account.Account{ID: "a_" + strconv.Itoa(i), Email: "p" + strconv.Itoa(i) + "@example.org", Pseudonym: string(audit.NewPseudonym()),
					CreatedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ConfirmedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), LastLoginAt: last, LastActivityAt: last}
				if err := tx.InsertAccount(ctx, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		accounts := func() int {
			var n int
			if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		since := testkit.AuditHead(t, s)

		code, _, stderr := run(t, env, "retention", "run", "--as-of", "2027-01-01")
		if code != 1 || !strings.Contains(stderr, "--as-of 2027-01-01 is in the future") || strings.Count(stderr, "\n") != 1 {
			t.Fatalf("run --as-of in the future: exit %d, stderr %q", code, stderr)
		}
		if n := accounts(); n != 4 {
			t.Fatalf("a refused run changed the accounts: %d left of 4", n)
		}
		testkit.AssertAudit(t, s, since)

		code, stdout, stderr := run(t, env, "retention", "plan", "--format", "json")
		if code != 0 || !strings.Contains(stdout, `"delete": 3`) {
			t.Fatalf("plan --format json: exit %d\n%s%s", code, stdout, stderr)
		}
		// Each subject's reason: the rule's id, then the catalogue's
		// English words (issue 13), the same the staff page shows.
		code, stdout, stderr = run(t, env, "retention", "plan")
		if want := "website_account_inactive: Account on www.medicijngebruik.nl without Order or Download of material or Newsletter subscription: delete 1 year after the last login (1 January 2021), on 1 January 2022"; code != 0 || !strings.Contains(stdout, want) {
			t.Fatalf("plan: exit %d, want the reason %q\n%s%s", code, want, stdout, stderr)
		}

		code, stdout, stderr = run(t, env, "retention", "run", "--batch", "2")
		if code != 0 {
			t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
		}
		if !strings.Contains(stdout, "2 batches, ") || !strings.Contains(stdout, "website_account_inactive") {
			t.Errorf("run summary:\n%s", stdout)
		}
		if strings.Contains(stderr, "\r") || !strings.HasSuffix(stderr, "retention: 100% (3 of 3 candidates)\n") {
			t.Errorf("progress on a non-terminal: %q", stderr)
		}
		if n := accounts(); n != 1 {
			t.Fatalf("after the run %d accounts, want the 1 active one", n)
		}
		del := testkit.AuditWant{Action: audit.RetentionDelete, Actor: audit.System("retention")}
		testkit.AssertAudit(t, s, since, del, del, del)

		code, stdout, _ = run(t, env, "retention", "run")
		if code != 0 || accounts() != 1 {
			t.Fatalf("second run: exit %d\n%s", code, stdout)
		}
		testkit.AssertAudit(t, s, since, del, del, del)
	})
}

// TestRetentionFollowsPolicyInForce: with a policy file that is version 2,
// published today with a longer period for inactive website accounts (two
// years instead of one) taking effect in ten days, 'retention plan --as-of'
// before that date follows version 1 — the account whose last login was
// 1 June 2025 is due — and after it version 2 — it waits until
// 1 June 2027 (issue 20, Z11 advance notice).
func TestRetentionFollowsPolicyInForce(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		orig := readTestFile(t, testkit.PolicyPath(t, "ivm"))
		old := "    since: !unconfirmed last_login\n    period: P1Y\n"
		if strings.Count(string(orig), old) != 1 {
			t.Fatalf("ivm.yaml has %d rules with %q, want 1", strings.Count(string(orig), old), old)
		}
		v2src := []byte(strings.Replace(string(orig), old, "    since: !unconfirmed last_login\n    period: P2Y\n", 1))
		pol := filepath.Join(t.TempDir(), "ivm.yaml")
		if err := os.WriteFile(pol, v2src, 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_DB": db, "STEWARD_POLICY": pol}
		s := openTestStore(t, env)
		today := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) // testApp's clock
		for _, v := range []struct {
			src           []byte
			at, effective time.Time
			summary       string
		}{{orig, today.Add(-10 * 24 * time.Hour), time.Time{}, "one"}, {v2src, today, today.Add(10 * 24 * time.Hour), "two"}} {
			p, err := policy.Parse("ivm.yaml", v.src)
			if err != nil {
				t.Fatal(err)
			}
			svc := &publication.Service{Store: s, Clock: clock.NewFixed(v.at)}
			if _, err := svc.PublishFrom(ctx, p, v.src, audit.System("serve"), policy.Text{NL: v.summary, EN: v.summary}, v.effective); err != nil {
				t.Fatal(err)
			}
		}
		last := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertAccount(ctx, &account.Account{ID: "a_1", Email: "p1@example.org", Pseudonym: string(audit.NewPseudonym()),
				CreatedAt: last, ConfirmedAt: last, LastLoginAt: last, LastActivityAt: last})
		}); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run(t, env, "retention", "plan", "--as-of", "2026-12-03", "--rule", "website_account_inactive")
		if want := "delete 1 year after the last login (1 June 2025), on 1 June 2026"; code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("plan before the effective date: exit %d, want %q\n%s%s", code, want, stdout, stderr)
		}
		code, stdout, stderr = run(t, env, "retention", "plan", "--as-of", "2026-12-05", "--rule", "website_account_inactive", "--format", "json")
		if code != 0 || !strings.Contains(stdout, `"delete": 0`) || strings.Contains(stdout, "1 June 2026") {
			t.Errorf("plan from the effective date: exit %d, want nothing due\n%s%s", code, stdout, stderr)
		}
	})
}
