package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/internal/testkit"
	"steward/store"
)

func TestMigrateIsIdempotent(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		all, err := store.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v != len(all) {
			t.Fatalf("schema version %d, want %d", v, len(all))
		}
		again, err := s.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 0 {
			t.Fatalf("second migrate applied %v, want nothing", again)
		}
	})
}

func TestPolicyVersionsRecordedOnce(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		v := store.PolicyVersion{SiteID: "ivm", Version: "2024-02-08", Dated: "2024-02-08", SHA256: "abc", FirstSeen: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		for range 2 {
			if err := s.RecordPolicyVersion(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.PolicyVersions(ctx, "ivm")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != v {
			t.Fatalf("got %+v, want exactly %+v", got, v)
		}
	})
}

func TestInTxRollsBackOnError(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (site_id, version, dated, sha256, first_seen) VALUES ('x','1','2024-01-01','h',1)`); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		got, err := s.PolicyVersions(ctx, "x")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Fatalf("rolled-back insert is visible: %+v", got)
		}
	})
}

func TestFailingMigrationLeavesPreviousVersion(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		before, _ := s.SchemaVersion(ctx)
		all, _ := store.Migrations()
		bad := append(all, store.Migration{Version: len(all) + 1, Name: "broken",
			SQL: "CREATE TABLE half_done (id INTEGER); INSERT INTO no_such_table VALUES (1);"})
		if _, err := store.MigrateWith(ctx, s, bad); err == nil {
			t.Fatal("broken migration applied without error")
		}
		after, _ := s.SchemaVersion(ctx)
		if after != before {
			t.Fatalf("schema version moved from %d to %d", before, after)
		}
		var n int
		err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM half_done`).Scan(&n)
		if err == nil {
			t.Fatal("table from the failed migration exists: the migration was half-applied")
		}
	})
}

func TestOpenRejectsBadDSN(t *testing.T) {
	for _, dsn := range []string{"mysql://x", "sqlite:", "sqlite:/no/such/dir/x.db", "postgres://127.0.0.1:1/none?connect_timeout=1"} {
		_, err := store.Open(context.Background(), dsn)
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		if c := steward.ErrorCode(err); c != steward.EINVALID && c != steward.EUNAVAILABLE {
			t.Errorf("Open(%q): code %s (%v), want invalid or unavailable", dsn, c, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%q): error is not one line: %q", dsn, err)
		}
	}
}
