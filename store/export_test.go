package store

import (
	"context"
	"database/sql"

	"steward/audit"
)

// MigrateWith applies a given list of migrations, for tests of failure.
func MigrateWith(ctx context.Context, s *Store, list []Migration) ([]Applied, error) {
	return s.migrate(ctx, list)
}

// AccountTables lists the tables and columns anonymisation empties of an
// account's rows (accountTables).
func AccountTables() [][2]string {
	out := make([][2]string, len(accountTables))
	for i, t := range accountTables {
		out[i] = [2]string{t.table, t.column}
	}
	return out
}

// AuditScanChunks is Scan on SQLite read with the chunk query only, and
// AuditScanPages from the table's pages only (an error if the database
// cannot be read that way): tests hold the two to the same entries.
func AuditScanChunks(ctx context.Context, s *Store, from, to int64, fn func(*audit.Entry) error) error {
	return s.Audit().inSnapshot(ctx, from, to, func(tx *sql.Tx, to int64) error {
		return scanChunks(ctx, tx, from, to, fn)
	})
}

// AuditScanPages: see AuditScanChunks.
func AuditScanPages(ctx context.Context, s *Store, from, to int64, fn func(*audit.Entry) error) error {
	l := s.Audit()
	return l.inSnapshot(ctx, from, to, func(tx *sql.Tx, to int64) error {
		return l.scanPages(ctx, tx, from, to, fn)
	})
}

// OnDelete lists, per table an erasure deletes rows of, the foreign keys
// referring to it as onDelete has them: table, column, ON DELETE action.
func OnDelete() map[string][][3]string {
	out := map[string][][3]string{}
	for parent, refs := range onDelete {
		for _, r := range refs {
			action := "CASCADE"
			if r.setNull {
				action = "SET NULL"
			}
			out[parent] = append(out[parent], [3]string{r.table, r.column, action})
		}
	}
	return out
}

// WriterStats are the writer pool's statistics.
func WriterStats(s *Store) sql.DBStats { return s.write.Stats() }

// CloseErasureConn closes the writer's connection without foreign keys
// (as a failed begin on it does).
func CloseErasureConn(s *Store) error { return s.closeUnchecked() }

// PreparedOnWriter lists the texts of the statements kept prepared on a
// SQLite store's writer (stmtCache).
func PreparedOnWriter(s *Store) []string {
	s.wstmts.mu.RLock()
	defer s.wstmts.mu.RUnlock()
	var out []string
	for q := range s.wstmts.m {
		out = append(out, q)
	}
	return out
}

// EachOf calls row for each row of a read's result (eachOf).
func EachOf(rows *sql.Rows, err error, row func(*sql.Rows) error) error {
	return eachOf(rows, err, row)
}

// HoldXAPITurn takes the turn pipelined xAPI transactions link and commit
// by (WriteXAPI), as one doing so would, and calls onWait whenever one
// has sent its INSERT and waits for it ("turn") or waits for another
// writing one of its statement ids ("claim"); it returns the function
// that gives the turn back.
func (s *Store) HoldXAPITurn(onWait func(string)) (release func()) {
	s.audit.onWait = onWait
	s.audit.turn.Lock()
	return s.audit.turn.Unlock
}
