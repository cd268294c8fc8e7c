package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

// publishEnv is a database with a privacy officer and the Zorginspirator
// policy, and a changed copy of that policy (a longer warning period and a
// reworded newsletter notice).
func publishEnv(t *testing.T, dsn string) (env map[string]string, s *store.Store, changed string) {
	t.Helper()
	env = map[string]string{"STEWARD_DB": dsn, "STEWARD_POLICY": testkit.PolicyPath(t, "zorginspirator"), "STEWARD_STAFF": "a-officer",
		"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key"), "STEWARD_CONSENT_KEY_FILE": filepath.Join(t.TempDir(), "consent.key"),
		"STEWARD_KEY_FILE": filepath.Join(t.TempDir(), "data.key")}
	s = openTestStore(t, env)
	officer := &account.Account{ID: "a-officer", Email: "po@zi.test", Pseudonym: string(audit.NewPseudonym()), Role: account.RolePrivacyOfficer,
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := s.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertAccount(context.Background(), officer) }); err != nil {
		t.Fatal(err)
	}
	changed = filepath.Join(t.TempDir(), "zorginspirator.yaml")
	src := string(readTestFile(t, env["STEWARD_POLICY"]))
	src = strings.Replace(src, "warn_before: !unconfirmed P30D", "warn_before: !unconfirmed P60D", 1)
	src = strings.Replace(src, "Ja, ik wil de nieuwsbrief van Zorginspirator ontvangen", "Ja, ik wil de maandelijkse nieuwsbrief van Zorginspirator ontvangen", 1)
	if err := os.WriteFile(changed, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return env, s, changed
}

// TestPolicyPublish: 'policy publish' records version 1, refuses the same
// file again, a missing summary and an --effective day that is not after
// today, and makes a changed file version 2 taking effect on 1 January 2027,
// audited to the staff member without personal values (G1, issue 20).
func TestPolicyPublish(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		env, s, changed := publishEnv(t, dsn)
		ctx := context.Background()
		orig := env["STEWARD_POLICY"]
		code, out, errOut := run(t, env, "policy", "publish", orig, "--summary-nl", "Eerste versie.", "--summary-en", "First version.")
		if code != 0 || !strings.Contains(out, "published as version 1 of zorginspirator") {
			t.Fatalf("first publish: exit %d\n%s%s", code, out, errOut)
		}
		if code, _, errOut = run(t, env, "policy", "publish", orig, "--summary-nl", "Nog eens.", "--summary-en", "Again."); code == 0 || !strings.Contains(errOut, "version 1") {
			t.Errorf("same file again: exit %d, %q; want a refusal naming version 1", code, errOut)
		}
		if code, _, errOut = run(t, env, "policy", "publish", changed, "--summary-nl", "Alleen Nederlands."); code == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("without an English summary: exit %d, %q; want one line and a refusal", code, errOut)
		}
		if code, _, errOut = run(t, env, "policy", "publish", changed, "--summary-nl", "x", "--summary-en", "y", "--staff", "nobody"); code == 0 {
			t.Errorf("by a non-staff id: exit %d, %q", code, errOut)
		}
		if all, _ := s.PolicyPublications(ctx, "zorginspirator"); len(all) != 1 {
			t.Fatalf("after the refusals: %d versions, want 1 (bad input changes nothing)", len(all))
		}
		for _, bad := range []string{"2026-11-01", "2026-11-24", "1-1-2027"} {
			if code, _, errOut = run(t, env, "policy", "publish", changed, "--summary-nl", "x", "--summary-en", "y", "--effective", bad); code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("--effective %s: exit %d, %q; want one line and a refusal", bad, code, errOut)
			}
		}
		code, out, errOut = run(t, env, "policy", "publish", changed, "--summary-nl", "Langere waarschuwingstermijn.", "--summary-en", "Longer warning period.", "--effective", "2027-01-01")
		if code != 0 || !strings.Contains(out, "version 2") {
			t.Fatalf("changed file: exit %d\n%s%s", code, out, errOut)
		}
		v2, err := s.PolicyPublication(ctx, "zorginspirator", 2)
		if err != nil || !strings.Contains(v2.Content, "P60D") || v2.PublishedBy != "staff:a-officer" || v2.SummaryEN != "Longer warning period." ||
			!v2.EffectiveAt.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("version 2: %+v %v", v2, err)
		}
		testkit.AssertNoPersonalValues(t, s, "po@zi.test")
		entries := testkit.AuditSince(t, s, 0)
		var publishes int
		for _, e := range entries {
			if e.Action == audit.PolicyPublish {
				publishes++
				if e.ObjectKind != "policy_version" || e.Actor != "staff:a-officer" || e.Subject != "" {
					t.Errorf("audit entry %+v", e)
				}
			}
		}
		if publishes != 2 {
			t.Errorf("%d policy.publish entries, want 2", publishes)
		}
		// The diff of the two versions, by number and by file, lists
		// exactly the two changes, in words.
		want := "Changes of substance:\n- newsletter: consent notice reworded\n- retention rule inactive_account: warning beforehand changed from 30 days to 60 days\n"
		for _, args := range [][]string{{"1", "2", "--lang", "en"}, {orig, changed, "--lang", "en"}} {
			code, out, errOut := run(t, env, append([]string{"policy", "diff"}, args...)...)
			if code != 0 || out != want {
				t.Errorf("policy diff %v: exit %d\n%s%s\nwant:\n%s", args, code, out, errOut, want)
			}
		}
		if code, out, _ := run(t, env, "policy", "diff", "2", changed); code != 0 || out != "Geen verschillen.\n" {
			t.Errorf("version 2 against its own file: exit %d %q", code, out)
		}
		if code, _, errOut := run(t, env, "policy", "diff", "1", "9"); code == 0 || !strings.Contains(errOut, "does not exist") {
			t.Errorf("an unknown version: exit %d %q", code, errOut)
		}
	})
}

