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
	if code, out, errOut := run(t, env, "audit", "checkpoint"); code != 0 || out != "" || !strings.Contains(errOut, "empty") {
		t.Fatalf("checkpoint on an empty log: exit %d, stdout %q (want nothing), stderr %q", code, out, errOut)
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
	if code != 0 || !strings.HasPrefix(out, "checkpoint size=5 ") || strings.Count(out, "\n") != 1 {
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
	if code, out, errOut := run(t, env, "audit", "checkpoint"); code != 1 || out != "" || !strings.Contains(errOut, "not signing: BROKEN at entry 4") {
		t.Fatalf("checkpoint of a broken log: exit %d, stdout %q (want nothing), stderr %q", code, out, errOut)
	}
}

// TestAuditCheckpointNeverCreatesTheKey: 'migrate' makes the audit key
// of a new database and says where; 'audit checkpoint' with any other key
// path refuses in one line naming the file and the key id the database
// expects, and creates nothing (issue 13).
func TestAuditCheckpointNeverCreatesTheKey(t *testing.T) {
	dir := t.TempDir()
	env := withKeys(t, map[string]string{"STEWARD_DB": "sqlite:" + filepath.Join(dir, "s.db")})
	code, _, errOut := run(t, env, "migrate")
	if code != 0 || !strings.Contains(errOut, "generated the audit signing key "+env["STEWARD_AUDIT_KEY"]) {
		t.Fatalf("migrate: exit %d, stderr %q", code, errOut)
	}
	signer, err := audit.LoadKey(env["STEWARD_AUDIT_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{filepath.Join(dir, "k", "audit.key"), filepath.Join(dir, "other.key")} {
		code, out, errOut := run(t, env, "audit", "checkpoint", "--key", other)
		if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, other) || !strings.Contains(errOut, signer.KeyID()) {
			t.Fatalf("checkpoint --key %s: exit %d, stderr %q; want 1 and one line naming the file and key id %s", other, code, errOut, signer.KeyID())
		}
		if _, err := os.Stat(other); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("checkpoint created %s (stat: %v)", other, err)
		}
	}
	if code, _, errOut = run(t, env, "audit", "checkpoint"); code != 0 || strings.Contains(errOut, "generated") {
		t.Fatalf("checkpoint with the database's key: exit %d, stderr %q", code, errOut)
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

// TestOpenStoreSignsEveryAppend: 'migrate' makes the database's audit
// key (with one message); commands that only read never touch it; a store
// opened as every command opens it signs what it appends with it (issues
// 5, 13, G2).
func TestOpenStoreSignsEveryAppend(t *testing.T) {
	dir := t.TempDir()
	env := withKeys(t, map[string]string{"STEWARD_DB": "sqlite:" + filepath.Join(dir, "s.db")})
	_, _, migrated := run(t, env, "migrate")
	for _, args := range [][]string{{"audit", "tail"}, {"audit", "verify", "--no-signatures"}, {"audit", "export", "--since", "2026-01-01"}, {"mail", "list"}} {
		if code, _, errOut := run(t, env, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
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
	if n := strings.Count(migrated+errOut.String(), "generated the audit signing key "+env["STEWARD_AUDIT_KEY"]); n != 1 {
		t.Fatalf("%d messages about the new key, want 1: %q", n, migrated+errOut.String())
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
	if code != 0 || !strings.Contains(out, "checked 4 entries up to 4 and 1 checkpoints (signatures checked with key "+signer.KeyID()+", genesis at entry 1)") || errOut != "" {
		t.Fatalf("verify --pubkey: exit %d\n%s%s", code, out, errOut)
	}
	other, _, _ := audit.LoadOrCreateKey(filepath.Join(dir, "other.key"))
	os.WriteFile(pubFile, audit.MarshalPublicKey(other.Public()), 0o644)
	if code, out, _ := run(t, auditor, "audit", "verify", "--pubkey", pubFile); code != 1 || !strings.Contains(out, "BROKEN at entry 1: the genesis record is not signed by the audit key") {
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

// keptEnv is a database on dsn with ten audit entries (a checkpoint every
// 4) and the file an operator's cron job filled with 'steward audit
// checkpoint >> FILE' after entry 6 and after entry 10, kept outside the
// database. head6 is the head row as it was at entry 6 — what a copy of the
// database taken then holds.
type keptEnv struct {
	env    map[string]string
	s      *store.Store
	signer *audit.Signer
	file   string
	lines  []string
	head6  []any
}

func newKeptEnv(t *testing.T, dsn string) *keptEnv {
	t.Helper()
	dir := t.TempDir()
	k := &keptEnv{env: map[string]string{"STEWARD_DB": dsn, "STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key")}, file: filepath.Join(dir, "kept", "audit-checkpoints")}
	k.s = openTestStore(t, k.env)
	var err error
	if k.signer, _, err = audit.LoadOrCreateKey(k.env["STEWARD_AUDIT_KEY"]); err != nil {
		t.Fatal(err)
	}
	k.s.SetAuditSigner(k.signer, 4)
	os.Mkdir(filepath.Dir(k.file), 0o700)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= 10; i++ {
		if err := k.s.InTx(context.Background(), func(tx *store.Tx) error {
			return tx.AppendAudit(audit.Entry{Time: at.Add(time.Duration(i) * time.Minute), Action: audit.PolicyLoad, Actor: audit.System("serve"), ObjectKind: "policy", ObjectID: fmt.Sprint("p_", i)})
		}); err != nil {
			t.Fatal(err)
		}
		if i == 6 || i == 10 {
			code, out, errOut := run(t, k.env, "audit", "checkpoint")
			if code != 0 || !strings.HasPrefix(out, fmt.Sprintf("checkpoint size=%d ", i)) || strings.Count(out, "\n") != 1 {
				t.Fatalf("checkpoint at %d: exit %d\n%s%s", i, code, out, errOut)
			}
			k.lines = append(k.lines, strings.TrimSpace(out))
			f, err := os.OpenFile(k.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(f, "# %s\n%s\n", at.Format(time.DateOnly), out)
			f.Close()
		}
		if i == 6 {
			var seq int64
			var hash, sig []byte
			var keyID string
			if err := k.s.Read().QueryRowContext(context.Background(), `SELECT seq, hash, key_id, signature FROM audit_head`).Scan(&seq, &hash, &keyID, &sig); err != nil {
				t.Fatal(err)
			}
			k.head6 = []any{seq, hash, keyID, sig}
		}
	}
	return k
}

func (k *keptEnv) tamper(t *testing.T, q string, args ...any) {
	t.Helper()
	if err := k.s.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(), q, args...)
		return err
	}); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestAuditVerifyChecksKeptCheckpoints: 'audit verify --checkpoint' holds
// the log to the lines 'audit checkpoint' printed and the operator kept
// outside the database. A log rolled back to a copy, or rewritten and
// signed again by someone holding the key, verifies without them and is
// reported broken with them, naming the first entry that no longer
// matches (on both stores).
func TestAuditVerifyChecksKeptCheckpoints(t *testing.T) {
	t.Run("intact", func(t *testing.T) {
		testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
			k := newKeptEnv(t, dsn)
			for _, c := range []struct {
				args []string
				kept int
			}{
				{[]string{"--checkpoint", "@" + k.file}, 2},
				{[]string{"--checkpoint", k.lines[0]}, 1},
				{[]string{"--checkpoint", k.lines[1], "--checkpoint", "@" + k.file}, 3},
			} {
				code, out, errOut := run(t, k.env, append([]string{"audit", "verify"}, c.args...)...)
				want := fmt.Sprintf("checked 10 entries up to 10 and 4 checkpoints (signatures checked with key %s, genesis at entry 1), matching %d checkpoints kept outside the database, in ", k.signer.KeyID(), c.kept)
				if code != 0 || !strings.Contains(out, want) || !strings.HasSuffix(out, ": intact\n") {
					t.Fatalf("verify %v: exit %d\n%s%s\nwant %q", c.args, code, out, errOut, want)
				}
			}
		})
	})
	t.Run("rolled_back_to_a_copy", func(t *testing.T) {
		testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
			k := newKeptEnv(t, dsn)
			// A copy of the database taken at entry 6 is restored: every
			// signature in it is genuine.
			k.tamper(t, `DELETE FROM audit_log WHERE seq > 6`)
			k.tamper(t, `DELETE FROM audit_checkpoints WHERE size > 6`)
			k.tamper(t, `UPDATE audit_head SET seq = $1, hash = $2, key_id = $3, signature = $4`, k.head6...)
			if code, out, _ := run(t, k.env, "audit", "verify"); code != 0 || !strings.Contains(out, "checked 6 entries") {
				t.Fatalf("verify without the kept lines: exit %d %s; want intact (only they can tell)", code, out)
			}
			code, out, errOut := run(t, k.env, "audit", "verify", "--checkpoint", "@"+k.file)
			if code != 1 || !strings.Contains(out, "BROKEN at entry 7: ") || !strings.Contains(out, "vouches for 10 entries but the log ends at 6: the log was rolled back") {
				t.Fatalf("verify --checkpoint of a rolled-back log: exit %d\n%s%s", code, out, errOut)
			}
			// The line at 6 alone still holds.
			if code, out, _ := run(t, k.env, "audit", "verify", "--checkpoint", k.lines[0]); code != 0 {
				t.Fatalf("verify --checkpoint (6): exit %d %s", code, out)
			}
		})
	})
	t.Run("rewritten_and_signed_again_with_the_key", func(t *testing.T) {
		testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
			k := newKeptEnv(t, dsn)
			// Someone holding the key changes entry 3, links every later
			// entry again and signs every checkpoint and the head anew.
			all := testkit.AuditSince(t, k.s, 0)
			prev := all[1].Hash
			for _, e := range all[2:] {
				if e.Seq == 3 {
					e.ObjectID = "p_33"
				}
				e.PrevHash = prev
				e.Hash = e.ComputeHash()
				prev = e.Hash
				k.tamper(t, `UPDATE audit_log SET object_id = $1, prev_hash = $2, hash = $3 WHERE seq = $4`, e.ObjectID, e.PrevHash[:], e.Hash[:], int64(e.Seq))
				cp := k.signer.Checkpoint(e.Seq, e.Hash, e.Time)
				k.tamper(t, `UPDATE audit_checkpoints SET hash = $1, signature = $2 WHERE size = $3`, cp.Hash[:], cp.Signature, int64(e.Seq))
			}
			head := k.signer.Head(10, prev)
			k.tamper(t, `UPDATE audit_head SET hash = $1, signature = $2`, head.Hash[:], head.Signature)
			if code, out, _ := run(t, k.env, "audit", "verify"); code != 0 || !strings.Contains(out, "intact") {
				t.Fatalf("verify without the kept lines: exit %d %s; want intact (only they can tell)", code, out)
			}
			code, out, errOut := run(t, k.env, "audit", "verify", "--checkpoint", "@"+k.file)
			if code != 1 || !strings.Contains(out, "BROKEN at entry 6: hash differs from the checkpoint kept outside the database") {
				t.Fatalf("verify --checkpoint of a rewritten log: exit %d\n%s%s", code, out, errOut)
			}
		})
	})
}

