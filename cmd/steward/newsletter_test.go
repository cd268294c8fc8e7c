package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

// TestNewsletterSendCommand: 'newsletter send' refuses to run without the
// site's public URL (every mail's unsubscribe link depends on it) and
// changes nothing then; with it, it mails exactly the people whose consent
// stands, as bulk mail whose unsubscribe link points at the site. Both
// stores.
func TestNewsletterSendCommand(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		dir := t.TempDir()
		pol := testkit.PolicyPath(t, "zorginspirator")
		env := map[string]string{"STEWARD_DB": db, "STEWARD_POLICY": pol,
			"STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key"), "STEWARD_CONSENT_KEY_FILE": filepath.Join(dir, "consent.key")}
		s := openTestStore(t, env)
		p := testkit.Policy(t, "zorginspirator")
		notice := consent.Notice(p.Purpose("newsletter"), "nl")
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.SaveConsentNotice(ctx, store.ConsentNotice{Hash: consent.NoticeHash(notice), Lang: "nl", Text: notice, FirstSeen: t0}); err != nil {
				return err
			}
			for _, id := range []string{"a_yes", "a_no"} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, email, email_key, pseudonym, created_at) VALUES ($1, $2, $2, $3, $4)`,
					id, id+"@example.org", "ps_"+id, t0.UnixMilli()); err != nil {
					return err
				}
			}
			_, err := tx.AppendConsent(ctx, store.ConsentRecord{Subject: "a_yes", Purpose: "newsletter", Given: true,
				Channel: string(policy.ChannelSettings), NoticeHash: consent.NoticeHash(notice), At: t0, PolicyVersion: p.Version.Number})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		body := filepath.Join(dir, "issue.txt")
		if err := os.WriteFile(body, []byte("Nieuwe vacatures in de zorg."), 0o600); err != nil {
			t.Fatal(err)
		}
		mails := func() (n int, text string) {
			rows, err := s.Read().QueryContext(ctx, `SELECT subject_id, text_body, bulk FROM outbox WHERE kind = 'newsletter'`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var subj string
				var bulk int
				if err := rows.Scan(&subj, &text, &bulk); err != nil {
					t.Fatal(err)
				}
				if subj != "a_yes" || bulk != 1 {
					t.Errorf("newsletter mail to %s (bulk %d): only a_yes consented, and it must be bulk", subj, bulk)
				}
				n++
			}
			return n, text
		}

		code, _, stderr := run(t, env, "newsletter", "send", "--subject", "Nieuws", "--body", body)
		if code != 1 || !strings.Contains(stderr, "--base-url is required") || strings.Count(stderr, "\n") != 1 {
			t.Fatalf("send without a base URL: exit %d, stderr %q", code, stderr)
		}
		if n, _ := mails(); n != 0 {
			t.Fatalf("a refused send enqueued %d mails", n)
		}
		code, stdout, stderr := run(t, env, "newsletter", "send", "--subject", "Nieuws", "--body", body, "--base-url", "https://zorginspirator.example")
		if code != 0 || !strings.Contains(stdout, "1 enqueued") {
			t.Fatalf("send: exit %d\n%s%s", code, stdout, stderr)
		}
		n, text := mails()
		if n != 1 || !strings.Contains(text, "Nieuwe vacatures in de zorg.") || !strings.Contains(text, "https://zorginspirator.example/") {
			t.Fatalf("%d mails; text %q", n, text)
		}
	})
}
