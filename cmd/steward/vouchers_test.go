package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/learning"
	"steward/organisation"
	"steward/policy"
	"steward/store"
	"steward/voucher"
)

// TestVouchersCreateCommand (issue 17 item 1, R6): 'vouchers create'
// writes a batch's codes once as CSV, to stdout or a new --out file (mode
// 0600); the organisation's manager may create for their organisation
// only; a past or malformed expiry, a count out of range, an unknown
// course, a person who is not staff, another organisation's manager and an
// --out file in the way are refused with one line and change nothing
// (both stores).
func TestVouchersCreateCommand(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_DB": db,
			"STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_STAFF": "st_mgr"}
		s := openTestStore(t, env)
		now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) // testApp's clock
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, o := range []string{"org-a", "org-b"} {
				if err := tx.InsertOrganisation(ctx, &organisation.Organisation{ID: o, Name: "Naam " + o, CreatedAt: now}); err != nil {
					return err
				}
			}
			for _, a := range []*account.Account{
				{ID: "st_mgr", Email: "mgr@example.org", Role: account.RoleOrganisationManager, OrganisationID: "org-a", Pseudonym: string(audit.NewPseudonym())},
				{ID: "a-person", Email: "p@example.org", Pseudonym: string(audit.NewPseudonym())},
			} {
				if err := tx.InsertAccount(ctx, a); err != nil {
					return err
				}
			}
			return tx.PutCourse(ctx, &learning.Course{Slug: "polyfarmacie", Title: policy.Text{NL: "Polyfarmacie", EN: "Polypharmacy"}, Published: true}, now)
		}); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		taken := filepath.Join(dir, "taken.csv")
		if err := os.WriteFile(taken, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		next := now.AddDate(0, 1, 0).Format(time.DateOnly)
		good := []string{"--organisation", "org-a", "--course", "polyfarmacie", "--count", "3", "--expires", next, "--label", "Team noord"}
		with := func(k, v string) []string {
			out := append([]string(nil), good...)
			for i := range out {
				if out[i] == k {
					out[i+1] = v
				}
			}
			return out
		}
		since := testkit.AuditHead(t, s)
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			{"past", with("--expires", now.AddDate(0, 0, -1).Format(time.DateOnly)), "day after today"},
			{"not a date", with("--expires", "soon"), "must be a date"},
			{"count", with("--count", "0"), "from 1 to"},
			{"course", with("--course", "nope"), "course"},
			{"other organisation", with("--organisation", "org-b"), "another role"},
			{"not staff", append(append([]string(nil), good...), "--staff", "a-person"), "not a staff account"},
			{"out in the way", append(append([]string(nil), good...), "--out", taken), "exists"},
		} {
			code, _, stderr := run(t, env, append([]string{"vouchers", "create"}, tc.args...)...)
			if code == 0 || !strings.Contains(strings.ToLower(stderr), tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%s: exit %d, stderr %q; want one line with %q", tc.name, code, stderr, tc.want)
			}
		}
		testkit.AssertAudit(t, s, since)
		if bs, _ := s.VoucherBatches(ctx, "org-a"); len(bs) != 0 {
			t.Fatalf("refusals stored %+v", bs)
		}

		code, out, stderr := run(t, env, append([]string{"vouchers", "create"}, good...)...)
		if code != 0 {
			t.Fatalf("create: exit %d %s", code, stderr)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != "code,course,expires,label" || rows[1][1] != "polyfarmacie" || rows[1][2] != next || rows[1][3] != "Team noord" {
			t.Fatalf("CSV %q %v", out, err)
		}
		for _, r := range rows[1:] {
			n, err := voucher.Normalise(r[0])
			if err != nil {
				t.Fatalf("code %q: %v", r[0], err)
			}
			if b, used, err := s.VoucherByHash(ctx, voucher.Hash(n)); err != nil || used || b.Count != 3 || b.Organisation != "org-a" {
				t.Fatalf("stored code: %+v %v %v", b, used, err)
			}
		}
		file := filepath.Join(dir, "codes.csv")
		if code, out, stderr := run(t, env, append(append([]string{"vouchers", "create"}, with("--count", "2")...), "--out", file)...); code != 0 || out != "" || !strings.Contains(stderr, "2 codes written") {
			t.Fatalf("--out: exit %d %q %q", code, out, stderr)
		}
		if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("the CSV file: %v %v", st, err)
		}
		if bs, _ := s.VoucherBatches(ctx, "org-a"); len(bs) != 2 {
			t.Fatalf("batches: %+v", bs)
		}
		created := testkit.AuditWant{Action: audit.VoucherCreate, Actor: audit.Staff("st_mgr"), ObjectKind: "voucher_batch"}
		testkit.AssertAudit(t, s, since, created, created)
	})
}