// TestAuditVerifyRefusesMalformedCheckpointLines: a line that is not what
// 'audit checkpoint' prints, or a file that is missing, holds no line or
// has a bad one, is one line on stderr and exit 1 — before the database is
// opened, so nothing is checked, created or migrated.
func TestAuditVerifyRefusesMalformedCheckpointLines(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "never.db")
	env := map[string]string{"STEWARD_DB": "sqlite:" + db, "STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key")}
	signer, _, err := audit.LoadOrCreateKey(env["STEWARD_AUDIT_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	good := signer.Checkpoint(10, audit.Hash{1}, time.Time{}).Line()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return "@" + p
	}
	for _, c := range []struct{ arg, want string }{
		{"checkpoint size=10", "not a checkpoint line: 2 parts, want 5"},
		{strings.Replace(good, "size=10", "size=ten", 1), `size="ten" is not a number`},
		{strings.Replace(good, "hash=01", "hash=", 1), "hash="},
		{good[:len(good)-2], "signature="},
		{"@" + filepath.Join(dir, "missing"), "missing: the file does not exist"},
		{write("empty", "\n# nothing yet\n\n"), "empty: the file holds no checkpoint line"},
		{write("bad", "# kept\n"+good+"\nthe audit log is empty: nothing to sign\n"), "bad: line 3: not a checkpoint line"},
	} {
		code, out, errOut := run(t, env, "audit", "verify", "--checkpoint", good, "--checkpoint", c.arg)
		if code != 1 || out != "" || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "steward audit verify: --checkpoint") {
			t.Errorf("--checkpoint %q: exit %d, stdout %q, stderr %q; want 1 and one line saying %q", c.arg, code, out, errOut, c.want)
		}
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused command opened (created) the database: %v", err)
	}
}

