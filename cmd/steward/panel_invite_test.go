package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

// TestPanelInviteCommand (issue 18 item 7, Z4): 'panel invite' refuses a
// missing, malformed or non-https survey address and a policy without a
// research panel with exit 1 and one line, mailing and auditing nothing;
// it invites exactly the people whose panel consent stands now, each with
// a stop link for the panel, bulk mail of its own kind; each invitation is
// audited panel.invite by pseudonym without the address; an interrupted
// run resumes and nobody is invited to the same survey twice, while
// another survey reaches them again. Both stores.
func TestPanelInviteCommand(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		dir := t.TempDir()
		env := map[string]string{"STEWARD_DB": db, "STEWARD_POLICY": testkit.PolicyPath(t, "zorginspirator"), "STEWARD_BASE_URL": "https://zorginspirator.example",
			"STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key"), "STEWARD_CONSENT_KEY_FILE": filepath.Join(dir, "consent.key")}
		s := openTestStore(t, env)
		ids := []string{"acc1", "acc2", "acc3", "acc4"}
		for i, id := range ids {
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, email, email_key, pseudonym, created_at) VALUES ($1, $2, $2, $3, 0)`,
					id, id+"@example.org", fmt.Sprintf("ps_%032x", i+1))
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		svc := consent.NewService(testkit.Policy(t, "zorginspirator"), s, testkitClock())
		for _, id := range ids[:3] {
			if err := svc.Give(ctx, id, "research_panel", policy.ChannelSignup, "nl"); err != nil {
				t.Fatal(err)
			}
		}
		if err := svc.Withdraw(ctx, "acc2", "research_panel", policy.ChannelSettings, "nl"); err != nil {
			t.Fatal(err)
		}
		// acc4 gave the newsletter, not the panel.
		if err := svc.Give(ctx, "acc4", "newsletter", policy.ChannelSignup, "nl"); err != nil {
			t.Fatal(err)
		}
		invitations := func() map[string]string {
			t.Helper()
			out := map[string]string{}
			rows, err := s.Read().QueryContext(ctx, `SELECT subject_id, text_body, bulk FROM outbox WHERE kind = 'panel_invitation'`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var subj, text string
				var bulk int
				if err := rows.Scan(&subj, &text, &bulk); err != nil {
					t.Fatal(err)
				}
				if bulk != 1 {
					t.Errorf("invitation to %s is not bulk mail", subj)
				}
				out[subj] += text
			}
			return out
		}
		head := testkit.AuditHead(t, s)
		for _, bad := range [][]string{
			{"panel", "invite"},
			{"panel", "invite", "--survey", "enquete.example/s1"},
			{"panel", "invite", "--survey", "http://enquete.example/s1"},
			{"panel", "invite", "--survey", "https://enquete.example/s 1"},
			{"panel", "invite", "--survey", "javascript:alert(1)"},
			{"panel", "invite", "--survey", "https://enquete.example/s1", "--lang", "de"},
			{"panel", "invite", "--survey", "https://enquete.example/s1", "--policy", testkit.PolicyPath(t, "ivm")},
		} {
			code, stdout, stderr := run(t, env, bad...)
			if code == 0 || stdout != "" || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want a refusal in one line", bad, code, stdout, stderr)
			}
		}
		if len(invitations()) != 0 || testkit.AuditHead(t, s) != head {
			t.Fatal("a refused invitation mailed or audited something")
		}

		code, stdout, stderr := run(t, env, "panel", "invite", "--survey", "https://enquete.example/s1?bron=panel")
		if code != 0 || !strings.Contains(stdout, "2 invited") {
			t.Fatalf("invite: exit %d\n%s%s", code, stdout, stderr)
		}
		got := invitations()
		if len(got) != 2 || got["acc1"] == "" || got["acc3"] == "" {
			t.Fatalf("invited %v; want exactly acc1 and acc3 (acc2 withdrew, acc4 never gave it)", got)
		}
		for subj, text := range got {
			if !strings.Contains(text, "https://enquete.example/s1?bron=panel") || !strings.Contains(text, "https://zorginspirator.example/panel/unsubscribe?token="+subj+".") {
				t.Errorf("%s's invitation lacks the survey or its stop link:\n%s", subj, text)
			}
		}
		entries := testkit.AuditSince(t, s, head)
		if len(entries) != 2 {
			t.Fatalf("%d audit entries, want one per invitation", len(entries))
		}
		for _, e := range entries {
			if e.Action != "panel.invite" || e.Subject == "" || strings.Contains(fmt.Sprintf("%+v", e), "@") || strings.Contains(fmt.Sprintf("%+v", e), "enquete") {
				t.Errorf("audit entry %+v: want panel.invite by pseudonym, no address or survey", e)
			}
		}
		// The same survey again: nobody twice. Another one: everyone again.
		code, stdout, _ = run(t, env, "panel", "invite", "--survey", "https://enquete.example/s1?bron=panel")
		if code != 0 || !strings.Contains(stdout, "0 invited") || !strings.Contains(stdout, "2 invited earlier") || len(invitations()) != 2 {
			t.Fatalf("the same survey again: exit %d\n%s", code, stdout)
		}
		code, stdout, _ = run(t, env, "panel", "invite", "--survey", "https://enquete.example/s2", "--lang", "en")
		if got := invitations(); code != 0 || !strings.Contains(stdout, "2 invited") || !strings.Contains(got["acc1"], "https://enquete.example/s2") {
			t.Fatalf("another survey: exit %d\n%s", code, stdout)
		}
	})
}

// TestPanelInviteResumes: a run interrupted after its first batch
// resumes where it stopped; nobody gets the invitation twice. Both stores.
func TestPanelInviteResumes(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		clk := testkitClock()
		svc := consent.NewService(testkit.Policy(t, "zorginspirator"), s, clk)
		for i := range 5 {
			id := fmt.Sprintf("acc%d", i)
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, email, email_key, pseudonym, created_at) VALUES ($1, $2, $2, $3, 0)`,
					id, id+"@example.org", fmt.Sprintf("ps_%032x", i+1))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := svc.Give(ctx, id, "research_panel", policy.ChannelSignup, "nl"); err != nil {
				t.Fatal(err)
			}
		}
		nl := &consent.Newsletter{Consent: svc, Gate: consent.NewGate(svc.Policy, s), Clock: clk, BaseURL: "https://zorginspirator.example",
			UnsubKey: []byte("0123456789abcdef0123456789abcdef")}
		inv := consent.Invitation{Survey: "https://enquete.example/s1", Lang: "nl"}
		if _, err := nl.InvitePanel(ctx, inv, 2, func(consent.SendReport) { cancel() }); err == nil {
			t.Fatal("an interrupted run reported success")
		}
		rep, err := nl.InvitePanel(context.Background(), inv, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		s.Read().QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'panel_invitation'`).Scan(&n)
		if !rep.Resumed || rep.Already != 2 || rep.Enqueued != 3 || n != 5 {
			t.Fatalf("resumed %+v, %d mails; want 2 reached before, 3 now, 5 in all", rep, n)
		}
	})
}
