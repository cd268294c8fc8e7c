package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"steward/audit"
)

// Reading the audit log's own B-tree pages (issue 15: on SQLite 1,000,000
// entries verified in under a second on two cores).
//
// Verification reads every column of every entry. Through SQL that costs
// SQLite's VDBE a column at a time and then the text the chunk query
// builds (concat_ws, group_concat): about 1 CPU-µs an entry before any
// hashing, the bulk of verify. The same bytes are in the table's pages,
// in SQLite's documented and stable file format
// (https://sqlite.org/fileformat2.html): each entry is one cell of a
// table B-tree leaf, its rowid the seq and its record the other twelve
// columns. scanPages reads those pages through the sqlite_dbpage virtual
// table, in the scan's read transaction, so it sees exactly the snapshot
// SQL would (the WAL's frames included), and decodes the records itself.
//
// What it reads is what SQLite stores, byte for byte; what it does not
// understand it does not guess at. A database it cannot read this way (no
// sqlite_dbpage, a text encoding other than UTF-8, a table whose columns
// differ from auditColumns or that is not a rowid table) is scanned with
// the chunk query instead (scanChunks). A page that is not a well-formed
// table B-tree page, a cell whose rowid lies outside the range its parent
// gives it, or a record that does not decode to the thirteen columns is a
// CorruptError at the next entry expected: SQLite would read such a page
// differently or not at all, so it is never skipped. An entry too large
// for its page (its record continues on overflow pages) is read with SQL.

// auditPagesSelect reads the pages numbered in the JSON array $1 as this
// read transaction sees them: one query for the hundreds of children of
// an interior page (a query a page cost more than reading the rows with
// SQL). CROSS JOIN makes json_each the outer loop, so the pages come in
// the array's order without sorting a megabyte of them (read checks it).
// As TEXT, the same bytes (UTF-8 is the one encoding scanPages reads)
// reach Go as one string, which the entries' columns then share; a blob
// would be copied once more.
const auditPagesSelect = `SELECT d.pgno, CAST(d.data AS TEXT) FROM json_each($1) AS j CROSS JOIN sqlite_dbpage AS d
	WHERE d.pgno = j.value`

// auditPagesBatch is the most pages auditPagesSelect reads at once (1 MiB
// of 4 KiB pages).
const auditPagesBatch = 256

// auditTableShape is audit_log's root page and whether its columns are
// auditColumns in that order with seq the INTEGER PRIMARY KEY (the rowid),
// the layout decode reads.
const auditTableShape = `SELECT (SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = 'audit_log'),
	(SELECT group_concat(name, ', ') FROM (SELECT name FROM pragma_table_info('audit_log') ORDER BY cid)),
	(SELECT count(*) FROM pragma_table_info('audit_log') WHERE pk > 0),
	(SELECT count(*) FROM pragma_table_info('audit_log') WHERE name = 'seq' AND pk = 1 AND upper(type) = 'INTEGER')`

// maxBTreeDepth bounds the descent: a table of 2^64 rows is far shallower,
// so a deeper one loops.
const maxBTreeDepth = 24

// errNoPageScan says the database cannot be read page by page; Scan falls
// back to the chunk query.
var errNoPageScan = errors.New("store: audit log cannot be read page by page")

// pageScan is one Scan of entries from..to by pages.
type pageScan struct {
	ctx      context.Context
	tx       *sql.Tx
	page     *sql.Stmt
	pageSize int
	usable   int
	from, to int64
	fn       func(*audit.Entry) error

	// arg is read's, kept for the next call.
	arg []byte

	e      audit.Entry
	fields []string
	// next is the entry expected next, named in a CorruptError.
	next uint64
}

