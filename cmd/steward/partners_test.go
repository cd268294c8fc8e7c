package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/anonymise"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// seedPartnerPeople stores n confirmed people with Zorginspirator's
// profile and one saved item each, from fixed tables (no randomness: the
// test's expectations do not move).
func seedPartnerPeople(t *testing.T, s *store.Store, from, n int, job string) {
	t.Helper()
	ctx := context.Background()
	p := testkit.Policy(t, "zorginspirator")
	genders := []string{"female", "male", "female", "other", "undisclosed"}
	jobs := []string{"verpleegkundige", "verzorgende ig", "huisarts", "fysiotherapeut", "begeleider", "teamleider"}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("acc%03d", i)
		j := job
		if j == "" {
			j = jobs[i%len(jobs)]
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()),
				CreatedAt: at, ConfirmedAt: at}); err != nil {
				return err
			}
			if err := tx.PutProfile(ctx, p, id, "profile", account.Values{"gender": genders[i%len(genders)],
				"age": fmt.Sprint(20 + (i*7)%45), "postcode": fmt.Sprintf("%04d AB", 1000+(i*137)%9000), "current_job": j,
				"work_preferences": []string{"parttime", "fulltime", "nachtdienst"}[i%3]}, at); err != nil {
				return err
			}
			return tx.InsertRecord(ctx, p, &store.Record{Subject: id, Kind: "saved_item", CreatedAt: at,
				Values: map[string]string{"kind": []string{"job", "course"}[i%2], "item": []string{"Wondzorg", "Triage", "Palliatieve zorg"}[i%3]}})
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPartnersExportCommand (Z6, issue 19): 'partners export' writes, for
// both of Zorginspirator's partners, a file whose every combination of
// quasi-identifiers an independent count finds at least min_k times, with
// only the partner's fields, from live people whose processing for the
// export's purpose is allowed; the report beside it; and a disclosure in
// partner_exports and the audit log (ids and field names only). Each bad
// input — an unknown partner, a processor that is no anonymised
// recipient, a field not allowed, a subset of fields without a
// quasi-identifier the earlier exports were cut on, a policy with min_k
// below 2, a value
// the job hierarchy does not cover, an l that cannot be met — is exit 1
// with one line, no file and no disclosure (both stores).
func TestPartnersExportCommand(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		dir := t.TempDir()
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_DB": db,
			"STEWARD_POLICY": testkit.PolicyPath(t, "zorginspirator"), "STEWARD_STAFF": "st_po"}
		s := openTestStore(t, env)
		defer s.Close()
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, &account.Account{ID: "st_po", Email: "po@example.org", Role: account.RolePrivacyOfficer, Pseudonym: string(audit.NewPseudonym())}); err != nil {
				return err
			}
			// Not live: never confirmed.
			return tx.InsertAccount(ctx, &account.Account{ID: "acc_unconfirmed", Email: "u@example.org", Pseudonym: string(audit.NewPseudonym())})
		}); err != nil {
			t.Fatal(err)
		}
		seedPartnerPeople(t, s, 0, 62, "")
		// One restricted while a dispute runs, one objected to the purpose.
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.SetProcessingLimit(ctx, store.ProcessingLimit{Subject: "acc000", Kind: "restriction", Purpose: "*", Since: time.Now()}); err != nil {
				return err
			}
			return tx.SetProcessingLimit(ctx, store.ProcessingLimit{Subject: "acc001", Kind: "objection", Purpose: "usability", Since: time.Now()})
		}); err != nil {
			t.Fatal(err)
		}
		p := testkit.Policy(t, "zorginspirator")
		since := testkit.AuditHead(t, s)

		for _, partner := range []string{"fwg", "marktmonitor"} {
			out := filepath.Join(dir, partner+".csv")
			code, stdout, stderr := run(t, env, "partners", "export", "--partner", partner, "--out", out)
			if code != 0 || !strings.Contains(stdout, "of 62 records released") || !strings.Contains(stdout, "2 excluded") ||
				!strings.Contains(stdout, "of 60 live accounts, 0 of 0 anonymised accounts' statistics") {
				t.Fatalf("%s: exit %d %q %s", partner, code, stdout, stderr)
			}
			e := p.Processor(partner).Export
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil || len(rows) < 2 {
				t.Fatalf("%s: %d rows, %v", partner, len(rows), err)
			}
			if strings.Join(rows[0], ",") != strings.Join(e.Fields, ",") {
				t.Fatalf("%s: header %v, want the policy's fields %v", partner, rows[0], e.Fields)
			}
			// The independent count: group the rows by the quasi-identifier
			// columns (those not sensitive) and count.
			groups, distinct := map[string]int{}, map[string]map[string]bool{}
			for _, r := range rows[1:] {
				var key, sens []string
				for j, col := range rows[0] {
					if strings.Contains(strings.Join(e.Sensitive, " "), col) {
						sens = append(sens, col+"="+r[j])
					} else {
						key = append(key, r[j])
					}
				}
				k := strings.Join(key, "\x00")
				groups[k]++
				for _, s := range sens {
					c, _, _ := strings.Cut(s, "=")
					if distinct[k+c] == nil {
						distinct[k+c] = map[string]bool{}
					}
					distinct[k+c][s] = true
				}
			}
			for k, n := range groups {
				if n < e.MinK {
					t.Errorf("%s: combination %q is shared by %d rows, want ≥ %d", partner, k, n, e.MinK)
				}
			}
			for k, d := range distinct {
				if len(d) < e.MinL {
					t.Errorf("%s: group %q shows %d distinct sensitive values, want ≥ %d", partner, k, len(d), e.MinL)
				}
			}
			for _, r := range rows[1:] {
				if strings.Contains(strings.Join(r, ","), "@") || strings.Contains(strings.Join(r, ","), "acc0") {
					t.Fatalf("%s: row %v holds an address or account id", partner, r)
				}
			}
			var rep struct {
				Partner       string
				Excluded      int `json:"excluded_by_processing_limits"`
				Anonymisation anonymise.Report
			}
			data, err := os.ReadFile(out + ".report.json")
			if err != nil || json.Unmarshal(data, &rep) != nil {
				t.Fatalf("%s: report %v %s", partner, err, data)
			}
			a := rep.Anonymisation
			if rep.Partner != partner || rep.Excluded != 2 || a.Records != 60 || a.Released != len(rows)-1 || a.Suppressed != 60-a.Released ||
				a.Suppressed > 60*e.MaxSuppressedPercent/100 || a.K < e.MinK || a.L < e.MinL || a.Classes != len(groups) || len(a.Attributes) != 4 || a.Algorithm != anonymise.Algorithm {
				t.Errorf("%s: report %+v does not match the file (%d rows, %d groups)", partner, rep, len(rows)-1, len(groups))
			}
			exps, err := s.PartnerExports(ctx, partner)
			if err != nil || len(exps) != 1 || exps[0].Released != a.Released || exps[0].Records != 62 || len(exps[0].ReportSHA256) != 64 {
				t.Fatalf("%s: disclosures %+v %v", partner, exps, err)
			}
		}
		var n int
		if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'export.anonymised'
			AND object_kind = 'partner_export' AND actor = 'staff:st_po' AND (object_id LIKE 'fwg:pe-%' OR object_id LIKE 'marktmonitor:pe-%')`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("audit: %d export.anonymised entries, %v", n, err)
		}

		// Refusals: nothing written, nothing recorded.
		low := filepath.Join(dir, "low.yaml")
		high := filepath.Join(dir, "high.yaml")
		src, _ := os.ReadFile(testkit.PolicyPath(t, "zorginspirator"))
		os.WriteFile(low, []byte(strings.Replace(string(src), "min_k: 5\n      min_l: 2", "min_k: 1\n      min_l: 1", 1)), 0o600)
		os.WriteFile(high, []byte(strings.Replace(string(src), "min_l: 2", "min_l: 4", 1)), 0o600)
		head := testkit.AuditHead(t, s)
		refuse := func(name, want string, args ...string) {
			t.Helper()
			out := filepath.Join(dir, "refused.csv")
			code, _, stderr := run(t, env, append([]string{"partners", "export", "--out", out}, args...)...)
			if code != 1 || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%s: exit %d, stderr %q; want 1 and one line with %q", name, code, stderr, want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 6 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("%s: files %v; want nothing new", name, names)
			}
		}
		refuse("unknown partner", "names no analysis partner", "--partner", "nosuch")
		refuse("not anonymised", "names no analysis partner", "--partner", "google")
		refuse("field not allowed", "account.username is not among the fields", "--partner", "fwg", "--fields", "profile.age,account.username")
		refuse("other quasi-identifiers", "earlier exports were partitioned on profile.age, profile.current_job, profile.gender, profile.postcode",
			"--partner", "fwg", "--fields", "profile.gender,profile.postcode,profile.current_job,profile.work_preferences")
		refuse("min_k below 2", "needs min_k of at least 2", "--partner", "fwg", "--policy", low)
		refuse("l cannot be met", "no generalisation reaches k = 5 and l = 4", "--partner", "fwg", "--policy", high)
		seedPartnerPeople(t, s, 100, 1, "astronaut")
		refuse("value not covered", "a value of profile.current_job is not covered", "--partner", "fwg")
		if got := testkit.AuditHead(t, s); got != head {
			t.Errorf("refusals appended audit entries: head %d, was %d", got, head)
		}
		if exps, _ := s.PartnerExports(ctx, "fwg"); len(exps) != 1 {
			t.Errorf("refusals recorded disclosures: %d", len(exps))
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.ExportAnonymised, Actor: audit.Staff("st_po"), ObjectKind: "partner_export", ObjectID: auditObject(t, s, "fwg"), Fields: p.Processor("fwg").Export.Fields},
			testkit.AuditWant{Action: audit.ExportAnonymised, Actor: audit.Staff("st_po"), ObjectKind: "partner_export", ObjectID: auditObject(t, s, "marktmonitor"), Fields: p.Processor("marktmonitor").Export.Fields})
	})
}

// auditObject is the audit object id of the partner's one export.
func auditObject(t *testing.T, s *store.Store, partner string) string {
	exps, err := s.PartnerExports(context.Background(), partner)
	if err != nil || len(exps) != 1 {
		t.Fatalf("%s: %v %v", partner, exps, err)
	}
	return partner + ":" + exps[0].ID
}
