package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
)

// requestsEnv makes a SQLite database with a privacy officer and a person,
// and the environment the requests commands read.
func requestsEnv(t *testing.T) (env map[string]string, person *account.Account) {
	t.Helper()
	return requestsEnvOn(t, testkit.SQLiteDSN(t))
}

// requestsEnvOn is requestsEnv on the database dsn names.
func requestsEnvOn(t *testing.T, dsn string) (env map[string]string, person *account.Account) {
	t.Helper()
	env = map[string]string{"STEWARD_DB": dsn, "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"), "STEWARD_STAFF": "a-officer",
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

// TestRequestsLiftRestriction: 'requests lift-restriction' lifts a
// restriction of processing (Art. 18(3)) with a reason, mails the person
// (delivered through 'mail send-due' to the capture server) and audits the
// step to the staff account, on both stores. Without a reason, by a
// non-officer, or when nothing is restricted it exits 1 with one line and
// changes nothing.
func TestRequestsLiftRestriction(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		env, person := requestsEnvOn(t, dsn)
		s := openTestStore(t, env)
		d, err := newDesk(s, testkit.Policy(t, "ivm"), testkitClock(), "")
		if err != nil {
			t.Fatal(err)
		}
		ps := audit.Pseudonym(person.Pseudonym)

		restricted := func() bool {
			t.Helper()
			limits, err := s.ProcessingLimits(ctx, person.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(limits) == 1
		}
		oneLine := func(args []string, want string) {
			t.Helper()
			code, out, errOut := run(t, env, args...)
			if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, want) {
				t.Fatalf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line saying %q", args, code, out, errOut, want)
			}
		}

		since := testkit.AuditHead(t, s)
		oneLine([]string{"requests", "lift-restriction", "--email", "jan@example.org", "--reason", "resolved"}, "not restricted")
		testkit.AssertAudit(t, s, since)
		if err := d.Restrict(ctx, person.ID, "disputes their order history", audit.SubjectActor(ps)); err != nil {
			t.Fatal(err)
		}
		since = testkit.AuditHead(t, s)
		oneLine([]string{"requests", "lift-restriction", "--email", "jan@example.org"}, "--reason is required")
		oneLine([]string{"requests", "lift-restriction", "--email", "jan@example.org", "--reason", "  "}, "--reason is required")
		oneLine([]string{"requests", "lift-restriction", "--email", "jan@example.org", "--reason", "resolved", "--staff", "a-person"}, "not a staff account")
		oneLine([]string{"requests", "lift-restriction", "--email", "nobody@example.org", "--reason", "resolved"}, "no account")
		if !restricted() {
			t.Fatal("a refused lift ended the restriction")
		}
		if mails, _ := s.OutboxList(ctx, store.OutboxFilter{}); len(mails) != 0 {
			t.Fatalf("a refused lift mailed %d", len(mails))
		}
		testkit.AssertAudit(t, s, since)

		code, out, errOut := run(t, env, "requests", "lift-restriction", "--email", "jan@example.org", "--reason", "order history checked: it was right")
		if code != 0 || out != "a-person: restriction lifted; the person is mailed\n" {
			t.Fatalf("lift: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if restricted() {
			t.Fatal("still restricted after lift-restriction")
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.AccountRestrict, Actor: audit.Staff("a-officer"),
			ObjectKind: "account", ObjectID: person.ID, Subject: ps, Fields: []string{"restriction_lifted", "lift_notice_mailed"}})

		srv := testkit.NewSMTP(t)
		mailEnv := map[string]string{"STEWARD_SMTP_HOST": srv.Host(), "STEWARD_SMTP_PORT": fmt.Sprint(srv.Port()),
			"STEWARD_SMTP_TLS": "none", "STEWARD_MAIL_FROM": "IVM <noreply@ivm.example.org>"}
		maps.Copy(mailEnv, env)
		if code, out, errOut := run(t, mailEnv, "mail", "send-due"); code != 0 || out != "sent 1, retrying 0, failed 0\n" {
			t.Fatalf("send-due: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		m := srv.WaitFor(t, 1)[0]
		if m.EnvelopeTo[0] != "jan@example.org" || !strings.HasPrefix(m.Subject, "De beperking van de verwerking bij") ||
			!strings.Contains(m.Text, "order history checked: it was right") {
			t.Fatalf("lift mail to %v %q:\n%s", m.EnvelopeTo, m.Subject, m.Text)
		}

		// Lifted once: again is a conflict, with nothing more mailed.
		oneLine([]string{"requests", "lift-restriction", "--subject", "a-person", "--reason", "again"}, "not restricted")
		if mails, _ := s.OutboxList(ctx, store.OutboxFilter{}); len(mails) != 1 {
			t.Fatalf("%d mails after lifting twice, want 1", len(mails))
		}
	})
}

// TestRequestsExport: 'requests export' writes, for a verified access
// request, the very ZIP the person gets from My data — the BIG number
// opened with the data key serve uses (R3) — to --out with mode 0600,
// after recording export.download by the staff account on the request and
// an export_produced step; on both stores. An unverified request, one of
// another type, an unknown one, a non-officer, a missing or existing
// --out, a directory that cannot be written, a missing or wrong data key:
// exit 1 with one line, no file, nothing recorded.
func TestRequestsExport(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		env, person := requestsEnvOn(t, dsn)
		dir := t.TempDir()
		env["STEWARD_KEY_FILE"] = filepath.Join(dir, "data.key")
		if err := writeKeyFile(env["STEWARD_KEY_FILE"]); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(env["STEWARD_KEY_FILE"])
		key, err := account.ParseKey(string(raw))
		if err != nil {
			t.Fatal(err)
		}
		sealer, _ := account.NewSealer(key)
		s := openTestStore(t, env)
		p := testkit.Policy(t, "ivm")
		clk := clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)) // the commands' clock
		if _, err := s.ClaimDataKey(ctx, dataKeyID(key), clk.Now()); err != nil {
			t.Fatal(err)
		}
		// The BIG number sealed as the web stores it (R3).
		err = s.InTx(ctx, func(tx *store.Tx) error {
			return tx.PutProfile(ctx, p, person.ID, "lms_account", account.Values{
				"register_number": sealer.Seal("12345678901", person.ID+"/lms_account/register_number")}, clk.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		d, err := newDesk(s, p, clk, "")
		if err != nil {
			t.Fatal(err)
		}
		ps := audit.Pseudonym(person.Pseudonym)
		add := func(typ rights.Type, verify bool) string {
			t.Helper()
			r, err := d.Add(ctx, audit.Staff("a-officer"), rights.NewRequest{SubjectID: person.ID, Type: typ, Channel: rights.ChannelLetter, ReceivedOn: testDay(t, "2026-11-20")})
			if err != nil {
				t.Fatal(err)
			}
			if verify {
				if _, err := d.VerifyManually(ctx, audit.Staff("a-officer"), r.ID, "identity card shown at the desk"); err != nil {
					t.Fatal(err)
				}
			}
			return r.ID
		}
		access, unverified, erasure := add(rights.TypeAccess, true), add(rights.TypePortability, false), add(rights.TypeErasure, true)
		out := filepath.Join(dir, "export.zip")
		existing := filepath.Join(dir, "existing.zip")
		if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		wrongKey := filepath.Join(dir, "wrong.key")
		if err := writeKeyFile(wrongKey); err != nil {
			t.Fatal(err)
		}
		noDir := filepath.Join(dir, "missing", "export.zip")

		since := testkit.AuditHead(t, s)
		for _, tc := range []struct {
			args []string
			says string
		}{
			{[]string{access}, "--out FILE is required"},
			{[]string{unverified, "--out", out}, "not verified"},
			{[]string{erasure, "--out", out}, "Only an access or portability request"},
			{[]string{"req_0123456789abcdef", "--out", out}, "no request"},
			{[]string{access, "--out", out, "--staff", "a-person"}, "not a staff account"},
			{[]string{access, "--out", existing}, "exists; refusing to overwrite"},
			{[]string{access, "--out", noDir}, "cannot write"},
			{[]string{access, "--out", out, "--key-file", filepath.Join(dir, "nokey")}, "does not exist"},
			{[]string{access, "--out", out, "--key-file", wrongKey}, "is not the key"},
		} {
			args := append([]string{"requests", "export"}, tc.args...)
			code, stdout, errOut := run(t, env, args...)
			if code != 1 || stdout != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.says) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line saying %q", tc.args, code, stdout, errOut, tc.says)
			}
		}
		testkit.AssertAudit(t, s, since)
		if b, _ := os.ReadFile(existing); string(b) != "keep me" {
			t.Fatalf("a refused export changed %s: %q", existing, b)
		}
		if names := dirNames(t, dir); strings.Join(names, " ") != "data.key existing.zip wrong.key" {
			t.Fatalf("a refused export left files: %v", names)
		}

		code, stdout, errOut := run(t, env, "requests", "export", access, "--out", out)
		if code != 0 || stdout != access+": export written to "+out+"\n" || errOut != "" {
			t.Fatalf("export: exit %d, stdout %q, stderr %q", code, stdout, errOut)
		}
		fi, err := os.Stat(out)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("export file: %v %v, want mode 0600", fi, err)
		}
		if names := dirNames(t, dir); strings.Join(names, " ") != "data.key existing.zip export.zip wrong.key" {
			t.Fatalf("files after the export: %v (a temporary file left?)", names)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ExportDownload, Actor: audit.Staff("a-officer"),
			ObjectKind: "request", ObjectID: access, Subject: ps, Fields: []string{"export_v1"}})
		got, _ := os.ReadFile(out)
		var own bytes.Buffer
		// My data's export opens with the account service's opener, as
		// serve wires it.
		svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: clk, Sealer: sealer})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Export(ctx, &own, person.ID, audit.SubjectActor(ps), desk.CollectOptions{Open: svc.Accounts.Opener(), Reveal: true}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, own.Bytes()) {
			t.Fatalf("the file (%d bytes) differs from the person's own export (%d bytes)", len(got), own.Len())
		}
		if !bytes.Contains(unzipped(t, got, rights.ExportDataFile), []byte(`"12345678901"`)) {
			t.Fatal("the export does not hold the opened BIG number")
		}
		if code, stdout, _ := run(t, env, "requests", "show", access); code != 0 || !strings.Contains(stdout, "export_produced") {
			t.Fatalf("show: exit %d, the timeline lacks the export:\n%s", code, stdout)
		}
	})
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func unzipped(t *testing.T, b []byte, name string) []byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	for _, f := range z.File {
		if f.Name == name {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			data, _ := io.ReadAll(r)
			return data
		}
	}
	t.Fatalf("the ZIP has no %s", name)
	return nil
}

func testDay(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
