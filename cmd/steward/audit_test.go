package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/store"
)

// auditEnv is a SQLite database and key file for the audit commands.
func auditEnv(t *testing.T) (map[string]string, *store.Store, *audit.Signer) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{"STEWARD_DB": "sqlite:" + filepath.Join(dir, "s.db"), "STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key")}
	s := openTestStore(t, env)
	signer, _, err := audit.LoadOrCreateKey(env["STEWARD_AUDIT_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	s.SetAuditSigner(signer, 3)
	return env, s, signer
}

func TestAuditCommands(t *testing.T) {
	env, s, _ := auditEnv(t)
	code, out, errOut := run(t, env, "audit", "verify")
	if code != 0 || !strings.Contains(out, "checked 0 entries") {
		t.Fatalf("verify on an empty log: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(t, env, "audit", "checkpoint"); code != 0 || !strings.Contains(out, "empty") {
		t.Fatalf("checkpoint on an empty log: exit %d %s", code, out)
	}
	p := audit.Pseudonym("ps_00000000000000000000000000000001")
	l := &audit.Log{Clock: clock.NewFixed(time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC))}
	for i, act := range []audit.Action{audit.AccountCreate, audit.ConsentGive, audit.StaffView, audit.ConsentWithdraw, audit.ExportDownload} {
		err := s.InTx(context.Background(), func(tx *store.Tx) error {
			return l.Record(context.Background(), tx, audit.Entry{Action: act, Actor: audit.SubjectActor(p), ObjectKind: "account", ObjectID: "a_1", Subject: p})
		})
		if err != nil {
			t.Fatal(err)
		}
		l.Clock.(*clock.Fixed).Advance(time.Duration(i+1) * 24 * time.Hour)
	}

	code, out, errOut = run(t, env, "audit", "verify")
	if code != 0 || !strings.Contains(out, "checked 5 entries up to 5 and 1 checkpoints (signatures checked with key ") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, env, "audit", "tail", "-n", "2")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "consent.withdraw") || !strings.Contains(out, "export.download") {
		t.Fatalf("tail -n 2: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, env, "audit", "tail", "--action", "consent.give", "--subject", string(p))
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "consent.give") {
		t.Fatalf("tail --action: exit %d\n%s", code, out)
	}
	code, _, errOut = run(t, env, "audit", "tail", "--action", "consent.gave")
	if code != 1 || !strings.Contains(errOut, "consent.withdraw") {
		t.Fatalf("tail with an unknown action: exit %d, %s", code, errOut)
	}
	code, out, _ = run(t, env, "audit", "export", "--since", "2026-02-02")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 {
		t.Fatalf("export --since: exit %d, %d lines\n%s", code, len(lines), out)
	}
	var first exportLine
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Seq != 2 || first.Action != "consent.give" || len(first.Hash) != 64 {
		t.Fatalf("first export line %q: %+v %v", lines[0], first, err)
	}
	if code, _, errOut := run(t, env, "audit", "export"); code != 1 || !strings.Contains(errOut, "since") {
		t.Fatalf("export without --since: exit %d %s", code, errOut)
	}
	code, out, _ = run(t, env, "audit", "checkpoint")
	if code != 0 || !strings.Contains(out, "checkpoint size=5 ") {
		t.Fatalf("checkpoint: exit %d %s", code, out)
	}

	// Tampering makes verify name the entry and exit 1.
	if err := s.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(), `UPDATE audit_log SET object_id = 'a_2' WHERE seq = 4`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, env, "audit", "verify")
	if code != 1 || !strings.Contains(out, "BROKEN at entry 4") {
		t.Fatalf("verify after tampering: exit %d\n%s", code, out)
	}
	if code, out, _ = run(t, env, "audit", "verify", "--from", "5"); code != 0 {
		t.Fatalf("verify --from 5 (past the change): exit %d\n%s", code, out)
	}
	if code, out, _ = run(t, env, "audit", "checkpoint"); code != 1 || !strings.Contains(out, "not signing") {
		t.Fatalf("checkpoint of a broken log: exit %d\n%s", code, out)
	}
}

func TestAuditCheckpointGeneratesTheKeyAndSaysWhere(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"STEWARD_DB": "sqlite:" + filepath.Join(dir, "s.db"), "STEWARD_AUDIT_KEY": filepath.Join(dir, "k", "audit.key")}
	code, _, errOut := run(t, env, "audit", "checkpoint")
	if code != 1 || !strings.Contains(errOut, env["STEWARD_AUDIT_KEY"]) {
		t.Fatalf("key in a missing directory: exit %d, stderr %q; want 1 naming the key file", code, errOut)
	}
	env["STEWARD_AUDIT_KEY"] = filepath.Join(dir, "audit.key")
	code, _, errOut = run(t, env, "audit", "checkpoint")
	if code != 0 || !strings.Contains(errOut, "generated the audit signing key "+env["STEWARD_AUDIT_KEY"]) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if _, _, errOut = run(t, env, "audit", "checkpoint"); strings.Contains(errOut, "generated") {
		t.Fatalf("key generated twice: %s", errOut)
	}
}

