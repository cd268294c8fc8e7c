package store_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/account"
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
		if want := all[len(all)-1].Version; v != want {
			t.Fatalf("schema version %d, want %d (the highest migration)", v, want)
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
		bad := append(all, store.Migration{Version: all[len(all)-1].Version + 1, Name: "broken",
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

// TestOpenErrorSaysWhy: pgx puts the reason a connection failed on the
// lines after "failed to connect to ...:"; the one line a person sees must
// still carry it, and never the password.
func TestOpenErrorSaysWhy(t *testing.T) {
	cases := map[string]string{
		"postgres://127.0.0.1:1/none?connect_timeout=1":                 "connection refused",
		"postgres://bob:s3cretpw@127.0.0.1:1/none?connect_timeout=1":    "connection refused",
		"postgres://bob:s3cretpw@localhost:1/none?connect_timeout=1":    "connection refused",
		"postgres://u:p%40ss%3Aword@127.0.0.1:1/none?connect_timeout=1": "connection refused",
	}
	if pg, err := url.Parse(testkit.PostgresURL()); err == nil {
		if s, err := store.Open(context.Background(), testkit.PostgresURL()); err == nil {
			s.Close()
			// The test server is up: a database that does not exist is
			// reported as such.
			pg.Path = "/steward_no_such_database"
			cases[pg.String()] = `database "steward_no_such_database" does not exist`
		} else if testkit.InCI() {
			t.Fatalf("PostgreSQL at %s is unreachable and CI=true: %v", testkit.PostgresURL(), err)
		}
	}
	for dsn, want := range cases {
		_, err := store.Open(context.Background(), dsn)
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
			t.Errorf("Open(%q) = %q, want one line containing %q", dsn, msg, want)
		}
		if strings.Contains(msg, "s3cretpw") || strings.Contains(msg, "p@ss:word") || strings.Contains(msg, "p%40ss") {
			t.Errorf("Open(%q) shows the password: %q", dsn, msg)
		}
		// Each address is tried with and without TLS, failing alike.
		if strings.Contains(dsn, "127.0.0.1") && strings.Count(msg, want) != 1 {
			t.Errorf("Open(%q) repeats the reason: %q", dsn, msg)
		}
	}
}

// TestDataKeyIDRecordedOnce: the first data key id claimed stays the
// database's; a later claim with another id gets the first one back, so
// the caller can refuse to start (R3). HasSealedValues finds a sealed
// value for a database used before ids were recorded.
func TestDataKeyIDRecordedOnce(t *testing.T) {
	p := testkit.Policy(t, "ivm")
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		if id, err := s.DataKeyID(ctx); err != nil || id != "" {
			t.Fatalf("fresh database: data key id %q, %v; want none", id, err)
		}
		if got, err := s.ClaimDataKey(ctx, "dk_first", at); err != nil || got != "dk_first" {
			t.Fatalf("first claim: %q, %v", got, err)
		}
		for _, id := range []string{"dk_first", "dk_other"} {
			if got, err := s.ClaimDataKey(ctx, id, at.Add(time.Hour)); err != nil || got != "dk_first" {
				t.Fatalf("claim %s: %q, %v; want dk_first", id, got, err)
			}
		}
		if id, err := s.DataKeyID(ctx); err != nil || id != "dk_first" {
			t.Fatalf("data key id %q, %v; want dk_first", id, err)
		}

		if sealed, err := s.HasSealedValues(ctx); err != nil || sealed {
			t.Fatalf("no accounts yet: HasSealedValues = %v, %v", sealed, err)
		}
		a := newAccount("sealed@example.nl")
		key, _ := account.ParseKey(account.NewKey())
		sealer, _ := account.NewSealer(key)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
			return tx.PutProfile(ctx, p, a.ID, "lms_account", account.Values{"register_number": sealer.Seal("12345678901", "x")}, at)
		})
		if err != nil {
			t.Fatal(err)
		}
		if sealed, err := s.HasSealedValues(ctx); err != nil || !sealed {
			t.Fatalf("a sealed profile value: HasSealedValues = %v, %v", sealed, err)
		}
	})
}
