package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one embedded schema change. Files are named NNNN_name.sql and
// never edited once landed; a change to the schema is a new file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// Migrations returns the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_name.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		v, _ := strconv.Atoi(m[1])
		out = append(out, Migration{Version: v, Name: m[2], SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	// Numbers are reserved for work done in parallel and may land out of
	// order (a gap until the lower number lands). Migrate applies each
	// migration by its own number, so one that lands later still runs on
	// a database already migrated past it; two files with one number are
	// refused.
	for i, m := range out {
		if m.Version < 1 || (i > 0 && m.Version == out[i-1].Version) {
			return nil, fmt.Errorf("store: migration number %04d is not unique and positive", m.Version)
		}
	}
	return out, nil
}

// The few type names that differ between the engines. Migrations write the
// token; the dialect decides what it becomes. {{INT64_KEY}} is a 64-bit
// primary key the application assigns; on SQLite it is the rowid itself,
// so a scan in key order reads the table without an index lookup per row.
var dialectTypes = map[Dialect]*strings.Replacer{
	SQLite:   strings.NewReplacer("{{BLOB}}", "BLOB", "{{SERIAL}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{INT64_KEY}}", "INTEGER PRIMARY KEY"),
	Postgres: strings.NewReplacer("{{BLOB}}", "BYTEA", "{{SERIAL}}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "{{INT64_KEY}}", "BIGINT PRIMARY KEY"),
}

// dialectSQL is a migration's SQL for one engine: the type tokens
// replaced, and a line that starts with "--sqlite: " or "--postgres: "
// kept (without the prefix) only for that engine. A statement only one
// engine has (SQLite's FTS5 table, PostgreSQL's text-search index; issue
// 18) is written that way.
func dialectSQL(d Dialect, sql string) string {
	lines := strings.Split(sql, "\n")
	for i, l := range lines {
		for _, e := range []Dialect{SQLite, Postgres} {
			if rest, ok := strings.CutPrefix(l, "--"+string(e)+": "); ok {
				if e == d {
					lines[i] = rest
				} else {
					lines[i] = ""
				}
			}
		}
	}
	return dialectTypes[d].Replace(strings.Join(lines, "\n"))
}

// Applied is a migration Migrate applied.
type Applied struct {
	Version int
	Name    string
}

// Migrate applies every embedded migration the database does not have yet,
// each in its own transaction, so a failing migration leaves the database at
// the previous version. It is safe to run from several processes at once.
func (s *Store) Migrate(ctx context.Context) ([]Applied, error) {
	return s.migrate(ctx, nil)
}

func (s *Store) migrate(ctx context.Context, list []Migration) ([]Applied, error) {
	if list == nil {
		var err error
		if list, err = Migrations(); err != nil {
			return nil, err
		}
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	var applied []Applied
	for _, m := range list {
		done, err := s.applyOne(ctx, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, Applied{m.Version, m.Name})
		}
	}
	// The schema is complete: the audit log's INSERTs can be prepared.
	s.prepareAuditInserts(ctx)
	return applied, nil
}

func (s *Store) applyOne(ctx context.Context, m Migration) (bool, error) {
	var applied bool
	err := s.InTx(ctx, func(tx *Tx) error {
		if s.dialect == Postgres {
			// Two processes migrating at once queue here; SQLite's
			// IMMEDIATE transactions already serialise them.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7355608)`); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, dialectSQL(s.dialect, m.SQL)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.Version, m.Name, nowMillis()); err != nil {
			return err
		}
		applied = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: migration %04d_%s: %w", m.Version, m.Name, err)
	}
	return applied, nil
}

// SchemaVersion returns the highest applied migration, 0 for a new database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}
