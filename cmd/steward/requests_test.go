package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// requestsEnv makes a SQLite database with a privacy officer and a person,
// and the environment the requests commands read.
func requestsEnv(t *testing.T) (env map[string]string, person *account.Account) {
	t.Helper()
	env = map[string]string{"STEWARD_DB": testkit.SQLiteDSN(t), "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_STAFF": "a-officer",
		"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key")}
	s := openTestStore(t, env)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	officer := &account.Account{ID: "a-officer", Email: "po@ivm.test", Pseudonym: string(audit.NewPseudonym()), Role: account.RolePrivacyOfficer, CreatedAt: now}
	person = &account.Account{ID: "a-person", Email: "jan@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: now, ConfirmedAt: now}
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		if err := tx.InsertAccount(context.Background(), officer); err != nil {
			return err
		}
		return tx.InsertAccount(context.Background(), person)
	})
	if err != nil {
		t.Fatal(err)
	}
	return env, person
}

func TestRequestsCommands(t *testing.T) {
	env, _ := requestsEnv(t)
	// The test clock stands at 2026-11-24.
	code, out, errOut := run(t, env, "requests", "add", "--email", "jan@example.org", "--type", "erasure", "--channel", "letter", "--received", "2026-10-20")
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	id := strings.TrimSpace(out)

	code, out, _ = run(t, env, "requests", "list", "--overdue", "--format", "json")
	var items []queueJSON
	if code != 0 || json.Unmarshal([]byte(out), &items) != nil || len(items) != 1 || items[0].ID != id || !items[0].Overdue || items[0].Deadline != "2026-11-20" {
		t.Fatalf("list --overdue: exit %d, %s", code, out)
	}
	if code, out, _ = run(t, env, "requests", "list", "--due-within", "7d"); code != 0 || !strings.Contains(out, "OVERDUE") {
		t.Fatalf("list --due-within: exit %d, %s", code, out)
	}

	// Too late to extend; unverified cannot complete: exit 1, one line why.
	code, _, errOut = run(t, env, "requests", "extend", id, "--period", "P2M", "--reason", "complex")
	if code != 1 || !strings.Contains(errOut, "too late") {
		t.Fatalf("extend too late: exit %d, %q", code, errOut)
	}
	code, _, errOut = run(t, env, "requests", "complete", id)
	if code != 1 || !strings.Contains(errOut, "not verified") {
		t.Fatalf("complete unverified: exit %d, %q", code, errOut)
	}
	if code, _, errOut = run(t, env, "requests", "verify", id, "--note", "called back on the number we hold"); code != 0 {
		t.Fatalf("verify: exit %d: %s", code, errOut)
	}
	if code, out, errOut = run(t, env, "requests", "complete", id, "--outcome", "erased"); code != 0 || !strings.Contains(out, "completed") {
		t.Fatalf("complete: exit %d: %s %s", code, out, errOut)
	}
	// The person is gone: the same e-mail finds nobody.
	code, _, errOut = run(t, env, "requests", "add", "--email", "jan@example.org", "--type", "access", "--channel", "email")
	if code != 1 || !strings.Contains(errOut, "no account") {
		t.Fatalf("add for erased person: exit %d, %q", code, errOut)
	}
	if code, out, _ = run(t, env, "requests", "show", id); code != 0 || !strings.Contains(out, "completed") {
		t.Fatalf("show: exit %d: %s", code, out)
	}
}

func TestRequestsCommandsRefuseBadInput(t *testing.T) {
	env, _ := requestsEnv(t)
	for _, args := range [][]string{
		{"requests", "list", "--due-within", "soon"},
		{"requests", "list", "--format", "xml"},
		{"requests", "add", "--email", "jan@example.org", "--type", "forget", "--channel", "letter"},
		{"requests", "add", "--email", "nobody@example.org", "--type", "access", "--channel", "letter"},
		{"requests", "add", "--subject", "a-person", "--type", "access", "--channel", "letter", "--received", "31-01-2026"},
		{"requests", "add", "--subject", "a-person", "--type", "access", "--channel", "letter", "--staff", "a-person"},
		{"requests", "extend", "req_nope", "--reason", "x"},
		{"requests", "verify", "req_nope"},
		{"disclosures", "add", "--subject", "a-person", "--ground", "nope", "--categories", "account"},
	} {
		if code, _, _ := run(t, env, args...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
	if code, out, _ := run(t, env, "requests", "list", "--all"); code != 0 || !strings.Contains(out, "no requests") {
		t.Fatalf("bad input stored something: %s", out)
	}
}

func TestDisclosuresCommands(t *testing.T) {
	env, _ := requestsEnv(t)
	code, out, errOut := run(t, env, "disclosures", "add", "--subject", "a-person", "--ground", "fraud_authorities",
		"--categories", "account,order", "--reference", "PV-17", "--date", "2026-11-20", "--withhold-reason", "investigation running")
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	id := strings.TrimSpace(out)
	if code, out, _ = run(t, env, "disclosures", "list", "--subject", "a-person"); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "yes: investigation running") {
		t.Fatalf("list: exit %d: %s", code, out)
	}
}

// TestRequestsCommandsSignTheAuditLog: the requests commands sign the
// audit head with the site's key, as serve's appends are to be, so
// 'audit verify' with that key finds the log intact and signed (G2).
func TestRequestsCommandsSignTheAuditLog(t *testing.T) {
	env, _ := requestsEnv(t)
	if code, _, errOut := run(t, env, "requests", "add", "--email", "jan@example.org", "--type", "access", "--channel", "email", "--received", "2026-11-20"); code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	code, out, errOut := run(t, env, "audit", "verify", "--every", "0")
	if code != 0 || !strings.Contains(out, "intact") || strings.Contains(errOut, "not checked") {
		t.Fatalf("audit verify: exit %d\n%s\n%s", code, out, errOut)
	}
}