// TestServeRefusesAnUnpublishedChange: serve publishes the first policy
// it meets as version 1, starts on it unchanged, refuses a changed file
// without --publish (one line, nothing stored) and publishes it with
// --publish and both summaries.
func TestServeRefusesAnUnpublishedChange(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		env, s, changed := publishEnv(t, dsn)
		ctx := context.Background()
		a, _, _ := testApp(env)
		log := slog.New(slog.DiscardHandler)
		keys := func(path string) *serveKeys {
			data := readTestFile(t, path)
			p, err := policy.Parse(path, data)
			if err != nil {
				t.Fatal(err)
			}
			return &serveKeys{policy: p, policyFile: data}
		}
		orig := env["STEWARD_POLICY"]
		if err := a.publishServed(ctx, &serveOptions{policy: orig}, keys(orig), s, log); err != nil {
			t.Fatalf("first start: %v", err)
		}
		v1, ok, err := s.LatestPolicyPublication(ctx, "zorginspirator")
		if err != nil || !ok || v1.N != 1 || v1.PublishedBy != "system:serve" || v1.SummaryNL != "Eerste versie van deze privacyverklaring." {
			t.Fatalf("first start published %+v %v %v; want version 1 with the policy's own history summary", v1, ok, err)
		}
		if err := a.publishServed(ctx, &serveOptions{policy: orig}, keys(orig), s, log); err != nil {
			t.Fatalf("restart unchanged: %v", err)
		}
		env["STEWARD_POLICY"] = changed
		code, _, errOut := run(t, env, "serve", "--addr", "127.0.0.1:0")
		if code == 0 || strings.Count(errOut, "steward serve:") != 1 || !strings.Contains(errOut, "differs from published version 1") || !strings.Contains(errOut, "--publish") {
			t.Fatalf("serve on a changed policy: exit %d, %q; want one line pointing at --publish", code, errOut)
		}
		if code, _, errOut = run(t, env, "serve", "--addr", "127.0.0.1:0", "--publish", "--summary-nl", "x"); code == 0 || !strings.Contains(errOut, "--summary-en") {
			t.Fatalf("--publish without an English summary: exit %d, %q", code, errOut)
		}
		if all, _ := s.PolicyPublications(ctx, "zorginspirator"); len(all) != 1 {
			t.Fatalf("%d versions after the refusals, want 1", len(all))
		}
		o := &serveOptions{policy: changed, publish: true, summary: policy.Text{NL: "Langere termijn.", EN: "Longer period."}}
		if err := a.publishServed(ctx, o, keys(changed), s, log); err != nil {
			t.Fatalf("--publish: %v", err)
		}
		if v2, _, _ := s.LatestPolicyPublication(ctx, "zorginspirator"); v2.N != 2 || v2.SummaryEN != "Longer period." {
			t.Errorf("after --publish: %+v", v2)
		}
	})
}

func readTestFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
