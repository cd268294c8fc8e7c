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

// TestProductsImportCommand (issue 17 item 5, R5): 'products import'
// loads publications and materials from CSV or JSON by slug, like
// 'courses import'; the same file again changes nothing; a wrong line,
// a file name that is a path, another kind of file, a policy without a
// shop and a non-staff actor are refused with one line naming the
// problem, and nothing changes (both stores).
func TestProductsImportCommand(t *testing.T) {
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
		head := "slug,title_nl,title_en,description_nl,description_en,price_cents,vat_percent,format,file,free_for_account_holders,published\n"
		good := file("products.csv", head+"handboek,Handboek,Handbook,,,2495,9,file,handboek.pdf,false,true\nposter,Poster,Poster,,,500,21,physical,,false,true\n")
		since := testkit.AuditHead(t, s)
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			{"bad vat", []string{file("bad.csv", head+"a,A,A,,,100,21,physical,,false,true\nb,B,B,,,100,19,physical,,false,true\n")}, "line 3: vat_percent"},
			{"path as file", []string{file("path.csv", head+"a,A,A,,,100,21,file,../../etc/passwd,false,true\n")}, "line 2: file"},
			{"bad json", []string{file("bad.json", "[\n  {\"slug\": \"a\", \"title_nl\": \"A\", \"title_en\": \"A\", \"vat_percent\": 21, \"format\": \"physical\"},\n  {\"slug\": \"a\", \"title_nl\": \"A\", \"title_en\": \"A\", \"vat_percent\": 21, \"format\": \"physical\"}\n]\n")}, "line 3: slug"},
			{"other kind", []string{file("products.txt", "x")}, ".csv or .json"},
			{"no shop on the site", []string{good, "--policy", testkit.PolicyPath(t, "zorginspirator")}, "declares no orders"},
			{"not staff", []string{good, "--staff", "nobody"}, "not a staff account"},
		} {
			code, _, stderr := run(t, env, append([]string{"products", "import"}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%s: exit %d, stderr %q; want 1 and one line with %q", tc.name, code, stderr, tc.want)
			}
		}
		if ps, _ := s.Products(ctx, false); len(ps) != 0 {
			t.Fatalf("refused imports stored %+v", ps)
		}
		testkit.AssertAudit(t, s, since)
		if code, out, stderr := run(t, env, "products", "import", good); code != 0 || out != "2 products: 2 added, 0 changed, 0 unchanged\n" {
			t.Fatalf("import: exit %d %q %s", code, out, stderr)
		}
		if code, out, _ := run(t, env, "products", "import", good); code != 0 || out != "2 products: 0 added, 0 changed, 2 unchanged\n" {
			t.Fatalf("the same import again: exit %d %q", code, out)
		}
		js := file("products.json", `[{"slug": "poster", "title_nl": "Poster", "title_en": "Poster", "price_cents": 750, "vat_percent": 21, "format": "physical", "published": true}]`)
		if code, out, _ := run(t, env, "products", "import", js); code != 0 || out != "1 products: 0 added, 1 changed, 0 unchanged\n" {
			t.Fatalf("the JSON import: exit %d %q", code, out)
		}
		if p, err := s.Product(ctx, "poster"); err != nil || p.PriceCents != 750 {
			t.Fatalf("after the JSON import: %+v, %v", p, err)
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.ProductImport, Actor: audit.Staff("st_po"), ObjectID: "handboek"},
			testkit.AuditWant{Action: audit.ProductImport, Actor: audit.Staff("st_po"), ObjectID: "poster"},
			testkit.AuditWant{Action: audit.ProductImport, Actor: audit.Staff("st_po"), ObjectID: "poster", Fields: []string{"price_cents"}},
		)
	})
}

// TestServeRefusesABadMollieKey (issue 17 item 6): the Mollie API key
// comes from configuration (STEWARD_MOLLIE_KEY or --mollie-key-file); one
// that is not a test_ or live_ key stops serve with one line that does
// not repeat it, before anything is created.
func TestServeRefusesABadMollieKey(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "steward.db")
	env := map[string]string{"STEWARD_DB": "sqlite:" + db, "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_ADDR": "127.0.0.1:0",
		"STEWARD_MOLLIE_KEY": "sk_secretvalue123"}
	code, out, errOut := run(t, env, "serve")
	if code != 1 || !strings.Contains(errOut, "test_ or live_") || strings.Contains(out+errOut, "secretvalue") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("bad key in the environment: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	delete(env, "STEWARD_MOLLIE_KEY")
	keyFile := filepath.Join(dir, "mollie.key")
	if err := os.WriteFile(keyFile, []byte("live-secretvalue123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, env, "serve", "--mollie-key-file", keyFile)
	if code != 1 || !strings.Contains(errOut, "test_ or live_") || strings.Contains(out+errOut, "secretvalue") {
		t.Fatalf("bad key in a file: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("a bad Mollie key created the database (stat err %v)", err)
	}
}