func TestAuditBenchRunsOnAScratchDatabase(t *testing.T) {
	code, out, errOut := run(t, nil, "audit", "bench", "--entries", "300", "--batch", "100", "--single", "20")
	if code != 0 || !strings.Contains(out, "verify") || !strings.Contains(out, "320 entries") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	env, s, _ := auditEnv(t)
	if err := s.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.AppendAudit(audit.Entry{Time: time.Now(), Action: audit.PolicyLoad, Actor: audit.System("serve")})
	}); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, nil, "audit", "bench", "--entries", "10", "--db", env["STEWARD_DB"]); code != 1 || !strings.Contains(errOut, "empty log") {
		t.Fatalf("bench on a database with a log: exit %d %s", code, errOut)
	}
}

// TestAuditHoldsNoPersonalValues is issue 5's privacy test: a subject with
// distinctive values goes through every action; no value may show up in
// any audit table, nor in what the audit commands print (G2). Values passed
// where a name or id belongs are refused where they can be told apart.
func TestAuditHoldsNoPersonalValues(t *testing.T) {
	env, s, signer := auditEnv(t)
	values := map[string]string{
		"full_name": "Wilhelmina Zwartkruis", "last_name": "Zwartkruis-Oosterhuis", "email": "w.zwartkruis@voorbeeld.nl",
		"postcode": "9876XZ", "big_number": "79054321098", "organisation": "Apotheek Zonnedauw",
	}
	pz, err := audit.NewPseudonymizer([]byte("site secret of at least thirty-two bytes"))
	if err != nil {
		t.Fatal(err)
	}
	p := pz.Of("acc_81")
	l := &audit.Log{Clock: clock.NewFixed(time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)), PolicyVersion: func() string { return "2024-02-08" }}
	ctx := audit.WithRequestID(context.Background(), "r-1")
	fields := []string{"first_name", "last_name", "email", "postcode", "big_number", "organisation"}
	rolledBack := errors.New("rolled back")
	for _, act := range audit.Actions() {
		good := audit.Entry{Action: act, Actor: audit.Staff("st_2"), ObjectKind: "account", ObjectID: "acc_81", Subject: p, Fields: fields}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return l.Record(ctx, tx, good) }); err != nil {
			t.Fatalf("%s: %v", act, err)
		}
		for name, v := range values {
			spoils := map[string]func(*audit.Entry){
				"field name":    func(e *audit.Entry) { e.Fields = []string{v} },
				"field=value":   func(e *audit.Entry) { e.Fields = []string{"first_name=" + v} },
				"subject":       func(e *audit.Entry) { e.Subject = audit.Pseudonym(v) },
				"subject actor": func(e *audit.Entry) { e.Actor = audit.SubjectActor(audit.Pseudonym(v)) },
			}
			// An id cannot tell "79054321098" from an account number; it
			// can tell e-mail addresses and anything with a space.
			if strings.ContainsAny(v, "@ ") {
				spoils["object id"] = func(e *audit.Entry) { e.ObjectID = v }
				spoils["staff actor"] = func(e *audit.Entry) { e.Actor = audit.Staff(v) }
				spoils["request id"] = func(e *audit.Entry) { e.RequestID = v }
			}
			for where, spoil := range spoils {
				bad := good
				spoil(&bad)
				err := s.InTx(ctx, func(tx *store.Tx) error {
					if err := l.Record(ctx, tx, bad); err != nil {
						return err
					}
					return rolledBack
				})
				if errors.Is(err, rolledBack) {
					t.Errorf("%s: %s as %s accepted", act, name, where)
				}
			}
		}
	}
	if n := len(testkit.AuditSince(t, s, 0)); n != len(audit.Actions()) {
		t.Fatalf("%d entries, want one per action (%d)", n, len(audit.Actions()))
	}
	testkit.AssertAuditVerifies(t, s, signer)
	var printed strings.Builder
	for _, args := range [][]string{{"audit", "tail", "-n", "500"}, {"audit", "export", "--since", "2000-01-01"}, {"audit", "verify"}, {"audit", "checkpoint"}} {
		_, out, errOut := run(t, env, args...)
		printed.WriteString(out + errOut)
	}
	vals := make([]string, 0, len(values))
	for name, v := range values {
		vals = append(vals, v)
		if strings.Contains(strings.ToLower(printed.String()), strings.ToLower(v)) {
			t.Errorf("command output shows %s %q", name, v)
		}
	}
	testkit.AssertNoPersonalValues(t, s, vals...)
}

