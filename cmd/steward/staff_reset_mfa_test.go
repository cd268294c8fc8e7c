package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/store"
)

// TestStaffResetMFA: 'staff reset-mfa' clears a lost second factor (key,
// recovery codes), ends the account's sessions, mails it and records one
// audit entry by the CLI naming the account by id; the next login enrols
// again. Bad input — no argument, a malformed or unknown address, an
// account without a second factor — is one line, exit ≠ 0, and changes
// nothing (issue 14, finding 4; ASVS 2.5.7).
func TestStaffResetMFA(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		env := map[string]string{"STEWARD_DB": dsn, "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"),
			"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_BASE_URL": "https://www.medicijngebruik.nl"}
		s := openTestStore(t, env)
		a, _, _ := testApp(env)
		key, _ := account.ParseKey(account.NewKey())
		sealer, _ := account.NewSealer(key)
		hp := account.HashParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
		svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, "ivm"), Store: s, Clock: a.clock, Sealer: sealer, HashParams: &hp})
		if err != nil {
			t.Fatal(err)
		}
		now := a.clock.Now()
		officer := &account.Account{ID: account.NewID("a-"), Email: "po@ivm.test", Pseudonym: string(audit.NewPseudonym()),
			Role: account.RolePrivacyOfficer, CreatedAt: now, ConfirmedAt: now, PasswordHash: account.HashPassword("staff password 1", hp)}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, officer) }); err != nil {
			t.Fatal(err)
		}
		// The officer enrols through the account service, as the pages do.
		_, se, _, err := svc.Accounts.Login(ctx, "po@ivm.test", "staff password 1", false)
		if err != nil {
			t.Fatal(err)
		}
		e, err := svc.Accounts.BeginEnrolment(ctx, officer)
		if err != nil {
			t.Fatal(err)
		}
		totp, _ := account.TOTPCode(e.Secret, now)
		if _, err := svc.Accounts.ConfirmEnrolment(ctx, se, officer, totp, ""); err != nil {
			t.Fatal(err)
		}

		for _, bad := range []struct {
			args []string
			exit int
			says string
		}{
			{nil, 2, "usage"},
			{[]string{"nope@"}, 1, "e-mail"},
			{[]string{"nobody@ivm.test"}, 1, "No such account"},
			{[]string{"a-0000"}, 1, "No such account"},
		} {
			since := testkit.AuditHead(t, s)
			code, _, errOut := run(t, env, append([]string{"staff", "reset-mfa"}, bad.args...)...)
			if code != bad.exit || !strings.Contains(strings.ToLower(errOut), strings.ToLower(bad.says)) {
				t.Errorf("reset-mfa %v: exit %d %q, want %d saying %q", bad.args, code, errOut, bad.exit, bad.says)
			}
			if bad.exit == 1 && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("reset-mfa %v: more than one line: %q", bad.args, errOut)
			}
			testkit.AssertAudit(t, s, since)
		}
		if f, _ := s.SecondFactor(ctx, officer.ID); !f.Enrolled() {
			t.Fatal("bad input changed the second factor")
		}

		since := testkit.AuditHead(t, s)
		code, out, errOut := run(t, env, "staff", "reset-mfa", "PO@ivm.test")
		if code != 0 || !strings.Contains(out, officer.ID) {
			t.Fatalf("reset-mfa: exit %d %q %q", code, out, errOut)
		}
		if f, err := s.SecondFactor(ctx, officer.ID); f != nil || err != nil {
			t.Fatalf("second factor after reset: %+v %v", f, err)
		}
		if n, _ := s.RecoveryCodesLeft(ctx, officer.ID); n != 0 {
			t.Fatalf("%d recovery codes left after reset", n)
		}
		if n, _ := s.CountSessions(ctx, officer.ID); n != 0 {
			t.Fatalf("%d sessions left after reset", n)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.SecondFactorReset, Actor: audit.System("cli"), ObjectID: officer.ID, Fields: []string{}})
		testkit.AssertNoPersonalValues(t, s, "po@ivm.test", e.Secret)
		mails, _ := s.OutboxList(ctx, store.OutboxFilter{})
		if len(mails) == 0 || mails[0].Kind != "second_factor" || mails[0].Recipient != "po@ivm.test" || !strings.Contains(mails[0].Subject, "gereset") {
			t.Fatalf("reset notice: %+v", mails)
		}
		// The next login opens a session without a code that opens no
		// staff page: enrolment comes first.
		if _, se, _, err := svc.Accounts.Login(ctx, "po@ivm.test", "staff password 1", false); err != nil || se.SecondFactor {
			t.Fatalf("login after reset: %v %+v", err, se)
		}
		// Twice is refused: nothing left to reset.
		if code, _, errOut := run(t, env, "staff", "reset-mfa", officer.ID); code != 1 || !strings.Contains(errOut, "no second factor") {
			t.Fatalf("second reset: exit %d %q", code, errOut)
		}
	})
}
