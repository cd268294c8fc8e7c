package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// TestCoursesImportCommand (issue 16, R5): 'courses import' loads a CSV
// or JSON catalogue by slug; the same file again changes nothing; a file
// with one wrong line changes nothing and the one-line error names the
// line; a file of another kind, a policy without courses and a non-staff
// actor are refused (both stores).
func TestCoursesImportCommand(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		dir := t.TempDir()
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_DB": db,
			"STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_STAFF": "st_po"}
		s := openTestStore(t, env)
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertAccount(ctx, &account.Account{ID: "st_po", Email: "po@example.org", Role: account.RolePrivacyOfficer, Pseudonym: string(audit.NewPseudonym())})
		}); err != nil {
			t.Fatal(err)
		}
		file := func(name, body string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		head := "slug,title_nl,title_en,description_nl,description_en,lms_course_id,points,price_cents,published\n"
		good := file("catalogue.csv", head+"medicatiebewaking,Medicatiebewaking,Medication monitoring,,,42,knmp:2,0,true\npolyfarmacie,Polyfarmacie,Polypharmacy,,,43,,4950,true\n")
		since := testkit.AuditHead(t, s)
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			{"bad line", []string{file("bad.csv", head+"a,A,A,,,,,0,true\nb,B,B,,,,,-1,true\n")}, "line 3: price_cents"},
			{"bad json", []string{file("bad.json", "[\n  {\"slug\": \"a\", \"title_nl\": \"A\", \"title_en\": \"A\"},\n  {\"slug\": \"a\", \"title_nl\": \"A\", \"title_en\": \"A\"}\n]\n")}, "line 3: slug"},
			{"other kind", []string{file("catalogue.txt", "x")}, ".csv or .json"},
			{"no file", []string{filepath.Join(dir, "none.csv")}, "does not exist"},
			{"no courses on the site", []string{good, "--policy", testkit.PolicyPath(t, "zorginspirator")}, "no courses"},
			{"not staff", []string{good, "--staff", "nobody"}, "not a staff account"},
		} {
			code, _, stderr := run(t, env, append([]string{"courses", "import"}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%s: exit %d, stderr %q; want 1 and one line with %q", tc.name, code, stderr, tc.want)
			}
		}
		if cs, _ := s.Courses(ctx, false); len(cs) != 0 {
			t.Fatalf("refused imports stored %+v", cs)
		}
		testkit.AssertAudit(t, s, since)
		if code, out, stderr := run(t, env, "courses", "import", good); code != 0 || out != "2 courses: 2 added, 0 changed, 0 unchanged\n" {
			t.Fatalf("import: exit %d %q %s", code, out, stderr)
		}
		if code, out, _ := run(t, env, "courses", "import", good); code != 0 || out != "2 courses: 0 added, 0 changed, 2 unchanged\n" {
			t.Fatalf("the same import again: exit %d %q", code, out)
		}
		js := file("catalogue.json", `[{"slug": "polyfarmacie", "title_nl": "Polyfarmacie", "title_en": "Polypharmacy", "lms_course_id": "43", "price_cents": 5950, "published": true}]`)
		if code, out, _ := run(t, env, "courses", "import", js); code != 0 || out != "1 courses: 0 added, 1 changed, 0 unchanged\n" {
			t.Fatalf("the JSON import: exit %d %q", code, out)
		}
		c, err := s.Course(ctx, "polyfarmacie")
		if err != nil || c.PriceCents != 5950 {
			t.Fatalf("after the JSON import: %+v, %v", c, err)
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.CourseImport, Actor: audit.Staff("st_po"), ObjectID: "medicatiebewaking"},
			testkit.AuditWant{Action: audit.CourseImport, Actor: audit.Staff("st_po"), ObjectID: "polyfarmacie"},
			testkit.AuditWant{Action: audit.CourseImport, Actor: audit.Staff("st_po"), ObjectID: "polyfarmacie", Fields: []string{"price_cents"}})
	})
}