// TestOpenStoreSignsEveryAppend: a store opened as every command opens it
// signs what it appends with STEWARD_AUDIT_KEY, generated with a message at
// the first append; reading never creates the key (issue 5, G2).
func TestOpenStoreSignsEveryAppend(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"STEWARD_DB": "sqlite:" + filepath.Join(dir, "s.db"), "STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key")}
	for _, args := range [][]string{{"audit", "tail"}, {"audit", "verify"}, {"audit", "export", "--since", "2026-01-01"}, {"mail", "list"}} {
		if code, _, errOut := run(t, env, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	if _, err := os.Stat(env["STEWARD_AUDIT_KEY"]); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a command that only reads created the audit key (stat: %v)", err)
	}
	a, _, errOut := testApp(env)
	s, err := a.openStore(context.Background(), env["STEWARD_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 2 {
		if err := s.InTx(context.Background(), func(tx *store.Tx) error {
			return tx.AppendAudit(audit.Entry{Time: time.Now(), Action: audit.PolicyLoad, Actor: audit.System("serve")})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(errOut.String(), "generated the audit signing key "+env["STEWARD_AUDIT_KEY"]); n != 1 {
		t.Fatalf("%d messages about the new key, want 1: %q", n, errOut.String())
	}
	if code, out, _ := run(t, env, "audit", "verify"); code != 0 || !strings.Contains(out, "checked 2 entries") || !strings.Contains(out, "intact") {
		t.Fatalf("verify: exit %d %s", code, out)
	}
}

// TestAuditVerifyWithThePublicKeyOnly: an auditor given what 'audit
// pubkey' prints verifies every signature without the signing key; a
// different key or a missing file is a failure, never a silent skip.
func TestAuditVerifyWithThePublicKeyOnly(t *testing.T) {
	env, s, signer := auditEnv(t)
	for i := range 4 {
		if err := s.InTx(context.Background(), func(tx *store.Tx) error {
			return tx.AppendAudit(audit.Entry{Time: time.Now(), Action: audit.PolicyLoad, Actor: audit.System("serve"), RequestID: fmt.Sprint("r", i)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	code, pub, errOut := run(t, env, "audit", "pubkey")
	if code != 0 || !strings.HasPrefix(pub, "-----BEGIN PUBLIC KEY-----") || !strings.Contains(errOut, signer.KeyID()) {
		t.Fatalf("pubkey: exit %d\n%s%s", code, pub, errOut)
	}
	dir := t.TempDir()
	pubFile := filepath.Join(dir, "audit.pub")
	os.WriteFile(pubFile, []byte(pub), 0o644)
	// The auditor has the database and the public key, nothing else.
	auditor := map[string]string{"STEWARD_DB": env["STEWARD_DB"], "STEWARD_AUDIT_KEY": filepath.Join(dir, "none.key")}
	code, out, errOut := run(t, auditor, "audit", "verify", "--pubkey", pubFile)
	if code != 0 || !strings.Contains(out, "checked 4 entries up to 4 and 1 checkpoints (signatures checked with key "+signer.KeyID()+")") || errOut != "" {
		t.Fatalf("verify --pubkey: exit %d\n%s%s", code, out, errOut)
	}
	other, _, _ := audit.LoadOrCreateKey(filepath.Join(dir, "other.key"))
	os.WriteFile(pubFile, audit.MarshalPublicKey(other.Public()), 0o644)
	if code, out, _ := run(t, auditor, "audit", "verify", "--pubkey", pubFile); code != 1 || !strings.Contains(out, "BROKEN at entry 3") || !strings.Contains(out, "not signed by the audit key") {
		t.Fatalf("verify with another key: exit %d\n%s", code, out)
	}
	for _, f := range []string{filepath.Join(dir, "missing.pub"), env["STEWARD_AUDIT_KEY"]} {
		if code, _, errOut := run(t, auditor, "audit", "verify", "--pubkey", f); code != 1 || !strings.Contains(errOut, f) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("verify --pubkey %s: exit %d, stderr %q; want 1 and one line naming the file", filepath.Base(f), code, errOut)
		}
	}
	if code, _, errOut := run(t, auditor, "audit", "pubkey"); code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Fatalf("pubkey without a key: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(auditor["STEWARD_AUDIT_KEY"]); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("'audit pubkey' or 'audit verify' created a signing key")
	}
}
