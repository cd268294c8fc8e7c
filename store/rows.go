package store

import (
	"math/bits"
	"strconv"
	"strings"
)

// valuesSQL is head followed by a VALUES list of rows tuples of cols
// parameters each: the one way store writes a multi-row INSERT. SQLite
// gets "?" placeholders: it resolves "$n" names through a linear list,
// which makes a statement with thousands of them quadratic to prepare and
// bind; PostgreSQL gets $1, $2, ….
func valuesSQL(d Dialect, head string, rows, cols int) string {
	var b strings.Builder
	b.Grow(len(head) + rows*cols*5)
	b.WriteString(head)
	b.WriteString(" VALUES ")
	p := 1
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			if d == SQLite {
				b.WriteByte('?')
			} else {
				b.WriteString(placeholder(p))
				p++
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// rowsChunk is how many of n rows the next multi-row statement takes: the
// largest power of two up to most (a power of two itself). Statements of
// a handful of sizes, not one per batch size, are what the writer's
// statement cache keeps prepared (stmtCache), however the batches vary.
func rowsChunk(n, most int) int {
	return 1 << (bits.Len(uint(min(n, most))) - 1)
}

// prefixed qualifies each of a comma-separated column list with prefix
// ("a." for a join's accounts).
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// unnestRows is the most rows one unnestSQL INSERT carries.
const unnestRows = 1024

// unnestSQL is head followed by a SELECT of one array parameter per
// column, unnested together in the arrays' order (WITH ORDINALITY):
// PostgreSQL's multi-row INSERT for a batch. One text for any number of
// rows, so the driver prepares it once, and len(types) parameters
// instead of one per value, which PostgreSQL otherwise parses, binds and
// plans row by row (issue 16: an xAPI batch's records, values and ids).
// types are the columns' SQL types ("text", "bigint", ...).
func unnestSQL(head string, types ...string) string {
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(" SELECT ")
	for i := range types {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("u.c" + strconv.Itoa(i))
	}
	b.WriteString(" FROM unnest(")
	for i, t := range types {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(placeholder(i+1) + "::" + t + "[]")
	}
	b.WriteString(") WITH ORDINALITY AS u(")
	for i := range types {
		b.WriteString("c" + strconv.Itoa(i) + ",")
	}
	b.WriteString("n) ORDER BY u.n")
	return b.String()
}
