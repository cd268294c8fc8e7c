package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// TestNewsletterPurgeIsTheRetentionRule: 'newsletter purge' runs the
// policy's rule for unconfirmed sign-ups through the retention runner (R2,
// one path): a sign-up unconfirmed for more than 30 days goes with a
// retention.delete entry, a younger or confirmed one stays, a second run
// finds nothing; a policy without such a rule is a clear error.
func TestNewsletterPurgeIsTheRetentionRule(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "n.db")
	env := withKeys(t, map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key")})
	if code, _, stderr := run(t, env, "migrate", "--db", db); code != 0 {
		t.Fatal(stderr)
	}
	s, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) // testApp's clock
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_notices (hash, lang, text, first_seen) VALUES ('h1', 'nl', 'Ja, ik wil de nieuwsbrief.', 0)`); err != nil {
			return err
		}
		for _, ns := range []struct {
			id        string
			created   time.Time
			confirmed any
		}{
			{"ns_stale", now.AddDate(0, 0, -31), nil},
			{"ns_young", now.AddDate(0, 0, -29), nil},
			{"ns_confirmed", now.AddDate(-2, 0, 0), now.AddDate(-2, 0, 0).UnixMilli()},
		} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO newsletter_subscriptions (id, email, email_key, fields, lang, notice_hash, created_at, confirmed_at)
				VALUES ($1, $2, $2, '{}', 'nl', 'h1', $3, $4)`, ns.id, ns.id+"@example.org", ns.created.UnixMilli(), ns.confirmed); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pol := testkit.PolicyPath(t, "ivm")
	code, out, stderr := run(t, env, "newsletter", "purge", "--db", db, "--policy", pol)
	if code != 0 || !strings.Contains(out, "deleted 1 unconfirmed newsletter sign-ups (newsletter_unconfirmed)") {
		t.Fatalf("purge: exit %d\n%s%s", code, out, stderr)
	}
	left := map[string]bool{}
	rows, err := s.Read().Query(`SELECT id FROM newsletter_subscriptions`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		left[id] = true
	}
	rows.Close()
	if left["ns_stale"] || !left["ns_young"] || !left["ns_confirmed"] {
		t.Fatalf("sign-ups left: %v", left)
	}
	l, _, err := s.Audit().List(ctx, audit.Filter{Action: audit.RetentionDelete}, audit.Page{Limit: 10})
	if err != nil || len(l) != 1 || l[0].ObjectKind != store.NewsletterRecord || l[0].ObjectID != "ns_stale" || l[0].Actor != "system:retention" {
		t.Fatalf("audit: %+v %v", l, err)
	}
	if code, out, _ := run(t, env, "newsletter", "purge", "--db", db, "--policy", pol); code != 0 || !strings.Contains(out, "deleted 0 ") {
		t.Fatalf("second purge: exit %d\n%s", code, out)
	}
	code, _, stderr = run(t, env, "newsletter", "purge", "--db", db, "--policy", testkit.PolicyPath(t, "zorginspirator"))
	if code != 1 || !strings.Contains(stderr, "no retention rule for unconfirmed newsletter sign-ups") {
		t.Fatalf("policy without the rule: exit %d, %q", code, stderr)
	}
}