// TestAuditVerifyReportsAWipedLog: emptying the three audit tables leaves
// the genesis record, sealed with the key when the first entry was
// appended, vouching for an entry that is gone; deleting the genesis too
// leaves a migrated database without one. Either is BROKEN, never
// "checked 0 entries ... intact" (issue 14, finding 2; on both stores).
func TestAuditVerifyReportsAWipedLog(t *testing.T) {
	wipe := []string{`DELETE FROM audit_log`, `DELETE FROM audit_head`, `DELETE FROM audit_checkpoints`}
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		k := newKeptEnv(t, dsn)
		code, out, errOut := run(t, k.env, "audit", "verify")
		if code != 0 || !strings.Contains(out, "checked 10 entries") || !strings.Contains(out, "genesis at entry 1)") {
			t.Fatalf("verify before the wipe: exit %d\n%s%s", code, out, errOut)
		}
		for _, q := range wipe {
			k.tamper(t, q)
		}
		for _, args := range [][]string{{"audit", "verify"}, {"audit", "verify", "--no-signatures"}} {
			code, out, errOut := run(t, k.env, args...)
			if code != 1 || !strings.Contains(out, "BROKEN at entry 1: the genesis record vouches for entry 1 but the log ends at 0: the audit log was wiped") {
				t.Fatalf("%v after the wipe: exit %d\n%s%s", args, code, out, errOut)
			}
		}
		// The head row put back as migration 0002 wrote it, so the
		// server goes on appending, changes nothing.
		k.tamper(t, `INSERT INTO audit_head (id, seq, hash, key_id, signature) VALUES (1, 0, NULL, '', NULL)`)
		if code, out, _ := run(t, k.env, "audit", "verify"); code != 1 || !strings.Contains(out, "BROKEN at entry 1: the genesis record vouches for entry 1") {
			t.Fatalf("verify after the wipe with the head put back: exit %d\n%s", code, out)
		}
		// New entries after the wipe do not make it whole: the genesis
		// is never sealed again, and entry 1 is another entry now.
		if err := k.s.InTx(context.Background(), func(tx *store.Tx) error {
			return tx.AppendAudit(audit.Entry{Time: time.Now(), Action: audit.PolicyLoad, Actor: audit.System("serve")})
		}); err != nil {
			t.Fatal(err)
		}
		if code, out, _ := run(t, k.env, "audit", "verify"); code != 1 || !strings.Contains(out, "BROKEN at entry 1: hash differs from the signed genesis record") {
			t.Fatalf("verify after appending to a wiped log: exit %d\n%s", code, out)
		}
		// The genesis deleted too: a migrated database without one.
		k.tamper(t, `DELETE FROM settings WHERE name = 'audit_genesis'`)
		for _, q := range wipe {
			k.tamper(t, q)
		}
		if code, out, _ := run(t, k.env, "audit", "verify"); code != 1 || !strings.Contains(out, "BROKEN at entry 1: the genesis record is missing") {
			t.Fatalf("verify after wiping the log and its genesis: exit %d\n%s", code, out)
		}
		// A genesis forged without the key does not pass either.
		other, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "other.key"))
		if err != nil {
			t.Fatal(err)
		}
		k.tamper(t, `INSERT INTO settings (name, value, set_at) VALUES ('audit_genesis', $1, 0)`, other.Genesis(1, audit.Hash{}).Value())
		k.tamper(t, `INSERT INTO audit_head (id, seq, hash, key_id, signature) VALUES (1, 0, NULL, '', NULL)`)
		if code, out, _ := run(t, k.env, "audit", "verify"); code != 1 || !strings.Contains(out, "BROKEN at entry 1: ") {
			t.Fatalf("verify with a forged genesis: exit %d\n%s", code, out)
		}
	})
}