// scanPages calls fn for the entries from..to of the snapshot of tx, in
// order, read from the table's pages; errNoPageScan if it cannot.
func (l *AuditLog) scanPages(ctx context.Context, tx *sql.Tx, from, to int64, fn func(*audit.Entry) error) error {
	var root sql.NullInt64
	var columns sql.NullString
	var pks, rowidSeq int
	if err := tx.QueryRowContext(ctx, auditTableShape).Scan(&root, &columns, &pks, &rowidSeq); err != nil {
		return fmt.Errorf("store: audit scan: %w", err)
	}
	if !root.Valid || root.Int64 < 1 || root.Int64 > 1<<31 || columns.String != auditColumns || pks != 1 || rowidSeq != 1 {
		return errNoPageScan
	}
	stmt, err := tx.PrepareContext(ctx, auditPagesSelect)
	if err != nil {
		// Built without sqlite_dbpage.
		return errNoPageScan
	}
	defer stmt.Close()
	p := &pageScan{ctx: ctx, tx: tx, page: stmt, from: from, to: to, fn: fn, next: uint64(from)}
	// The file header: page size, the bytes reserved at the end of each
	// page, and the text encoding (1: UTF-8).
	pages, err := p.read([]uint32{1}, 100)
	if err != nil {
		return err
	}
	head := pages[0]
	p.pageSize = be16(head, 16)
	if p.pageSize == 1 {
		p.pageSize = 1 << 16
	}
	p.usable = p.pageSize - int(head[20])
	if p.usable < 480 || len(head) != p.pageSize || be32(head, 56) != 1 {
		return errNoPageScan
	}
	if pages, err = p.read([]uint32{uint32(root.Int64)}, p.pageSize); err != nil {
		return err
	}
	rootPage := pages[0]
	if t := rootPage[pageHeader(uint32(root.Int64))]; t != 0x05 && t != 0x0d {
		// Not a table B-tree: a WITHOUT ROWID table, read with SQL.
		return errNoPageScan
	}
	if from > to {
		return nil
	}
	return p.walk(uint32(root.Int64), rootPage, math.MinInt64, math.MaxInt64, 0)
}

// read returns the pages pgnos, in that order, each of at least n bytes;
// a page the table points at that the file does not have is a
// CorruptError.
func (p *pageScan) read(pgnos []uint32, n int) ([]string, error) {
	arg := p.arg[:0]
	for i, pgno := range pgnos {
		arg = append(arg, ',')
		if i == 0 {
			arg[0] = '['
		}
		arg = strconv.AppendUint(arg, uint64(pgno), 10)
	}
	arg = append(arg, ']')
	p.arg = arg
	rows, err := p.page.QueryContext(p.ctx, string(arg))
	if err != nil {
		return nil, fmt.Errorf("store: audit scan: %w", err)
	}
	defer rows.Close()
	out := make([]string, 0, len(pgnos))
	for rows.Next() {
		var pgno int64
		var data string
		if err := rows.Scan(&pgno, &data); err != nil {
			return nil, fmt.Errorf("store: audit scan: %w", err)
		}
		i := len(out)
		if i >= len(pgnos) || pgno != int64(pgnos[i]) || len(data) < n {
			return nil, p.missing(pgnos[min(i, len(pgnos)-1)])
		}
		out = append(out, data)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit scan: %w", err)
	}
	if len(out) != len(pgnos) {
		// A page number past the end of the file is no row.
		return nil, p.missing(pgnos[len(out)])
	}
	return out, nil
}

// pageHeader is where a page's B-tree header starts: after the file
// header on page 1.
func pageHeader(pgno uint32) int {
	if pgno == 1 {
		return 100
	}
	return 0
}

// corrupt is a page of the table that SQLite could not read as this one.
func (p *pageScan) corrupt(pgno uint32, why string) error {
	return &audit.CorruptError{Seq: p.next, Reason: fmt.Sprintf("page %d of the audit_log table is not a valid table B-tree page (%s): the database file was altered", pgno, why)}
}

// missing is a page the table points at that the database does not have.
func (p *pageScan) missing(pgno uint32) error {
	return &audit.CorruptError{Seq: p.next, Reason: fmt.Sprintf("the audit_log table points at page %d, which the database file does not have: the file was altered", pgno)}
}

