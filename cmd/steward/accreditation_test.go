package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/learning"
	"steward/policy"
	"steward/store"
)

// TestAccreditationExportCommand (issue 16 item 6, R8): 'accreditation
// export' writes the register's file with each person's full registration
// number (opened with the data key) and the course's points in that
// register; a person without a number is named on stderr by account id
// and left out; each written accreditation gets reported_at and each
// person a disclosure to PE-online, audited with ids and field names;
// running it again writes no line twice, --again does; a register no
// course earns points in, a missing data key and an existing file are
// refused with nothing recorded (both stores).
func TestAccreditationExportCommand(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		dir := t.TempDir()
		key := account.NewKey()
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_DB": db,
			"STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_STAFF": "st_po", "STEWARD_DATA_KEY": key,
			"STEWARD_KEY_FILE": filepath.Join(t.TempDir(), "none.key")}
		s := openTestStore(t, env)
		p := testkit.Policy(t, "ivm")
		k, _ := account.ParseKey(key)
		sealer, _ := account.NewSealer(k)
		now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		accs := map[string]int64{}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, &account.Account{ID: "st_po", Email: "po@example.org", Role: account.RolePrivacyOfficer, Pseudonym: string(audit.NewPseudonym())}); err != nil {
				return err
			}
			for _, c := range []learning.Course{
				{Slug: "medicatiebewaking", Title: policy.Text{NL: "M", EN: "M"}, LMSCourseID: "42", Points: []learning.Points{{Register: "knmp", Points: 2}, {Register: "krp", Points: 3}}, Published: true},
				{Slug: "polyfarmacie", Title: policy.Text{NL: "P", EN: "P"}, LMSCourseID: "43", Points: []learning.Points{{Register: "krp", Points: 4}}, Published: true},
			} {
				if err := tx.PutCourse(ctx, &c, now); err != nil {
					return err
				}
			}
			for _, person := range []struct{ id, number, course, day string }{
				{"a_anna", "12345678901", "medicatiebewaking", "2026-11-10"},
				{"a_bob", "", "medicatiebewaking", "2026-11-11"},
				{"a_cees", "10987654321", "polyfarmacie", "2026-11-12"},      // no knmp points
				{"a_dirk", "11112222333", "medicatiebewaking", "2026-01-05"}, // before --since
			} {
				if err := tx.InsertAccount(ctx, &account.Account{ID: person.id, Email: person.id + "@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: now}); err != nil {
					return err
				}
				if err := tx.InsertRecord(ctx, p, &store.Record{Subject: person.id, Kind: "lms_account", CreatedAt: now}); err != nil {
					return err
				}
				if person.number != "" {
					sealed := sealer.SealField(person.id, "lms_account", "register_number", person.number)
					if err := tx.PutProfile(ctx, p, person.id, "lms_account", account.Values{"register_number": sealed}, now); err != nil {
						return err
					}
				}
				r := &store.Record{Subject: person.id, Kind: "accreditation", CreatedAt: now,
					Values: map[string]string{"course": person.course, "points": "3", "completed_at": person.day}}
				if err := tx.InsertRecord(ctx, p, r); err != nil {
					return err
				}
				accs[person.id] = r.ID
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "knmp.csv")
		since := testkit.AuditHead(t, s)
		for _, tc := range []struct {
			name string
			args []string
			env  map[string]string
			want string
		}{
			{"unknown register", []string{"--register", "nvza", "--since", "2026-06-01", "--out", out}, nil, "no course of the catalogue earns points in register nvza"},
			{"no since", []string{"--register", "knmp", "--out", out}, nil, "since"},
			{"no data key", []string{"--register", "knmp", "--since", "2026-06-01", "--out", out}, map[string]string{"STEWARD_DATA_KEY": ""}, "key"},
			{"not staff", []string{"--register", "knmp", "--since", "2026-06-01", "--out", out, "--staff", "nobody"}, nil, "not a staff account"},
		} {
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			for k, v := range tc.env {
				e[k] = v
			}
			code, _, stderr := run(t, e, append([]string{"accreditation", "export"}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%s: exit %d, stderr %q; want 1 and one line with %q", tc.name, code, stderr, tc.want)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("a refused export wrote its file")
		}
		testkit.AssertAudit(t, s, since)

		code, stdout, stderr := run(t, env, "accreditation", "export", "--register", "knmp", "--since", "2026-06-01", "--out", out)
		if code != 0 || !strings.Contains(stdout, "1 accreditations of 1 people") || stderr != "skipped: account a_bob (accreditation "+itoa(accs["a_bob"])+") has no register number\n" {
			t.Fatalf("export: exit %d %q %q", code, stdout, stderr)
		}
		b, _ := os.ReadFile(out)
		if want := "registratienummer,cursus,lms_cursus_id,punten,datum_afgerond\nBIG-12345678901,medicatiebewaking,42,2,2026-11-10\n"; string(b) != want {
			t.Fatalf("the file:\n%s\nwant:\n%s", b, want)
		}
		if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
			t.Errorf("the file's mode %v, want 0600", fi.Mode().Perm())
		}
		recs, _ := s.RecordsOf(ctx, "a_anna")
		for _, r := range recs {
			if r.Kind == "accreditation" && r.Values["reported_at"] != "2026-11-24" {
				t.Fatalf("anna's accreditation %+v, want reported_at 2026-11-24", r.Values)
			}
		}
		dis, _ := s.DisclosuresOf(ctx, "a_anna", false)
		if len(dis) != 1 || dis[0].Recipient != "PE-online" || dis[0].Ground != "pe_online" || strings.Join(dis[0].Categories, ",") != "lms_account,accreditation" {
			t.Fatalf("anna's disclosures %+v", dis)
		}
		if dis, _ := s.DisclosuresOf(ctx, "a_bob", false); len(dis) != 0 {
			t.Fatalf("bob, skipped, has disclosures %+v", dis)
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.AccreditationReport, Actor: audit.Staff("st_po"), ObjectID: itoa(accs["a_anna"])},
			testkit.AuditWant{Action: audit.DisclosureRecord, Actor: audit.Staff("st_po"), ObjectID: dis[0].ID},
		)
		testkit.AssertNoPersonalValues(t, s, "12345678901")

		again := filepath.Join(dir, "again.csv")
		if code, stdout, _ := run(t, env, "accreditation", "export", "--register", "knmp", "--since", "2026-06-01", "--out", again); code != 0 || !strings.Contains(stdout, "0 accreditations") {
			t.Fatalf("a second run: exit %d %q", code, stdout)
		}
		if b, _ := os.ReadFile(again); strings.Contains(string(b), "BIG-") {
			t.Fatalf("a second run wrote a line again:\n%s", b)
		}
		if code, _, stderr := run(t, env, "accreditation", "export", "--register", "knmp", "--since", "2026-06-01", "--out", again); code != 1 || !strings.Contains(stderr, "exists") {
			t.Fatalf("an existing file: exit %d %q", code, stderr)
		}
		forced := filepath.Join(dir, "forced.csv")
		if code, _, _ := run(t, env, "accreditation", "export", "--register", "krp", "--since", "2026-06-01", "--out", forced, "--again", "--number-prefix", ""); code != 0 {
			t.Fatalf("--again for krp: exit %d", code)
		}
		if b, _ := os.ReadFile(forced); string(b) != "registratienummer,cursus,lms_cursus_id,punten,datum_afgerond\n12345678901,medicatiebewaking,42,3,2026-11-10\n10987654321,polyfarmacie,43,4,2026-11-12\n" {
			t.Fatalf("the krp file with --again:\n%s", b)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
