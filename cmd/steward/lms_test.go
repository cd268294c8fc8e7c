package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/store"
)

// TestLMSSendDue: a person's erasure leaves a delete for the learning
// environment; 'lms send-due' without an LMS configured refuses and sends
// nothing; with STEWARD_LMS_URL and STEWARD_LMS_TOKEN it deletes the
// Moodle user through the test Moodle's web service (real HTTP), prints
// the counts, and logs neither the token nor an address; 'lms list' shows
// the delete as confirmed; a bad --lms-match-field or --lms-student-role
// is refused in one line (both stores).
func TestLMSSendDue(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		key := t.TempDir() + "/audit.key"
		pol := testkit.PolicyPath(t, "ivm")
		s := openTestStore(t, map[string]string{"STEWARD_DB": dsn, "STEWARD_AUDIT_KEY": key})
		now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		p := testkit.Policy(t, "ivm")
		a := &account.Account{ID: "a-anna", Email: "anna@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: now, ConfirmedAt: now}
		rec := &store.Record{Subject: a.ID, Kind: "lms_account", CreatedAt: now}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
			return tx.InsertRecord(ctx, p, rec)
		}); err != nil {
			t.Fatal(err)
		}
		moodle := testkit.NewMoodle(t)
		user := moodle.AddUser(fmt.Sprint(rec.ID), "anna@example.org", "Anna", "Jansen")
		svc, err := wiring.New(wiring.Config{Policy: p, Store: s, Clock: clock.NewFixed(now)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Desk.Erase(ctx, a.ID, audit.SubjectActor(audit.Pseudonym(a.Pseudonym))); err != nil {
			t.Fatal(err)
		}
		c := mailCLI{dsn: dsn, now: now, env: map[string]string{"STEWARD_AUDIT_KEY": key, "STEWARD_POLICY": pol,
			"STEWARD_KEY_FILE": t.TempDir() + "/data.key"}}
		code, _, errOut := c.run(t, "lms", "send-due")
		if code != 1 || !strings.Contains(errOut, "no learning environment configured") {
			t.Fatalf("send-due without an LMS: exit %d, stderr %q", code, errOut)
		}
		c.env["STEWARD_LMS_URL"] = moodle.URL
		if code, _, errOut := c.run(t, "lms", "send-due"); code != 1 || !strings.Contains(errOut, "no web service token") {
			t.Fatalf("no token: exit %d, stderr %q", code, errOut)
		}
		c.env["STEWARD_LMS_TOKEN"] = moodle.Token
		c.env["STEWARD_LMS_MATCH_FIELD"] = "email"
		if code, _, errOut := c.run(t, "lms", "send-due"); code != 1 || !strings.Contains(errOut, "idnumber or username") {
			t.Fatalf("a bad match field: exit %d, stderr %q", code, errOut)
		}
		delete(c.env, "STEWARD_LMS_MATCH_FIELD")
		if code, _, errOut := c.run(t, "lms", "send-due", "--lms-student-role", "student"); code != 1 || !strings.Contains(errOut, "lms-student-role") ||
			strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Fatalf("a student role that is not a Moodle role id: exit %d, stderr %q", code, errOut)
		}
		code, out, errOut := c.run(t, "lms", "send-due")
		if code != 0 || out != "confirmed 1, retrying 0, failed 0\n" {
			t.Fatalf("send-due: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if strings.Contains(errOut, moodle.Token) || strings.Contains(errOut, "example.org") {
			t.Errorf("send-due logged the token or an address:\n%s", errOut)
		}
		if !moodle.User(user).Deleted {
			t.Fatal("the Moodle user was not deleted")
		}
		code, out, _ = c.run(t, "lms", "list")
		if code != 0 || !strings.Contains(out, "delete") || !strings.Contains(out, " done ") || !strings.Contains(out, fmt.Sprint(rec.ID)) {
			t.Errorf("lms list: exit %d\n%s", code, out)
		}
		if code, _, _ := c.run(t, "lms", "list", "--status", "sent"); code != 1 {
			t.Errorf("lms list --status sent: exit %d, want 1", code)
		}
	})
}
