// Package testkit boots real components for tests: a SQLite file in a temp
// dir, a fresh PostgreSQL schema, an SMTP capture server, a fixed clock.
package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"steward/store"
)

// PostgresURL is the server the PostgreSQL half of every store test runs
// against; STEWARD_TEST_PG overrides it.
func PostgresURL() string {
	if u := os.Getenv("STEWARD_TEST_PG"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// InCI reports whether the tests run under CI, where a missing PostgreSQL
// is a failure, never a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// ForEachStore runs fn as two subtests: "sqlite" against a fresh SQLite file
// and "postgres" against a fresh schema of the PostgreSQL test database.
// Both stores are migrated.
func ForEachStore(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// ForEachDSN runs fn as two subtests with the DSN of a database that does
// not exist yet (a SQLite file) or is empty (a fresh PostgreSQL schema), for
// tests of what opens and migrates a database itself, such as a command.
func ForEachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresDSN(t)) })
}

// SQLite returns a migrated store on a new SQLite file in t.TempDir().
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), SQLiteDSN(t))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return s
}

// SQLiteDSN returns the DSN of a new, not yet created SQLite file.
func SQLiteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "steward.db")
}

// Postgres returns a migrated store on a new schema that is dropped when the
// test ends. Without a reachable server it skips, except under CI, where it fails.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), PostgresDSN(t))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return s
}

// PostgresDSN creates a fresh schema and returns a DSN whose connections use
// it, so tests never see each other's rows. The schema is dropped at cleanup.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", PostgresURL())
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		if admin != nil {
			admin.Close()
		}
		if InCI() {
			t.Fatalf("PostgreSQL at %s is unreachable and CI=true: %v", PostgresURL(), err)
		}
		t.Skipf("PostgreSQL at %s is unreachable (%v); set CI=true to make this a failure", PostgresURL(), err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	return PostgresURL() + "&search_path=" + schema
}

// RecordsOfKind returns subject's records of kind, oldest first.
func RecordsOfKind(t testing.TB, s *store.Store, subject, kind string) []store.Record {
	t.Helper()
	recs, err := s.RecordsOf(context.Background(), subject)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Record
	for _, r := range recs {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}