// walk calls fn for the entries from..to under page pgno (data), whose
// rowids must lie after below and up to hi.
func (p *pageScan) walk(pgno uint32, data string, below, hi int64, depth int) error {
	if depth > maxBTreeDepth {
		return p.corrupt(pgno, "the tree is deeper than any table")
	}
	h := pageHeader(pgno)
	kind := data[h]
	ptrs := h + 8
	if kind == 0x05 {
		ptrs = h + 12
	} else if kind != 0x0d {
		return p.corrupt(pgno, fmt.Sprintf("page type %#x", kind))
	}
	n := be16(data, h+3)
	if ptrs+2*n > p.usable {
		return p.corrupt(pgno, "too many cells")
	}
	cell := func(i int) (string, error) {
		off := be16(data, ptrs+2*i)
		if off < ptrs+2*n || off >= p.usable {
			return "", p.corrupt(pgno, "a cell lies outside the page")
		}
		return data[off:p.usable], nil
	}
	if kind == 0x0d {
		for i := range n {
			c, err := cell(i)
			if err != nil {
				return err
			}
			if err := p.leafCell(pgno, c, below, hi); err != nil {
				return err
			}
		}
		return nil
	}
	// An interior page: cell i points at the child holding the rowids
	// after the previous cell's key up to its own, the right-most pointer
	// at the rowids after the last key. The children that may hold
	// entries from..to are read a batch at a time, in order.
	var kids []child
	for i := 0; i <= n; i++ {
		var pg uint32
		key := hi
		if i < n {
			c, err := cell(i)
			if err != nil {
				return err
			}
			if len(c) < 5 {
				return p.corrupt(pgno, "a cell lies outside the page")
			}
			pg = be32(c, 0)
			k, m := sqliteVarint(c[4:])
			if m == 0 {
				return p.corrupt(pgno, "a key lies outside the page")
			}
			if key = int64(k); key <= below || key > hi {
				return p.corrupt(pgno, "keys out of order")
			}
		} else {
			pg = be32(data, h+8)
		}
		if key >= p.from && below < p.to {
			kids = append(kids, child{pg, below, key})
		}
		if key >= p.to {
			break
		}
		below = key
	}
	pgnos := make([]uint32, 0, min(len(kids), auditPagesBatch))
	for len(kids) > 0 {
		batch := kids[:min(len(kids), auditPagesBatch)]
		kids = kids[len(batch):]
		pgnos = pgnos[:0]
		for _, k := range batch {
			pgnos = append(pgnos, k.pgno)
		}
		pages, err := p.read(pgnos, p.pageSize)
		if err != nil {
			return err
		}
		for i, k := range batch {
			if err := p.walk(k.pgno, pages[i], k.below, k.hi, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// child is a page an interior page points at, and the rowids it may hold:
// after below, up to hi.
type child struct {
	pgno      uint32
	below, hi int64
}

// leafCell decodes one entry of a leaf page and hands it to fn if it is
// one of from..to.
func (p *pageScan) leafCell(pgno uint32, c string, below, hi int64) error {
	size, n := sqliteVarint(c)
	if n == 0 {
		return p.corrupt(pgno, "a cell lies outside the page")
	}
	rowid, m := sqliteVarint(c[n:])
	if m == 0 {
		return p.corrupt(pgno, "a cell lies outside the page")
	}
	seq := int64(rowid)
	if seq <= below || seq > hi {
		return p.corrupt(pgno, fmt.Sprintf("row %d lies outside the range its parent gives the page", seq))
	}
	if seq < p.from || seq > p.to {
		return nil
	}
	c = c[n+m:]
	if size > uint64(p.usable-35) {
		// The record goes on in overflow pages: SQLite reads it.
		return p.overflow(seq)
	}
	if size > uint64(len(c)) {
		return p.corrupt(pgno, "a cell lies outside the page")
	}
	if err := p.decode(seq, c[:size]); err != nil {
		return err
	}
	if err := p.fn(&p.e); err != nil {
		return err
	}
	p.next = uint64(seq) + 1
	return nil
}

// overflow reads entry seq, whose record does not fit its page, with SQL.
func (p *pageScan) overflow(seq int64) error {
	rows, err := p.tx.QueryContext(p.ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq = $1`, seq)
	if err != nil {
		return fmt.Errorf("store: audit scan: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: audit scan: %w", err)
		}
		return &audit.CorruptError{Seq: p.next, Reason: fmt.Sprintf("entry %d is in the table's pages but cannot be read with SQL", seq)}
	}
	var r entryRow
	if err := r.scan(rows, &p.e); err != nil {
		return err
	}
	if err := p.fn(&p.e); err != nil {
		return err
	}
	p.next = uint64(seq) + 1
	return rows.Close()
}

// decode reads the record of entry seq into p.e: the columns of
// auditColumns, seq's a NULL (the rowid is seq), at and format integers,
// the eight texts text (or blob: the bytes are what is hashed), the two
// hashes 32 bytes each. Columns after the thirteenth, added by a later
// migration, are not part of the entry.
func (p *pageScan) decode(seq int64, rec string) error {
	hlen, n := sqliteVarint(rec)
	if n == 0 || hlen < uint64(n) || hlen > uint64(len(rec)) {
		return p.badRow()
	}
	header, body := rec[n:hlen], rec[hlen:]
	var cols [13]string
	var kinds [13]uint64
	for i := range cols {
		t, m := sqliteVarint(header)
		if m == 0 {
			return p.badRow()
		}
		header = header[m:]
		size, ok := serialSize(t)
		if !ok || size > uint64(len(body)) {
			return p.badRow()
		}
		kinds[i], cols[i], body = t, body[:size], body[size:]
	}
	at, ok1 := serialInt(kinds[1], cols[1])
	format, ok2 := serialInt(kinds[10], cols[10])
	if !ok1 || !ok2 || format < 0 || format > 255 || kinds[0] != 0 {
		return p.badRow()
	}
	for i := 2; i <= 12; i++ {
		if i != 10 && kinds[i] < 12 {
			return p.badRow()
		}
	}
	if len(cols[11]) != len(audit.Hash{}) || len(cols[12]) != len(audit.Hash{}) {
		return p.badRow()
	}
	p.fields = p.fields[:0]
	if cols[7] != "" {
		for f := range strings.SplitSeq(cols[7], ",") {
			p.fields = append(p.fields, f)
		}
	}
	p.e = audit.Entry{
		Seq: uint64(seq), Time: time.UnixMilli(at).UTC(), Format: uint8(format),
		Actor: audit.Actor(cols[2]), Action: audit.Action(cols[3]), ObjectKind: cols[4],
		ObjectID: cols[5], Subject: audit.Pseudonym(cols[6]), Fields: p.fields,
		PolicyVersion: cols[8], RequestID: cols[9],
	}
	copy(p.e.PrevHash[:], cols[11])
	copy(p.e.Hash[:], cols[12])
	return nil
}

// be16 and be32 read the big-endian integers of SQLite's page formats.
func be16(s string, i int) int { return int(s[i])<<8 | int(s[i+1]) }

func be32(s string, i int) uint32 {
	return uint32(s[i])<<24 | uint32(s[i+1])<<16 | uint32(s[i+2])<<8 | uint32(s[i+3])
}

// badRow is a record that is not an entry.
func (p *pageScan) badRow() error {
	return &audit.CorruptError{Seq: p.next, Reason: errAuditRow}
}

// sqliteVarint reads a SQLite variable-length integer (big-endian, seven
// bits a byte, the ninth byte all eight) and its length, 0 if s ends
// before it does.
func sqliteVarint(s string) (uint64, int) {
	var v uint64
	for i := 0; i < 8; i++ {
		if i >= len(s) {
			return 0, 0
		}
		b := s[i]
		v = v<<7 | uint64(b&0x7f)
		if b < 0x80 {
			return v, i + 1
		}
	}
	if len(s) < 9 {
		return 0, 0
	}
	return v<<8 | uint64(s[8]), 9
}

// serialSize is the bytes a record column of serial type t takes; false
// for the two reserved types.
func serialSize(t uint64) (uint64, bool) {
	switch {
	case t >= 12:
		return (t - 12) / 2, true
	case t <= 4:
		return t, true
	case t == 5:
		return 6, true
	case t == 6 || t == 7:
		return 8, true
	case t == 8 || t == 9:
		return 0, true
	}
	return 0, false
}

// serialInt is the integer a column of serial type t holds; false if it
// holds something else (a float, a text, a blob, NULL).
func serialInt(t uint64, b string) (int64, bool) {
	switch {
	case t >= 1 && t <= 6:
		v := int64(int8(b[0])) // sign-extended
		for i := 1; i < len(b); i++ {
			v = v<<8 | int64(b[i])
		}
		return v, true
	case t == 8:
		return 0, true
	case t == 9:
		return 1, true
	}
	return 0, false
}
