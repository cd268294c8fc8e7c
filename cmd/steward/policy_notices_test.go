package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/policy/publication"
	"steward/store"
)

// publishedNoticeChange publishes the IVM policy as version 1 into the
// database at dsn, with two learning-environment accounts (p1, p2), an
// anonymised one (p3), an order holder (p4), newsletter consents (p1, n1;
// p4 withdrew) and an analytics consent (p2), plus the extra SQL rows
// given; then version 2, with a longer period for learning-environment
// accounts and a reworded newsletter notice. It returns the environment
// the commands run with and the open store (issue 20).
func publishedNoticeChange(t *testing.T, dsn string, extra ...string) (map[string]string, *store.Store) {
	t.Helper()
	ctx := context.Background()
	env := map[string]string{"STEWARD_DB": dsn, "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"),
		"STEWARD_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key")}
	s := openTestStore(t, env)
	a, _, _ := testApp(env)
	orig := readTestFile(t, env["STEWARD_POLICY"])
	v1, err := policy.Parse("ivm.yaml", orig)
	if err != nil {
		t.Fatal(err)
	}
	svc := &publication.Service{Store: s, Clock: a.clock}
	if _, err := svc.Publish(ctx, v1, orig, audit.System("serve"), policy.Text{NL: "Eerste.", EN: "First."}); err != nil {
		t.Fatal(err)
	}
	// Two learning-environment accounts and one anonymised.
	err = s.InTx(ctx, func(tx *store.Tx) error {
		for _, q := range append([]string{
			`INSERT INTO records (subject_id, kind, created_at) VALUES ('p1', 'lms_account', 1)`,
			`INSERT INTO records (subject_id, kind, created_at) VALUES ('p2', 'lms_account', 1)`,
			`INSERT INTO records (subject_id, kind, created_at, anonymised_at) VALUES ('p3', 'lms_account', 1, 2)`,
			`INSERT INTO records (subject_id, kind, created_at) VALUES ('p4', 'order', 1)`,
		}, extra...) {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cs := consent.NewService(v1, s, a.clock)
	if _, err := cs.Apply(ctx,
		consent.Change{Subject: "p1", Purpose: "newsletter", Given: true, Channel: policy.ChannelSettings, Lang: "nl"},
		consent.Change{Subject: "n1", Purpose: "newsletter", Given: true, Channel: policy.ChannelSettings, Lang: "en"},
		consent.Change{Subject: "p4", Purpose: "newsletter", Given: true, Channel: policy.ChannelSettings, Lang: "nl"},
		consent.Change{Subject: "p4", Purpose: "newsletter", Given: false, Channel: policy.ChannelSettings, Lang: "nl"},
		consent.Change{Subject: "p2", Purpose: "site_analytics", Given: true, Channel: policy.ChannelCookieNotice, Lang: "nl"},
	); err != nil {
		t.Fatal(err)
	}
	src := string(orig)
	for _, r := range [][2]string{
		{"    since: last_login\n    period: P4Y\n", "    since: last_login\n    period: P5Y\n"},
		{"Ja, ik wil de nieuwsbrief van het IVM ontvangen.", "Ja, ik wil de maandelijkse nieuwsbrief van het IVM ontvangen."},
		{"Yes, I want to receive the IVM newsletter.", "Yes, I want to receive the monthly IVM newsletter."},
	} {
		if !strings.Contains(src, r[0]) {
			t.Fatalf("ivm.yaml has no %q", r[0])
		}
		src = strings.Replace(src, r[0], r[1], 1)
	}
	changed := filepath.Join(t.TempDir(), "ivm.yaml")
	if err := os.WriteFile(changed, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	v2, err := policy.Parse(changed, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, v2, []byte(src), audit.System("serve"), policy.Text{NL: "Langer.", EN: "Longer."}); err != nil {
		t.Fatal(err)
	}
	return env, s
}

// TestPolicyNoticesDryRun: publishing an IVM policy with a longer period
// for the learning-environment accounts and a reworded newsletter notice,
// 'policy notices --dry-run' names exactly those two changes and counts
// only the people they concern: the holders of a learning-environment
// account (not an anonymised one) and the people whose newsletter consent
// stands on the old words (not one who withdrew, not one who consented to
// something else). It stores and sends nothing (issue 20). Both stores.
func TestPolicyNoticesDryRun(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		env, s := publishedNoticeChange(t, dsn)
		head := testkit.AuditHead(t, s)
		code, out, errOut := run(t, env, "policy", "notices", "--dry-run", "--lang", "en")
		want := "Directly affected per change from version 1 to 2 (dry run: nothing is stored or sent):\n" +
			"- newsletter: consent notice reworded: 2 people to tell personally\n" +
			"- retention rule lms_account_inactive: period changed from 4 years to 5 years: 2 people to tell personally\n"
		if code != 0 || out != want {
			t.Fatalf("policy notices --dry-run: exit %d\n%s%s\nwant:\n%s", code, out, errOut, want)
		}
		if testkit.AuditHead(t, s) != head {
			t.Error("the dry run wrote to the audit log")
		}
		if code, _, errOut := run(t, env, "policy", "notices"); code != 2 || !strings.Contains(errOut, "--dry-run") {
			t.Errorf("without --dry-run: exit %d %q", code, errOut)
		}
		if code, out, _ := run(t, env, "policy", "notices", "--dry-run", "2", "2"); code != 0 || !strings.Contains(out, "Geen wijzigingen van betekenis") {
			t.Errorf("a version against itself: exit %d %q", code, out)
		}
	})
}

// TestPolicyNoticesSend: 'policy notices --send' queues one personal mail
// about the newest version to each directly affected person with an
// address (the learning-environment account holders and the people whose
// newsletter consent rests on the reworded notice), on the bulk lane,
// audited as policy.notify without addresses; run again it queues nothing
// (no duplicates, resumable); it refuses without --base-url, and with
// both --dry-run and --send (issue 20). Both stores.
func TestPolicyNoticesSend(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		env, s := publishedNoticeChange(t, dsn,
			`INSERT INTO accounts (id, email, email_key, pseudonym, created_at) VALUES ('p1', 'piet@example.org', 'piet@example.org', 'ps_11111111111111111111111111111111', 1)`,
			`INSERT INTO accounts (id, email, email_key, pseudonym, created_at) VALUES ('p2', 'pia@example.org', 'pia@example.org', 'ps_22222222222222222222222222222222', 1)`)
		head := testkit.AuditHead(t, s)
		if code, _, errOut := run(t, env, "policy", "notices", "--send"); code != 1 || !strings.Contains(errOut, "URL") {
			t.Errorf("--send without --base-url: exit %d %q", code, errOut)
		}
		if code, _, _ := run(t, env, "policy", "notices", "--send", "--dry-run"); code != 2 {
			t.Errorf("--send --dry-run: exit %d, want 2", code)
		}
		code, out, errOut := run(t, env, "policy", "notices", "--send", "--base-url", "https://www.medicijngebruik.nl", "--lang", "en")
		if want := "Version 2: 3 people directly affected; 2 mails queued now, 0 queued earlier, 1 without an address.\n"; code != 0 || out != want {
			t.Fatalf("--send: exit %d %q %s; want %q", code, out, errOut, want)
		}
		mails, err := s.OutboxList(context.Background(), store.OutboxFilter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, m := range mails {
			if m.Kind == "policy_change" {
				if !m.Bulk {
					t.Errorf("mail %d is not on the bulk lane", m.ID)
				}
				to = append(to, m.Recipient)
			}
		}
		slices.Sort(to)
		if !slices.Equal(to, []string{"pia@example.org", "piet@example.org"}) {
			t.Errorf("policy mails to %v", to)
		}
		code, out, _ = run(t, env, "policy", "notices", "--send", "--base-url", "https://www.medicijngebruik.nl", "--lang", "en")
		if want := "Version 2: 3 people directly affected; 0 mails queued now, 2 queued earlier, 1 without an address.\n"; code != 0 || out != want {
			t.Errorf("second --send: exit %d %q; want %q", code, out, want)
		}
		testkit.AssertAudit(t, s, head,
			testkit.AuditWant{Action: audit.PolicyNotify, ObjectKind: "policy_version", ObjectID: "2", Subject: "ps_11111111111111111111111111111111", Fields: []string{"purpose.newsletter", "record.lms_account"}},
			testkit.AuditWant{Action: audit.PolicyNotify, ObjectKind: "policy_version", ObjectID: "2", Subject: "ps_22222222222222222222222222222222", Fields: []string{"record.lms_account"}})
		testkit.AssertNoPersonalValues(t, s, "piet@example.org", "pia@example.org")
	})
}
