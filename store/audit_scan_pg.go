package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"steward/audit"
)

// auditRawSelect is Scan's query on PostgreSQL. The columns come in
// PostgreSQL's binary format and are read straight from the driver's
// buffers (scanRaw).
const auditRawSelect = `SELECT ` + auditColumns + ` FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq`

// scanRaw is Scan on PostgreSQL: verification reads every row, and
// through database/sql each of an entry's thirteen columns was converted
// and copied on its own — most of verify's time (issue 15: 1,000,000
// entries in under 1.5 s). Here pgx hands over each row's columns as raw
// bytes in the binary format; the numbers are decoded in place and the
// eight texts copied into one string per row. The checks are Scan's: a
// NULL, a number of the wrong width or a hash of the wrong length is a
// CorruptError at that entry.
func (l *AuditLog) scanRaw(ctx context.Context, from, to int64, fn func(*audit.Entry) error) error {
	conn, err := l.s.read.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: audit scan: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: audit scan: not a pgx connection (%T)", dc)
		}
		// The plan must not depend on statistics: right after the log
		// grew by a million entries, before autovacuum has analysed it,
		// the planner takes a segment for 0.5% of the table, reads it by
		// a bitmap and sorts it on disk (26 MB for an eighth of 1,005,000
		// entries; 120-370 ms against 50-80 ms for the primary key's
		// index scan, issue 15). Without sorts to choose from it walks
		// the primary key, which is in seq order already. SET LOCAL ends
		// with the read-only transaction.
		tx, err := sc.Conn().BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
		if err != nil {
			return fmt.Errorf("store: audit scan: %w", err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `SET LOCAL enable_sort = off`); err != nil {
			return fmt.Errorf("store: audit scan: %w", err)
		}
		rows, err := tx.Query(ctx, auditRawSelect, pgx.QueryResultFormats{pgx.BinaryFormatCode}, from, to)
		if err != nil {
			return fmt.Errorf("store: audit scan: %w", err)
		}
		defer rows.Close()
		var e audit.Entry
		var fields []string
		var text strings.Builder
		next := uint64(from)
		for rows.Next() {
			if err := decodeAuditRow(rows.RawValues(), &e, &fields, &text); err != nil {
				return &audit.CorruptError{Seq: next, Reason: "row cannot be read: " + err.Error()}
			}
			if err := fn(&e); err != nil {
				return err
			}
			next = e.Seq + 1
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: audit scan: %w", err)
		}
		return nil
	})
}

// decodeAuditRow reads one row of auditRawSelect in the binary format
// into e. fields and text are reused from row to row.
func decodeAuditRow(v [][]byte, e *audit.Entry, fields *[]string, text *strings.Builder) error {
	if len(v) != 13 {
		return fmt.Errorf("%d columns", len(v))
	}
	for i, c := range v {
		if c == nil {
			return fmt.Errorf("column %d is NULL", i+1)
		}
	}
	if len(v[0]) != 8 || len(v[1]) != 8 || len(v[10]) != 2 {
		return fmt.Errorf("a number of the wrong width")
	}
	if len(v[11]) != len(e.PrevHash) || len(v[12]) != len(e.Hash) {
		return fmt.Errorf("a hash of the wrong length")
	}
	// The eight texts share one string: one allocation per row.
	text.Reset()
	n := 0
	for _, c := range v[2:10] {
		n += len(c)
	}
	text.Grow(n)
	for _, c := range v[2:10] {
		text.Write(c)
	}
	all := text.String()
	var part [8]string
	off := 0
	for i, c := range v[2:10] {
		part[i] = all[off : off+len(c)]
		off += len(c)
	}
	*fields = (*fields)[:0]
	if part[5] != "" {
		for f := range strings.SplitSeq(part[5], ",") {
			*fields = append(*fields, f)
		}
	}
	format := int16(binary.BigEndian.Uint16(v[10]))
	*e = audit.Entry{
		Seq: binary.BigEndian.Uint64(v[0]), Time: time.UnixMilli(int64(binary.BigEndian.Uint64(v[1]))).UTC(),
		Actor: audit.Actor(part[0]), Action: audit.Action(part[1]), ObjectKind: part[2], ObjectID: part[3],
		Subject: audit.Pseudonym(part[4]), Fields: *fields, PolicyVersion: part[6], RequestID: part[7],
	}
	if format >= 0 && format <= 255 {
		e.Format = uint8(format)
	}
	copy(e.PrevHash[:], v[11])
	copy(e.Hash[:], v[12])
	return nil
}