// TestAuditVerifyWithoutAKeyIsNotIntact: without a key 'audit verify'
// exits 1 and says how to go on; only --no-signatures, given explicitly,
// checks the chain alone, and says so (issue 14, finding 2).
func TestAuditVerifyWithoutAKeyIsNotIntact(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		k := newKeptEnv(t, dsn)
		noKey := map[string]string{"STEWARD_DB": dsn, "STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "none.key")}
		code, out, errOut := run(t, noKey, "audit", "verify")
		if code == 0 || strings.Contains(out, "intact") || !strings.Contains(errOut, "--no-signatures") || !strings.Contains(errOut, noKey["STEWARD_AUDIT_KEY"]) {
			t.Fatalf("verify without a key: exit %d, stdout %q, stderr %q; want non-zero naming the key file and --no-signatures", code, out, errOut)
		}
		code, out, errOut = run(t, noKey, "audit", "verify", "--no-signatures")
		if code != 0 || !strings.Contains(out, "checked 10 entries up to 10 and 4 checkpoints (signatures NOT checked, genesis at entry 1)") || !strings.Contains(errOut, "--no-signatures") {
			t.Fatalf("verify --no-signatures: exit %d\n%s%s", code, out, errOut)
		}
		if code, _, errOut := run(t, k.env, "audit", "verify", "--no-signatures", "--pubkey", k.env["STEWARD_AUDIT_KEY"]); code != 1 || !strings.Contains(errOut, "--pubkey") {
			t.Fatalf("verify --no-signatures --pubkey: exit %d %q", code, errOut)
		}
		if _, err := os.Stat(noKey["STEWARD_AUDIT_KEY"]); !errors.Is(err, fs.ErrNotExist) {
			t.Fatal("'audit verify' created a signing key")
		}
	})
}
