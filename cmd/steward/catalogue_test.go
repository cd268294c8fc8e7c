package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"steward/internal/testkit"
)

// TestCatalogueImportCommand (issue 18): 'catalogue import' loads the
// shipped sample file (a few hundred functies and opleidingen); importing
// it again changes nothing; a file with a wrong row exits 1 with one line
// naming the row's line and changes nothing; a CSV file that no longer
// holds an item retires it; a site whose policy has no catalogue is
// refused. Both stores.
func TestCatalogueImportCommand(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		dir := t.TempDir()
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key"), "STEWARD_DB": db,
			"STEWARD_POLICY": testkit.PolicyPath(t, "zorginspirator")}
		s := openTestStore(t, env)
		sample := filepath.Join(testkit.RepoRoot(t), "policies", "content", "zorginspirator-catalogue.json")
		code, out, errOut := run(t, env, "catalogue", "import", sample)
		if code != 0 || !strings.Contains(out, "220 functies, 140 opleidingen; 360 added") {
			t.Fatalf("sample import: exit %d\n%s%s", code, out, errOut)
		}
		code, out, _ = run(t, env, "catalogue", "import", sample)
		if code != 0 || !strings.Contains(out, "0 added, 0 changed, 360 unchanged, 0 retired") {
			t.Fatalf("second import: exit %d\n%s", code, out)
		}
		write := func(name, data string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		const head = "id,kind,title,description,sector,level,region,hours\n"
		bad := write("bad.csv", head+"F-00001,job,Verpleegkundige,,ziekenhuis,hbo,utrecht,32\nF-00002,job,Arts,,ziekenhuis,hbo,utrecht,80\n")
		code, out, errOut = run(t, env, "catalogue", "import", bad)
		if code != 1 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "bad.csv line 3: hours") {
			t.Errorf("a wrong row: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		all, err := s.CatalogueAll(context.Background())
		if err != nil || len(all) != 360 || !all[0].Retired.IsZero() {
			t.Fatalf("after the refused file: %d items, %v", len(all), err)
		}
		small := write("small.csv", head+"F-00001,job,Verpleegkundige,Zorg,ziekenhuis,hbo,utrecht,32\n")
		code, out, _ = run(t, env, "catalogue", "import", small)
		if code != 0 || !strings.Contains(out, "1 functies, 0 opleidingen; 0 added, 1 changed, 0 unchanged, 359 retired") {
			t.Errorf("a smaller file: exit %d\n%s", code, out)
		}
		env["STEWARD_POLICY"] = testkit.PolicyPath(t, "ivm")
		code, _, errOut = run(t, env, "catalogue", "import", sample)
		if code != 1 || !strings.Contains(errOut, "site ivm has no catalogue") {
			t.Errorf("IVM: exit %d, %q", code, errOut)
		}
	})
}
