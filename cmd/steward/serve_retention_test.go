package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// serveUntil starts serve with env and returns once cond holds or the
// deadline passes; it then shuts serve down and checks it exited cleanly.
// The job under test runs on serve's own goroutine, so the test polls for
// its effect; the clock is the app's fixed clock and nothing sleeps to
// make time pass.
func serveUntil(t *testing.T, env map[string]string, cond func(stderr string) bool) string {
	t.Helper()
	srv := startServe(t, env)
	deadline := time.Now().Add(20 * time.Second)
	for !cond(srv.Stderr.String()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	met := cond(srv.Stderr.String())
	srv.Stop(t)
	if !met {
		t.Fatalf("condition not met while serving; stderr:\n%s", srv.Stderr.String())
	}
	return srv.Stderr.String()
}

// TestServeRunsRetentionInTheBackground: serve --retention-interval runs
// the retention runner at start (and every interval after) with the app's
// clock: an IVM account idle for more than a year (R9) is deleted with its
// retention.delete entry, without anyone running 'retention run'. While
// another runner holds the lease, serve logs that at info and acts on
// nothing.
func TestServeRunsRetentionInTheBackground(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "serve.db")
	if code, _, stderr := run(t, withKeys(t, map[string]string{"STEWARD_DB": dsn}), "migrate"); code != 0 {
		t.Fatal(stderr)
	}
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// testApp's clock is 2026-11-24: last login in 2025-01 is past a year.
	idle := &account.Account{ID: "a_idle", Email: "idle@example.org", Pseudonym: string(audit.NewPseudonym()),
		CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), ConfirmedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		LastLoginAt: time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)}
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, idle) }); err != nil {
		t.Fatal(err)
	}
	deletes := func() int {
		l, _, err := s.Audit().List(ctx, audit.Filter{Action: audit.RetentionDelete}, audit.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(l)
	}
	env := func(interval string) map[string]string {
		return map[string]string{"STEWARD_DB": dsn, "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"),
			"STEWARD_ADDR": "127.0.0.1:0", "STEWARD_RETENTION_INTERVAL": interval}
	}

	t.Run("another runner holds the lease", func(t *testing.T) {
		held, err := s.AcquireLease(ctx, store.RetentionLeaseName, "cron-job", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), time.Hour)
		if err != nil || !held {
			t.Fatalf("acquire: %v %v", held, err)
		}
		const busy = `level=INFO msg="retention: another runner holds the lease`
		logged := serveUntil(t, env("1h"), func(stderr string) bool { return strings.Contains(stderr, busy) })
		if strings.Contains(logged, "level=ERROR") || deletes() != 0 {
			t.Fatalf("a busy lease is not an error and acts on nothing: %d deletes\n%s", deletes(), logged)
		}
		if err := s.ReleaseLease(ctx, store.RetentionLeaseName, "cron-job"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("off by default", func(t *testing.T) {
		logged := serveUntil(t, env(""), func(string) bool { return true })
		if strings.Contains(logged, "retention") || deletes() != 0 {
			t.Fatalf("retention ran without --retention-interval: %d deletes\n%s", deletes(), logged)
		}
	})
	t.Run("runs", func(t *testing.T) {
		logged := serveUntil(t, env("1h"), func(stderr string) bool {
			return deletes() > 0 && strings.Contains(stderr, `msg="retention run"`)
		})
		l, _, err := s.Audit().List(ctx, audit.Filter{Action: audit.RetentionDelete}, audit.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(l) != 1 || l[0].ObjectID != "a_idle" || l[0].Actor != "system:retention" || !l[0].Time.Equal(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)) {
			t.Fatalf("retention.delete entries: %+v", l)
		}
		if _, err := s.AccountByID(ctx, "a_idle"); err == nil {
			t.Fatal("the idle account is still there")
		}
		if !strings.Contains(logged, "deleted=1") || strings.Contains(logged, "level=ERROR") {
			t.Errorf("summary:\n%s", logged)
		}
	})
}

// TestServeRefusesBadRetentionInterval: a bad value of serve's
// background settings (the retention interval, huge pages) is refused
// with one line naming the flag, before anything is created.
func TestServeRefusesBadRetentionInterval(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "steward.db")
	for _, c := range []struct{ env, value, flag string }{
		{"STEWARD_RETENTION_INTERVAL", "hourly", "--retention-interval"},
		{"STEWARD_RETENTION_INTERVAL", "-1h", "--retention-interval"},
		{"STEWARD_HUGE_PAGES", "yes", "--huge-pages"},
	} {
		code, _, errOut := run(t, map[string]string{"STEWARD_DB": "sqlite:" + db, "STEWARD_POLICY": testkit.PolicyPath(t, "ivm"),
			"STEWARD_ADDR": "127.0.0.1:0", c.env: c.value}, "serve")
		if code != 1 || !strings.Contains(errOut, c.flag) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%s=%q: exit %d, stderr %q", c.env, c.value, code, errOut)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("a bad value created the database (stat err %v)", err)
	}
}
