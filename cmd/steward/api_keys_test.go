package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"steward/account"
	"steward/apikey"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// TestAPIKeysCommands (issue 16 item 4): 'api-keys create' makes a key
// for a processor of the policy with the xapi scope and prints its secret
// once, storing only its hash; 'list' shows it active without a secret;
// 'rotate' prints a new secret and the old one stops matching; 'revoke'
// stops it; each change is audited to the staff account with ids only.
// An unknown recipient, a processor not declared for learning results,
// an unknown scope, a past expiry and an unknown key are refused in one
// line with nothing stored (both stores).
func TestAPIKeysCommands(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_DB": db,
			"STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_STAFF": "st_po"}
		s := openTestStore(t, env)
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertAccount(ctx, &account.Account{ID: "st_po", Email: "po@example.org", Role: account.RolePrivacyOfficer, Pseudonym: string(audit.NewPseudonym())})
		}); err != nil {
			t.Fatal(err)
		}
		since := testkit.AuditHead(t, s)
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			{"unknown recipient", []string{"create", "--recipient", "nobody", "--scope", "xapi"}, "not one of the policy's processors"},
			{"not a results processor", []string{"create", "--recipient", "mollie", "--scope", "xapi"}, "learning_result"},
			{"unknown scope", []string{"create", "--recipient", "avetica", "--scope", "admin"}, "scope admin does not exist"},
			{"past expiry", []string{"create", "--recipient", "avetica", "--scope", "xapi", "--expires", "2020-01-01"}, "future"},
			{"no recipient", []string{"create", "--scope", "xapi"}, "recipient"},
			{"unknown key", []string{"revoke", "ak_0123456789abcdef"}, "no API key"},
			{"not staff", []string{"create", "--recipient", "avetica", "--scope", "xapi", "--staff", "nobody"}, "not a staff account"},
		} {
			code, _, stderr := run(t, env, append([]string{"api-keys"}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%s: exit %d, stderr %q; want 1 and one line with %q", tc.name, code, stderr, tc.want)
			}
		}
		if keys, _ := s.APIKeys(ctx); len(keys) != 0 {
			t.Fatalf("refused commands stored %+v", keys)
		}
		testkit.AssertAudit(t, s, since)

		code, out, stderr := run(t, env, "api-keys", "create", "--recipient", "avetica", "--scope", "xapi", "--expires", "2099-01-01")
		m := regexp.MustCompile(`key (ak_[0-9a-f]{16}) for avetica, scope xapi\nsecret (\S+)\n`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("create: exit %d %q %s", code, out, stderr)
		}
		id, secret := m[1], m[2]
		k, err := s.APIKey(ctx, id)
		if err != nil || !k.Matches(secret) || k.SecretHash == secret || k.SecretHash != apikey.Hash(secret) {
			t.Fatalf("stored key %+v, %v", k, err)
		}
		code, out, _ = run(t, env, "api-keys", "list", "--format", "json")
		var rows []map[string]string
		if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0]["state"] != "active" || rows[0]["recipient"] != "avetica" ||
			rows[0]["expires"] != "2099-01-01" || strings.Contains(out, secret) {
			t.Fatalf("list: exit %d %s", code, out)
		}
		code, out, _ = run(t, env, "api-keys", "rotate", id)
		m = regexp.MustCompile(`secret (\S+)\n`).FindStringSubmatch(out)
		if code != 0 || m == nil || m[1] == secret {
			t.Fatalf("rotate: exit %d %q", code, out)
		}
		if k, _ := s.APIKey(ctx, id); k.Matches(secret) || !k.Matches(m[1]) {
			t.Fatal("after rotation the old secret still matches, or the new one does not")
		}
		if code, out, _ := run(t, env, "api-keys", "revoke", id); code != 0 || !strings.Contains(out, "revoked") {
			t.Fatalf("revoke: exit %d %q", code, out)
		}
		if code, out, _ := run(t, env, "api-keys", "list"); code != 0 || !strings.Contains(out, "revoked") {
			t.Fatalf("list after revoke: %q", out)
		}
		if code, _, stderr := run(t, env, "api-keys", "rotate", id); code != 1 || !strings.Contains(stderr, "revoked") {
			t.Fatalf("rotating a revoked key: exit %d %s", code, stderr)
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.APIKeyCreate, Actor: audit.Staff("st_po"), ObjectID: id},
			testkit.AuditWant{Action: audit.APIKeyRotate, Actor: audit.Staff("st_po"), ObjectID: id},
			testkit.AuditWant{Action: audit.APIKeyRevoke, Actor: audit.Staff("st_po"), ObjectID: id},
		)
		testkit.AssertNoPersonalValues(t, s, secret, m[1])
	})
}
