package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/mail"
	"steward/store"
)

var mailT0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// mailCLI runs steward command lines against one database with a fixed
// clock and the given environment.
type mailCLI struct {
	dsn string
	env map[string]string
	// now is the clock's time; zero means mailT0.
	now time.Time
}

func (c mailCLI) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"STEWARD_DB": c.dsn}
	for k, v := range c.env {
		env[k] = v
	}
	now := c.now
	if now.IsZero() {
		now = mailT0
	}
	a := &app{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }, clock: clock.NewFixed(now)}
	code = a.main(context.Background(), args)
	return code, out.String(), errOut.String()
}

// forEachMailDB runs fn against a fresh SQLite file and a fresh PostgreSQL
// schema, each migrated, with two mails queued: a verification mail (id 1)
// and a newsletter (id 2).
func forEachMailDB(t *testing.T, fn func(t *testing.T, c mailCLI, s *store.Store)) {
	testkit.ForEachDSN(t, func(t *testing.T, dsn string) {
		key := t.TempDir() + "/audit.key"
		s := openTestStore(t, map[string]string{"STEWARD_DB": dsn, "STEWARD_AUDIT_KEY": key})
		for _, m := range []mail.Message{
			{Kind: mail.KindVerify, SubjectID: "acct-1", To: "Jan Jansen <jan.jansen@example.org>",
				Subject: "Bevestig je e-mailadres", Text: "Open https://ivm.example.org/verify?token=abc123\n",
				HTML: `<a href="https://ivm.example.org/verify?token=abc123">Bevestig</a>`},
			{Kind: mail.KindNewsletter, SubjectID: "person-2", To: "piet@example.org", Subject: "Nieuwsbrief",
				Text: "Nieuws.", Headers: map[string]string{"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}},
		} {
			err := s.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := mail.Enqueue(context.Background(), tx, mailT0, m)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		fn(t, mailCLI{dsn: dsn, env: map[string]string{"STEWARD_AUDIT_KEY": key}}, s)
	})
}

func TestMailList(t *testing.T) {
	forEachMailDB(t, func(t *testing.T, c mailCLI, s *store.Store) {
		since := testkit.AuditHead(t, s)
		code, out, errOut := c.run(t, "mail", "list")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 {
			t.Fatalf("want a header and two mails, got:\n%s", out)
		}
		for i, want := range [][]string{
			{"ID", "KIND", "STATUS", "ATTEMPTS", "CREATED", "TO", "SUBJECT"},
			{"2", "newsletter", "pending", "0", "2026-11-24 09:00 UTC", "p***@example.org", "Nieuwsbrief"},
			{"1", "verify", "pending", "0", "2026-11-24 09:00 UTC", "j***@example.org", "Bevestig je e-mailadres"},
		} {
			if got := strings.Join(strings.Fields(lines[i]), " "); got != strings.Join(want, " ") {
				t.Errorf("line %d = %q, want %q", i, got, strings.Join(want, " "))
			}
		}
		if strings.Contains(out, "jan.jansen") || strings.Contains(out, "piet@") {
			t.Errorf("list shows a recipient unmasked:\n%s", out)
		}

		testkit.AssertAudit(t, s, since) // masked: nothing seen, nothing recorded
		_, out, _ = c.run(t, "mail", "list", "--show-recipient", "-n", "1")
		if !strings.Contains(out, "piet@example.org") || strings.Contains(out, "jan") {
			t.Errorf("--show-recipient -n 1 printed:\n%s", out)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.StaffView, Actor: audit.System("cli"),
			ObjectKind: "outbox", ObjectID: "n1", Fields: []string{"recipient"}})
		_, out, _ = c.run(t, "mail", "list", "--status", "sent")
		if strings.TrimSpace(out) != "no mail in the outbox" {
			t.Errorf("--status sent printed:\n%s", out)
		}
		code, _, errOut = c.run(t, "mail", "list", "--status", "bounced")
		if code != 1 || !strings.Contains(errOut, "pending, sent or failed") {
			t.Errorf("--status bounced: exit %d, stderr %q", code, errOut)
		}
	})
}

func TestMailShow(t *testing.T) {
	forEachMailDB(t, func(t *testing.T, c mailCLI, s *store.Store) {
		since := testkit.AuditHead(t, s)
		code, out, errOut := c.run(t, "mail", "show", "1")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{
			"Mail:          1\n", "Kind:          verify\n", "Concerns:      acct-1\n",
			"Status:        pending after 0 attempts\n", "Next attempt:  2026-11-24 09:00 UTC\n",
			"To: Jan Jansen <jan.jansen@example.org>\n", "Subject: Bevestig je e-mailadres\n",
			"\nOpen https://ivm.example.org/verify?token=abc123\n",
			"--- HTML alternative ---\n<a href=",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("show lacks %q:\n%s", want, out)
			}
		}
		_, out, _ = c.run(t, "mail", "show", "2")
		if !strings.Contains(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n") {
			t.Errorf("show lacks the extra header:\n%s", out)
		}
		code, _, errOut = c.run(t, "mail", "show", "99")
		if code != 1 || !strings.Contains(errOut, "no mail 99") {
			t.Errorf("show 99: exit %d, stderr %q", code, errOut)
		}
		if code, _, _ = c.run(t, "mail", "show", "x"); code != 2 {
			t.Errorf("show x: exit %d, want 2 (usage)", code)
		}
		// The two mails shown are recorded as views (R12), the ones that
		// do not exist are not; the log stays signed by the site's key.
		view := func(id string) testkit.AuditWant {
			return testkit.AuditWant{Action: audit.StaffView, Actor: audit.System("cli"), ObjectKind: "mail", ObjectID: id,
				Fields: []string{"recipient", "subject", "text", "html"}}
		}
		testkit.AssertAudit(t, s, since, view("1"), view("2"))
		if code, out, errOut := c.run(t, "audit", "verify"); code != 0 {
			t.Errorf("audit verify after mail show: exit %d\n%s%s", code, out, errOut)
		}
	})
}

func TestMailSendDue(t *testing.T) {
	forEachMailDB(t, func(t *testing.T, c mailCLI, s *store.Store) {
		code, _, errOut := c.run(t, "mail", "send-due")
		if code != 1 || !strings.Contains(errOut, "no SMTP server configured") {
			t.Fatalf("send-due without SMTP: exit %d, stderr %q", code, errOut)
		}
		srv := testkit.NewSMTP(t)
		c.env = map[string]string{
			"STEWARD_SMTP_HOST": srv.Host(), "STEWARD_SMTP_PORT": fmt.Sprint(srv.Port()),
			"STEWARD_SMTP_TLS": "none", "STEWARD_MAIL_FROM": "IVM <noreply@ivm.example.org>",
		}
		code, out, errOut := c.run(t, "mail", "send-due")
		if code != 0 || out != "sent 2, retrying 0, failed 0\n" {
			t.Fatalf("send-due: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if strings.Contains(errOut, "example.org") {
			t.Errorf("send-due logged an address:\n%s", errOut)
		}
		got := srv.WaitFor(t, 2)
		if !strings.Contains(got[0].Text+got[1].Text, "https://ivm.example.org/verify?token=abc123") {
			t.Errorf("verification link not delivered")
		}
		_, out, _ = c.run(t, "mail", "list", "--status", "sent")
		if strings.Count(out, " sent ") != 2 {
			t.Errorf("after send-due, list --status sent:\n%s", out)
		}

		// Sent mail is kept 30 days, then pruned.
		day := 24 * time.Hour
		for _, tc := range []struct {
			after time.Duration
			want  string
		}{
			{29 * day, "pruned 0 finished mails older than 30 days\n"},
			{31 * day, "pruned 2 finished mails older than 30 days\n"},
		} {
			later := mailCLI{dsn: c.dsn, env: c.env, now: mailT0.Add(tc.after)}
			if _, out, _ := later.run(t, "mail", "prune", "--keep-days", "30"); out != tc.want {
				t.Errorf("prune after %v: %q, want %q", tc.after, out, tc.want)
			}
		}
	})
}

func TestSMTPSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    mail.Config
		wantErr string
	}{
		{"nothing_means_no_smtp", nil, nil, mail.Config{TLS: mail.TLSStartTLS}, ""},
		{"environment", nil, map[string]string{"STEWARD_SMTP_HOST": "smtp.example.org", "STEWARD_SMTP_PORT": "2525",
			"STEWARD_SMTP_USER": "u", "STEWARD_SMTP_PASSWORD": "p", "STEWARD_SMTP_TLS": "tls", "STEWARD_MAIL_FROM": "a@example.org"},
			mail.Config{Host: "smtp.example.org", Port: 2525, Username: "u", Password: "p", TLS: mail.TLSImplicit, From: "a@example.org"}, ""},
		{"flags_win_over_environment", []string{"--smtp-host", "relay", "--smtp-tls", "none"},
			map[string]string{"STEWARD_SMTP_HOST": "smtp.example.org", "STEWARD_SMTP_TLS": "tls"},
			mail.Config{Host: "relay", TLS: mail.TLSNone}, ""},
		{"bad_port", []string{"--smtp-port", "x"}, nil, mail.Config{}, "smtp-port"},
		{"bad_tls", nil, map[string]string{"STEWARD_SMTP_TLS": "yes"}, mail.Config{}, "smtp-tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(k string) string { return tc.env[k] }, clock: clock.NewFixed(mailT0)}
			fs := a.flags("test", "", "")
			set := smtpFlags(fs)
			if err := parse(fs, tc.args); err != nil {
				t.Fatal(err)
			}
			got, err := set.config(a)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one about %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("config = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
