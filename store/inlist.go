package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// inChunk is the most values one statement of a batch read takes (eachRowIn):
// bulk work runs in batches of a bounded size (STYLE.md, SQL), so a
// newsletter run over a hundred thousand subjects is many short statements,
// not one that holds the database for its whole length.
const inChunk = 500

// placeholder is the text of the statement parameter numbered n: "$n".
func placeholder(n int) string { return "$" + strconv.Itoa(n) }

// in returns the condition "expr is one of vals" with the values as the
// single parameter $n, and that parameter's value. It is the one way store
// writes an IN list (issue 12). The values travel as one parameter: a JSON
// array read with json_each on SQLite, a text[] or bigint[] unnested on
// PostgreSQL. One short statement for a whole batch: a list of a thousand
// placeholders costs more to parse than the work it selects. On PostgreSQL
// "IN (SELECT unnest(..))" rather than "= ANY(..)": the planner estimates
// = ANY element by element (milliseconds per statement for thousands of
// ids) and, on a table whose statistics lag behind (right after a bulk
// load), chose a sequential scan of all accounts for it; the subquery
// always becomes an index probe per value. The condition may be used more
// than once in a statement: every use reads the same parameter.
func in[T string | int64](d Dialect, expr string, n int, vals []T) (string, any) {
	list, arg := inList(d, n, vals)
	return expr + ` IN (` + list + `)`, arg
}

// inList is in's subquery alone, for the inside of an IN (...) that is
// written around it (the legal holds' queries).
func inList[T string | int64](d Dialect, n int, vals []T) (string, any) {
	if d == Postgres {
		array := "text[]"
		if _, ok := any(vals).([]int64); ok {
			array = "bigint[]"
		}
		if vals == nil {
			// A nil slice would be sent as NULL, which unnests to no rows
			// too; an empty array says what is meant.
			vals = []T{}
		}
		return `SELECT unnest(` + placeholder(n) + `::` + array + `)`, vals
	}
	b, _ := json.Marshal(vals) // strings and integers always marshal
	if vals == nil {
		b = []byte("[]")
	}
	return `SELECT value FROM json_each(` + placeholder(n) + `)`, string(b)
}

// eachRowIn runs a read, kept prepared (its text is fixed), whose condition includes "expr is one of vals"
// once per part of vals of at most inChunk values, and calls row for each
// row of every part's result. query returns the statement with the part's
// condition (in) in its place; args are the parameters before it, so the
// values are parameter len(args)+1. It stops at the first error.
func eachRowIn[T string | int64](ctx context.Context, r *Reader, expr string, vals []T, query func(cond string) string, args []any, row func(*sql.Rows) error) error {
	n := len(args) + 1
	for len(vals) > 0 {
		part := vals[:min(len(vals), inChunk)]
		vals = vals[len(part):]
		cond, arg := in(r.dialect, expr, n, part)
		if err := r.eachHotRow(ctx, query(cond), append(args[:n-1:n-1], arg), row); err != nil {
			return err
		}
	}
	return nil
}

// eachRowByKey reads the rows of table whose column key is one of vals
// (columns: what each row gives row), in parts of at most inChunk values,
// kept prepared like eachRowIn. On PostgreSQL each value is looked up on
// its own, through a LATERAL subquery behind OFFSET 0 that the planner
// cannot turn into a join: the driver keeps a statement's generic plan,
// and one made while the table was small (a hash join over a sequential
// scan) read the whole table at every call once it had grown, since
// nothing replans it until the table is analysed (issue 16: 120 ms a
// call on 100,000 accepted xAPI statements). key must be unique or
// indexed for this to stay a probe per value.
func eachRowByKey[T string | int64](ctx context.Context, r *Reader, table, key, columns string, vals []T, row func(*sql.Rows) error) error {
	if r.dialect != Postgres {
		return eachRowIn(ctx, r, key, vals, func(cond string) string {
			return `SELECT ` + columns + ` FROM ` + table + ` WHERE ` + cond
		}, nil, row)
	}
	array := `text[]`
	if _, ok := any(vals).([]int64); ok {
		array = `bigint[]`
	}
	q := `SELECT t.* FROM unnest($1::` + array + `) AS u(k) CROSS JOIN LATERAL (SELECT ` + columns + ` FROM ` + table +
		` WHERE ` + key + ` = u.k OFFSET 0) t`
	for len(vals) > 0 {
		part := vals[:min(len(vals), inChunk)]
		vals = vals[len(part):]
		if err := r.eachHotRow(ctx, q, []any{part}, row); err != nil {
			return err
		}
	}
	return nil
}

// batchIDsTable is the SQLite temporary table a transaction writes the ids
// of a batch into once (batchIn): one per connection, emptied and filled
// again when a statement names another list.
const batchIDsTable = `temp.batch_ids`

// createBatchIDs makes batchIDsTable on a connection that has none.
const createBatchIDs = `CREATE TEMP TABLE IF NOT EXISTS batch_ids (id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID`

// batchIn is in for a list of ids that several statements of the
// transaction name (an erasure batch's subjects: a dozen tables). On
// SQLite the ids are written once into batchIDsTable and each statement
// reads that table's index: with in, every statement decoded the JSON
// array again and built a fresh index of it. On PostgreSQL it is in,
// whose array is bound once per statement anyway. The list is the
// statement's last parameter, $n, and args its value: none on SQLite.
// A statement that reads the table must have finished (its rows closed)
// before the transaction's next batchIn with another list. Outside a
// transaction it is in.
func (r *Reader) batchIn(ctx context.Context, expr string, n int, ids []string) (cond string, args []any, err error) {
	if r.dialect != SQLite || r.tx == nil {
		cond, arg := in(r.dialect, expr, n, ids)
		return cond, []any{arg}, nil
	}
	if err := r.loadBatchIDs(ctx, ids); err != nil {
		return "", nil, fmt.Errorf("batch ids: %w", err)
	}
	return expr + ` IN (SELECT id FROM ` + batchIDsTable + `)`, nil, nil
}

// loadBatchIDs makes batchIDsTable hold exactly ids, unless it already
// does in this transaction. The table outlives the transaction (it is the
// connection's) but not its contents' meaning: each transaction fills it
// before its first use.
func (r *Reader) loadBatchIDs(ctx context.Context, ids []string) error {
	if r.batchIDs != nil && slices.Equal(*r.batchIDs, ids) {
		return nil
	}
	exec := func(q string, args ...any) error {
		var err error
		if st := r.hot(ctx, q); st != nil {
			_, err = st.ExecContext(ctx, args...)
		} else {
			_, err = r.tx.ExecContext(ctx, q, args...)
		}
		return err
	}
	if r.batchIDs == nil {
		// The connection's table may be new (or its creation rolled back).
		if err := exec(createBatchIDs); err != nil {
			return err
		}
	}
	if err := exec(`DELETE FROM ` + batchIDsTable); err != nil {
		return err
	}
	_, arg := inList(r.dialect, 1, ids)
	if err := exec(`INSERT OR IGNORE INTO `+batchIDsTable+` (id) SELECT value FROM json_each($1)`, arg); err != nil {
		return err
	}
	kept := slices.Clone(ids)
	r.batchIDs = &kept
	return nil
}
