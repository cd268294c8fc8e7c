package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
)

// commandArgs are command lines that get each command past its own checks
// of flags and arguments to where it opens the database, so the tests
// below see what it does with the database and its keys. Every command in
// the table has one: a new command is classified (its db) and tried here.
func commandArgs(t *testing.T, pol string) map[string][]string {
	t.Helper()
	files := t.TempDir() // input and output files, apart from the directories the tests watch
	body := filepath.Join(files, "body.txt")
	if err := os.WriteFile(body, []byte("Nieuws."), 0o600); err != nil {
		t.Fatal(err)
	}
	products := filepath.Join(files, "products.json")
	if err := os.WriteFile(products, []byte(`[{"slug": "p-1", "title_nl": "Boek", "title_en": "Book", "price_cents": 1000, "vat_percent": 9, "format": "physical"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	courses := filepath.Join(files, "courses.json")
	if err := os.WriteFile(courses, []byte(`[{"slug": "c-1", "title_nl": "Cursus", "title_en": "Course"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string][]string{
		"accreditation export":        {"--register", "knmp", "--since", "2026-01-01", "--out", filepath.Join(files, "pe-online.csv")},
		"api-keys create":             {"--recipient", "avetica", "--scope", "xapi"},
		"api-keys list":               {},
		"api-keys revoke":             {"ak_0123456789abcdef"},
		"api-keys rotate":             {"ak_0123456789abcdef"},
		"audit bench":                 nil, // scratch database: not run here
		"audit checkpoint":            {},
		"audit export":                {"--since", "2026-01-01"},
		"audit pubkey":                {},
		"audit tail":                  {},
		"audit verify":                {"--no-signatures"},
		"clients add":                 {"--name", "lms", "--recipient", "avetica", "--redirect-uri", "https://lms.example/admin/oauth2callback.php"},
		"clients keys rotate":         {},
		"clients list":                {},
		"clients revoke":              {"lms"},
		"clients rotate-secret":       {"lms"},
		"consent receipt":             {"--subject", "a-1"},
		"consent verify-receipt":      {filepath.Join(files, "no-receipt.json")},
		"courses import":              {courses},
		"products import":             {products},
		"disclosures add":             {"--subject", "a-1", "--ground", "court_order", "--categories", "account"},
		"disclosures list":            {"--subject", "a-1"},
		"keygen":                      {},
		"lms list":                    {},
		"lms send-due":                {"--lms-url", "https://moodle.example"},
		"mail list":                   {},
		"mail prune":                  {},
		"mail send-due":               {},
		"mail show":                   {"1"},
		"migrate":                     {},
		"newsletter purge":            {},
		"newsletter send":             {"--subject", "Nieuws", "--body", body, "--base-url", "https://site.example"},
		"organisations add":           {"Ziekenhuis Noord"},
		"organisations invite":        {"anna@example.org", "--organisation", "org-1", "--base-url", "https://site.example"},
		"organisations list":          {},
		"organisations remove-member": {"anna@example.org", "--organisation", "org-1"},
		"panel export":                {"--policy", testkit.PolicyPath(t, "zorginspirator")},
		"panel invite":                {"--policy", testkit.PolicyPath(t, "zorginspirator"), "--survey", "https://survey.example/s1", "--base-url", "https://site.example"},
		"partners export":             {"--partner", "fwg", "--out", filepath.Join(files, "fwg.csv"), "--policy", testkit.PolicyPath(t, "zorginspirator")},
		"catalogue import":            {filepath.Join(testkit.RepoRoot(t), "policies", "content", "zorginspirator-catalogue.json"), "--policy", testkit.PolicyPath(t, "zorginspirator")},
		"policy check":                {pol},
		"usage report":                {"--policy", testkit.PolicyPath(t, "zorginspirator")},
		"policy diff":                 {"1", "2"},
		"policy notices":              {"--dry-run"},
		"policy publish":              {pol, "--summary-nl", "Nieuw", "--summary-en", "New"},
		"policy render":               {},
		"requests add":                {"--subject", "a-1", "--type", "access", "--channel", "email", "--received", "2026-11-20"},
		"requests complete":           {"r-1"},
		"requests export":             {"r-1", "--out", filepath.Join(files, "export.zip")},
		"requests extend":             {"r-1", "--period", "P2M", "--reason", "many records"},
		"requests lift-restriction":   {"--subject", "a-1", "--reason", "resolved"},
		"requests list":               {},
		"requests rectify":            {"r-1", "--set", "account.last_name=Visser"},
		"requests show":               {"r-1"},
		"requests verify":             {"r-1", "--note", "passport seen"},
		"retention bench":             nil, // scratch database: not run here
		"retention override list":     {},
		"retention override remove":   {"--id", "1"},
		"retention override set":      {"--organisation", "org-1", "--rule", "website_account_with_orders", "--period", "P5Y", "--contract", "C-1", "--from", "2026-01-01"},
		"retention plan":              {},
		"retention run":               {},
		"serve":                       nil, // creates its database: the serve tests
		"staff add":                   {"po@example.nl", "--role", "privacy_officer", "--base-url", "https://site.example"},
		"staff link":                  {"po@example.nl", "--base-url", "https://site.example"},
		"staff reset-mfa":             {"po@example.nl", "--base-url", "https://site.example"},
		"version":                     {},
		"vouchers create":             {"--organisation", "org-1", "--course", "c-1", "--count", "2", "--expires", "2027-01-01"},
	}
}

// commandEnv is the environment the access tests run commands with: the
// policy by absolute path and a staff id; database and keys at their
// defaults, relative to the working directory, as an operator who forgot
// to change directory has them.
func commandEnv(pol string) map[string]string {
	return map[string]string{"STEWARD_POLICY": pol, "STEWARD_STAFF": "a-staff"}
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

// TestCommandsInAnEmptyDirectory (issue 13, item 3): every command run
// where there is no database does what its class says. Those that work on
// a database say so in one line, exit 1 and create nothing — no empty
// steward.db, no key; those that need no database create none; only
// 'migrate' (and 'serve') make a database, with its audit and consent
// keys.
func TestCommandsInAnEmptyDirectory(t *testing.T) {
	pol := testkit.PolicyPath(t, "ivm")
	args := commandArgs(t, pol)
	for _, c := range commandTable {
		if _, ok := args[c.name]; !ok {
			t.Errorf("command %q has no command line in commandArgs: classify it and try it here", c.name)
		}
	}
	for _, c := range commandTable {
		if c.db == scratchDB || c.name == "serve" {
			continue
		}
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			code, out, errOut := run(t, commandEnv(pol), append(strings.Fields(c.name), args[c.name]...)...)
			got := entries(t, dir)
			switch c.db {
			case existingDB, auditedDB:
				if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "steward "+c.name+": no database at sqlite:./steward.db") {
					t.Errorf("exit %d, stdout %q, stderr %q; want 1 and one line saying there is no database", code, out, errOut)
				}
				if len(got) != 0 {
					t.Errorf("created %v", got)
				}
			case noDB:
				allowed := []string{}
				if c.name == "keygen" {
					allowed = []string{"steward-data.key"}
				}
				if !slices.Equal(got, allowed) && !(len(got) == 0 && len(allowed) == 0) {
					t.Errorf("created %v, want %v (exit %d, %s)", got, allowed, code, errOut)
				}
			case makesDB:
				want := []string{"steward-audit.key", "steward-consent.key", "steward.db"}
				for _, f := range want {
					if !slices.Contains(got, f) {
						t.Errorf("exit %d, %s: made %v, want %v among them", code, errOut, got, want)
					}
				}
			default:
				t.Errorf("db access %d not tried", c.db)
			}
		})
	}
}

// TestCommandsElsewhereRefuseToMakeKeys (issue 13, item 3): against the
// database of a server in another directory, every command that appends
// audit entries refuses in one line naming the key file it looked for and
// the key id the database expects, and no key file appears anywhere; with
// the audit key given, the commands that also need the consent key refuse
// the same way for it; a different key at the path is refused too.
// Commands that only read run and create nothing.
func TestCommandsElsewhereRefuseToMakeKeys(t *testing.T) {
	server, elsewhere := t.TempDir(), t.TempDir()
	pol := testkit.PolicyPath(t, "ivm")
	args := commandArgs(t, pol)
	t.Chdir(server)
	if code, _, errOut := run(t, commandEnv(pol), "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	serverFiles := entries(t, server)
	auditSigner, err := audit.LoadKey(filepath.Join(server, "steward-audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	consentKey, err := consent.LoadKey(filepath.Join(server, "steward-consent.key"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(elsewhere)
	env := commandEnv(pol)
	env["STEWARD_DB"] = "sqlite:" + filepath.Join(server, "steward.db")
	check := func(t *testing.T, name string, env map[string]string, wantFile, wantID string) {
		t.Helper()
		code, out, errOut := run(t, env, append(strings.Fields(name), args[name]...)...)
		if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, wantFile) || !strings.Contains(errOut, "expects key id "+wantID) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 1 and one line naming %s and key id %s", name, code, out, errOut, wantFile, wantID)
		}
	}
	for _, c := range commandTable {
		switch c.db {
		case auditedDB:
			check(t, c.name, env, "./steward-audit.key", auditSigner.KeyID())
		case existingDB:
			if code, _, errOut := run(t, env, append(strings.Fields(c.name), args[c.name]...)...); code != 0 && strings.Contains(errOut, "key") {
				t.Errorf("%s, which only reads, asked for a key: %s", c.name, errOut)
			}
		}
		if got := entries(t, elsewhere); len(got) != 0 {
			t.Fatalf("%s created %v in the directory it ran in", c.name, got)
		}
	}
	withAudit := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(server, "steward-audit.key")}
	for k, v := range env {
		withAudit[k] = v
	}
	for _, name := range []string{"consent receipt", "newsletter send", "panel invite"} {
		check(t, name, withAudit, "./steward-consent.key", consentKey.ID())
	}
	// 'mail list' reads, but shown unmasked the recipients are an audited
	// view: then it needs the audit key like any command that audits.
	args["mail list --show-recipient"] = nil
	check(t, "mail list --show-recipient", env, "./steward-audit.key", auditSigner.KeyID())
	if got := entries(t, elsewhere); len(got) != 0 {
		t.Fatalf("created %v in the directory the commands ran in", got)
	}
	if got := entries(t, server); !slices.Equal(got, serverFiles) {
		t.Fatalf("the server's directory changed from %v to %v", serverFiles, got)
	}

	// Another key at the path the command looks at: refused, not adopted.
	other := filepath.Join(elsewhere, "steward-audit.key")
	if code := run1(t, withKeys(t, map[string]string{"STEWARD_DB": "sqlite:" + filepath.Join(t.TempDir(), "x.db"), "STEWARD_AUDIT_KEY": other}), "migrate"); code != 0 {
		t.Fatal("migrate of a scratch database")
	}
	code, _, errOut := run(t, env, "staff", "add", "po@example.nl", "--role", "support", "--base-url", "https://site.example")
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "./steward-audit.key has key id") || !strings.Contains(errOut, "expects key id "+auditSigner.KeyID()) {
		t.Fatalf("a stranger's audit key: exit %d, stderr %q", code, errOut)
	}
}

// run1 runs a command line and returns its exit code.
func run1(t *testing.T, env map[string]string, args ...string) int {
	t.Helper()
	code, _, _ := run(t, env, args...)
	return code
}
