package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
)

// TestClientsCommands (issue 16 item 3, R8): 'clients add' registers the
// learning environment for recipient avetica and prints its secret once
// (only the hash is stored); 'list' shows it without a secret;
// 'rotate-secret' replaces the secret; 'revoke' ends it; 'keys rotate'
// makes a sealed signing key and retires the one in use. Bad input — a
// recipient the policy does not declare or that declares no claims, a
// redirect URI over plain http or with a fragment, a duplicate name, an
// unknown client, keys without the data key — exits 1 with one line and
// changes nothing. Every change is audited by ids only (both stores).
func TestClientsCommands(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_DB": db,
			"STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_KEY_FILE": filepath.Join(t.TempDir(), "no-data.key")}
		s := openTestStore(t, env)
		since := testkit.AuditHead(t, s)
		one := func(name string, want string, args ...string) {
			t.Helper()
			code, _, stderr := run(t, env, args...)
			if code != 1 || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%s: exit %d, stderr %q; want 1 and one line with %q", name, code, stderr, want)
			}
		}
		cb := "https://lms.example/admin/oauth2callback.php"
		one("unknown recipient", "declares no recipient nosuch", "clients", "add", "--name", "lms", "--recipient", "nosuch", "--redirect-uri", cb)
		one("recipient without claims", "declares no claims for recipient pe_online", "clients", "add", "--name", "lms", "--recipient", "pe_online", "--redirect-uri", cb)
		one("plain http", "cannot be a redirect URI", "clients", "add", "--name", "lms", "--recipient", "avetica", "--redirect-uri", "http://lms.example/cb")
		one("fragment", "cannot be a redirect URI", "clients", "add", "--name", "lms", "--recipient", "avetica", "--redirect-uri", cb+"#x")
		one("bad name", "lower-case letters", "clients", "add", "--name", "LMS!", "--recipient", "avetica", "--redirect-uri", cb)
		one("unknown client", "not (or no longer) registered", "clients", "revoke", "nosuch")
		testkit.AssertAudit(t, s, since)

		code, out, stderr := run(t, env, "clients", "add", "--name", "lms", "--recipient", "avetica", "--redirect-uri", cb)
		m := regexp.MustCompile(`client_id: (cl_[0-9a-f]+)\nclient_secret \(shown once\): (\S+)\n$`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("add: exit %d\n%s%s", code, out, stderr)
		}
		id, secret := m[1], m[2]
		c, err := s.OIDCClient(ctx, id)
		if err != nil || c.SecretHash != account.HashSecret(secret) || c.Recipient != "avetica" {
			t.Fatalf("stored client %+v %v: want the secret's hash only", c, err)
		}
		one("duplicate name", "already exists", "clients", "add", "--name", "lms", "--recipient", "avetica", "--redirect-uri", cb)
		code, out, _ = run(t, env, "clients", "list")
		if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "confidential") || strings.Contains(out, secret) {
			t.Fatalf("list: %s", out)
		}
		code, out, _ = run(t, env, "clients", "rotate-secret", "lms")
		m = regexp.MustCompile(`\(shown once\): (\S+)\n$`).FindStringSubmatch(out)
		if c, _ := s.OIDCClient(ctx, id); code != 0 || m == nil || m[1] == secret || c.SecretHash != account.HashSecret(m[1]) {
			t.Fatalf("rotate-secret: exit %d %s", code, out)
		}
		// The signing keys need the data key: without it, nothing.
		one("keys without the data key", "no-data.key", "clients", "keys", "rotate")
		env["STEWARD_DATA_KEY"] = account.NewKey()
		for i := 0; i < 2; i++ {
			if code, out, stderr := run(t, env, "clients", "keys", "rotate"); code != 0 || !strings.Contains(out, "signing key") {
				t.Fatalf("keys rotate: exit %d\n%s%s", code, out, stderr)
			}
		}
		keys, err := s.OIDCKeys(ctx)
		if err != nil || len(keys) != 2 || !keys[0].RetiredAt.IsZero() || keys[1].RetiredAt.IsZero() || !account.IsSealed(keys[0].Private) {
			t.Fatalf("keys after two rotations: %+v %v; want the newest in use, the older retired, both sealed", keys, err)
		}
		if code, out, _ := run(t, env, "clients", "revoke", "lms"); code != 0 || !strings.Contains(out, "revoked") {
			t.Fatalf("revoke: %s", out)
		}
		one("rotate a revoked client", "not (or no longer) registered", "clients", "rotate-secret", "lms")
		cli := audit.System("cli")
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.OIDCClientAdd, Actor: cli, ObjectKind: "oidc_client", ObjectID: id, Fields: []string{"recipient.avetica", "redirect_uris", "secret"}},
			testkit.AuditWant{Action: audit.OIDCClientSecret, Actor: cli, ObjectKind: "oidc_client", ObjectID: id, Fields: []string{"secret"}},
			testkit.AuditWant{Action: audit.OIDCKeyRotate, Actor: cli, ObjectKind: "oidc_key", ObjectID: keys[1].ID, Fields: []string{"dropped.0", "retired.0"}},
			testkit.AuditWant{Action: audit.OIDCKeyRotate, Actor: cli, ObjectKind: "oidc_key", ObjectID: keys[0].ID, Fields: []string{"dropped.0", "retired.1"}},
			testkit.AuditWant{Action: audit.OIDCClientRevoke, Actor: cli, ObjectKind: "oidc_client", ObjectID: id, Fields: []string{"revoked_at"}},
		)
	})
}
