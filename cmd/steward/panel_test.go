package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

func TestPanelExportOnlyConsentingNowAndAudited(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"STEWARD_DB": "sqlite:" + filepath.Join(dir, "s.db"), "STEWARD_POLICY": testkit.PolicyPath(t, "zorginspirator"),
		"STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key")}
	ctx := context.Background()
	s := openTestStore(t, env)
	for _, id := range []string{"acc1", "acc2"} {
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, email, email_key, pseudonym, created_at) VALUES ($1, $2, $2, $3, 0)`,
				id, id+"@example.org", "ps_0000000000000000000000000000000"+id[3:])
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	svc := consent.NewService(testkit.Policy(t, "zorginspirator"), s, testkitClock())
	for _, id := range []string{"acc1", "acc2"} {
		if err := svc.Give(ctx, id, "research_panel", policy.ChannelSignup, "nl"); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.Withdraw(ctx, "acc2", "research_panel", policy.ChannelSettings, "nl"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	code, out, errOut := run(t, env, "panel", "export")
	if code != 0 || out != "subject,email\nacc1,acc1@example.org\n" {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	s = openTestStore(t, env)
	var n int
	s.Read().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'export.download' AND object_kind = 'panel_invitations'`).Scan(&n)
	if n != 1 || strings.Contains(out, "acc2") {
		t.Fatalf("audit entries %d", n)
	}
}
