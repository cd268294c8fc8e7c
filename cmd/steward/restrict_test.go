package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/rights/desk"
	"steward/store"
)

// TestPanelExportSkipsRestricted: both people consent to research-panel
// invitations (Z4); one restricts processing through the rights desk
// (Art. 18, Z8) and is left out of the export, though their consent
// stands — the gate answers no for everything but storage.
func TestPanelExportSkipsRestricted(t *testing.T) {
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
	p := testkit.Policy(t, "zorginspirator")
	svc := consent.NewService(p, s, testkitClock())
	for _, id := range []string{"acc1", "acc2"} {
		if err := svc.Give(ctx, id, "research_panel", policy.ChannelSignup, "nl"); err != nil {
			t.Fatal(err)
		}
	}
	d := &desk.Desk{Store: s, Policy: p, Clock: testkitClock(), Zone: time.UTC}
	if err := d.Restrict(ctx, "acc2", "disputes the accuracy of their profile", audit.Staff("a-staff1")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	code, out, errOut := run(t, env, "panel", "export")
	if code != 0 || out != "subject,email\nacc1,acc1@example.org\n" {
		t.Fatalf("exit %d out %q err %q; the restricted acc2 must be left out", code, out, errOut)
	}
}
