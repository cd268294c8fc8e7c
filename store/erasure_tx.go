package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
)

// InErasureTx is InTx for a retention run's batch, which erases subjects
// by the thousand. On SQLite it runs on a second connection of the writer
// pool that has foreign keys off: SQLite carries out an ON DELETE action
// as a sub-program per deleted row and key, after a scan of the child's
// index, whatever the child tables hold — twelve keys refer to accounts,
// so the accounts' DELETE was 43% of a run (docs/performance.md,
// Retention, sixth round). The erasure does their work itself, set-based,
// one statement per referring table (onDelete, unchecked). Only the
// retention runner's batches run in such a transaction. Why that is safe:
//
//   - The only rows a batch deletes that other rows refer to are
//     accounts, records and OpenID grants, and onDelete is the schema's
//     for those: TestOnDeleteIsTheSchemas compares it with every foreign
//     key to them, and TestErasureWithoutForeignKeysLeavesNoDanglingRow
//     erases subjects with a row in every table referring to them (made
//     from the schema, so a table added later gets one), then runs
//     SQLite's foreign_key_check over the whole database and compares
//     every table's rows with the same erasure under foreign keys.
//   - The rows a batch writes refer to nothing (audit entries, outbox
//     mails, warnings, the lease, LMS messages, statistics), or keep a
//     reference they already had (re-keyed consents, unlinked requests).
//   - Writes stay one at a time in Go: the writer's own connection is held
//     for the transaction's length, so every other writer waits for it as
//     for any transaction (TestErasureTxKeepsWritesOneAtATime), and no
//     other transaction ever gets the connection without foreign keys
//     (TestForeignKeysStayOnOutsideTheErasureTx).
//
// On PostgreSQL it is InTx: the server's cascades are set-based already.
func (s *Store) InErasureTx(ctx context.Context, fn func(*Tx) error) error {
	if s.dialect != SQLite {
		return s.InTx(ctx, fn)
	}
	// Run last: prepares on the writer's own connection, free by then.
	defer s.wstmts.prepareWanted(ctx)
	gate, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer gate.Close()
	// The statements first met in a transaction are prepared afterwards
	// on the writer's own connection (stmtCache.prepareWanted); those that
	// read the batch table could not be where it does not exist, and ran
	// as text at every batch (parsing them was 0.16 s of a run).
	if _, err := gate.ExecContext(ctx, createBatchIDs); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	c, err := s.uncheckedConn(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		s.closeUnchecked()
		return fmt.Errorf("store: begin: %w", err)
	}
	return s.runTx(ctx, tx, true, fn)
}

// uncheckedConn returns the writer pool's connection with foreign keys
// off, opening it the first time: the pool then has two connections, of
// which this one never goes back, so every other use of the writer still
// has exactly one. The caller holds the other.
func (s *Store) uncheckedConn(ctx context.Context) (*sql.Conn, error) {
	u := &s.unchecked
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.conn != nil {
		return u.conn, nil
	}
	s.write.SetMaxOpenConns(2)
	c, err := s.write.Conn(ctx)
	if err != nil {
		s.write.SetMaxOpenConns(1)
		return nil, err
	}
	var on int
	_, err = c.ExecContext(ctx, `PRAGMA foreign_keys = OFF`)
	if err == nil {
		err = c.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&on)
	}
	if err == nil && on != 0 {
		err = errors.New("foreign keys stayed on")
	}
	if err != nil {
		discard(c)
		s.write.SetMaxOpenConns(1)
		return nil, fmt.Errorf("connection without foreign keys: %w", err)
	}
	u.conn = c
	return c, nil
}

// closeUnchecked closes the connection without foreign keys, if open: it
// must never go back to the pool, where any transaction could get it.
func (s *Store) closeUnchecked() error {
	u := &s.unchecked
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.conn == nil {
		return nil
	}
	discard(u.conn)
	u.conn = nil
	s.write.SetMaxOpenConns(1)
	return nil
}

// discard closes c's connection instead of returning it to its pool.
func discard(c *sql.Conn) {
	c.Raw(func(any) error { return driver.ErrBadConn })
	c.Close()
}

// reference is a foreign key that refers to a table an erasure deletes
// rows of, and its ON DELETE action.
type reference struct {
	table, column string
	// setNull: ON DELETE SET NULL; otherwise CASCADE.
	setNull bool
}

// onDelete lists, for each table an erasure deletes rows of, every
// foreign key that refers to it (by its id), as the schema declares them
// (TestOnDeleteIsTheSchemas). With foreign keys on, the database does
// what they say; in an InErasureTx, unchecked does.
var onDelete = map[string][]reference{
	"accounts": accountReferences(),
	"oidc_grants": {
		{table: "oidc_tokens", column: "grant_id"},
	},
	"records": {
		{table: "record_values", column: "record_id"},
		{table: "order_lines", column: "record_id"},
		{table: "payments", column: "record_id"},
		{table: "invoices", column: "record_id"},
		{table: "vouchers", column: "record_id", setNull: true},
	},
}

func accountReferences() []reference {
	out := make([]reference, len(accountTables))
	for i, t := range accountTables {
		out[i] = reference{table: t.table, column: t.column}
	}
	return out
}

// unchecked does, in a transaction without foreign keys (InErasureTx),
// what the ON DELETE actions of the keys referring to table would do for
// the rows whose id is among ids (a subquery, or an IN list's inside, that
// reads args), down to the keys referring to those rows' own referrers;
// with foreign keys on it does nothing. skip names referring tables the
// caller empties itself.
func (tx *Tx) unchecked(ctx context.Context, table, ids string, args []any, skip ...string) error {
	if !tx.noForeignKeys {
		return nil
	}
	for _, ref := range onDelete[table] {
		if slices.Contains(skip, ref.table) {
			continue
		}
		cond := ref.column + ` IN (` + ids + `)`
		if _, ok := onDelete[ref.table]; ok && !ref.setNull {
			if err := tx.unchecked(ctx, ref.table, `SELECT id FROM `+ref.table+` WHERE `+cond, args); err != nil {
				return err
			}
		}
		q := `DELETE FROM ` + ref.table + ` WHERE ` + cond
		if ref.setNull {
			q = `UPDATE ` + ref.table + ` SET ` + ref.column + ` = NULL WHERE ` + cond
		}
		if _, err := tx.hotExec(ctx, q, args...); err != nil {
			return fmt.Errorf("%s of %s: %w", ref.table, table, err)
		}
	}
	return nil
}
