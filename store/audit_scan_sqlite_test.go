package store_test

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// variedEntry is entry i with columns of every length, empty ones, and
// now and then a record too large for one page (it goes on in overflow
// pages, which the page reader leaves to SQL).
func variedEntry(i int) audit.Entry {
	e := entry(i)
	e.ObjectID = "a_" + strings.Repeat("x", i%120) + strconv.Itoa(i)
	e.Fields = nil
	for f := range i % 7 {
		e.Fields = append(e.Fields, "field_"+strconv.Itoa(f))
	}
	if i%3 == 0 {
		e.Subject, e.RequestID = "", ""
	}
	if i%997 == 0 {
		for f := range 40 {
			e.Fields = append(e.Fields, "f"+strings.Repeat("y", 120)+strconv.Itoa(f))
		}
	}
	return e
}

func scanAll(t *testing.T, scan func(context.Context, *store.Store, int64, int64, func(*audit.Entry) error) error, s *store.Store, from, to int64) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	err := scan(context.Background(), s, from, to, func(e *audit.Entry) error {
		c := *e
		c.Fields = append([]string(nil), e.Fields...)
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatalf("scan %d-%d: %v", from, to, err)
	}
	return out
}

// TestAuditPageScanReadsWhatSQLReads: verify on SQLite reads the entries
// from the table's B-tree pages (issue 15); over a tree of three levels,
// with records that overflow their page, and for ranges that start and
// end inside pages, it must hand out exactly the entries SQL reads.
func TestAuditPageScanReadsWhatSQLReads(t *testing.T) {
	s := testkit.SQLite(t)
	const n = 20_000
	for from := 1; from <= n; from += 1000 {
		err := s.InTx(context.Background(), func(tx *store.Tx) error {
			for i := from; i < from+1000; i++ {
				if err := tx.AppendAudit(variedEntry(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var depth int
	if err := s.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM sqlite_dbpage AS d
		JOIN sqlite_schema AS s ON s.name = 'audit_log' AND d.pgno = s.rootpage WHERE unicode(substr(d.data, 1, 1)) = 5`).Scan(&depth); err != nil || depth != 1 {
		t.Fatalf("the root is not an interior page (%d, %v)", depth, err)
	}
	for _, r := range [][2]int64{{1, math.MaxInt64}, {1, n}, {17, 9_999}, {4_000, 4_000}, {2_991, 2_993}, {19_990, math.MaxInt64}, {n + 1, math.MaxInt64}, {5, 4}} {
		pages := scanAll(t, store.AuditScanPages, s, r[0], r[1])
		chunks := scanAll(t, store.AuditScanChunks, s, r[0], r[1])
		if !reflect.DeepEqual(pages, chunks) {
			t.Fatalf("%d-%d: the pages give %d entries, SQL %d, or they differ", r[0], r[1], len(pages), len(chunks))
		}
		if want := max(0, min(r[1], n)-r[0]+1); int64(len(pages)) != want {
			t.Fatalf("%d-%d: %d entries, want %d", r[0], r[1], len(pages), want)
		}
	}
	if r := verify(t, s, nil, audit.VerifyOptions{SegmentSize: 1500}); r.Broken != nil || r.Checked != n {
		t.Fatalf("broken %v, %d checked", r.Broken, r.Checked)
	}
}

// tablePages returns audit_log's pages: the root and, if it is an
// interior page, its children.
func tablePages(t *testing.T, s *store.Store) (root int, children []int) {
	t.Helper()
	var data []byte
	if err := s.Read().QueryRowContext(context.Background(), `SELECT d.pgno, d.data FROM sqlite_dbpage AS d
		JOIN sqlite_schema AS s ON s.name = 'audit_log' AND d.pgno = s.rootpage`).Scan(&root, &data); err != nil {
		t.Fatal(err)
	}
	if data[0] != 0x05 {
		t.Fatalf("root page %d is of type %#x, not an interior page", root, data[0])
	}
	n := int(binary.BigEndian.Uint16(data[3:]))
	for i := range n {
		off := binary.BigEndian.Uint16(data[12+2*i:])
		children = append(children, int(binary.BigEndian.Uint32(data[off:])))
	}
	return root, append(children, int(binary.BigEndian.Uint32(data[8:])))
}

func page(t *testing.T, s *store.Store, pgno int) []byte {
	t.Helper()
	var data []byte
	if err := s.Read().QueryRowContext(context.Background(), `SELECT data FROM sqlite_dbpage WHERE pgno = $1`, pgno).Scan(&data); err != nil {
		t.Fatal(err)
	}
	return data
}

// TestAuditVerifyFindsAlteredPages: the page reader reads what SQLite
// stores, and a page SQLite would read differently, or not at all, is a
// break at the next entry expected — never skipped, never a panic.
func TestAuditVerifyFindsAlteredPages(t *testing.T) {
	build := func(t *testing.T) (*store.Store, *audit.Signer) {
		s := testkit.SQLite(t)
		signer := testkit.AuditSigner(t, s, 100)
		for from := 1; from <= 2000; from += 500 {
			appendN(t, s, from, 500)
		}
		return s, signer
	}
	setPage := func(t *testing.T, s *store.Store, pgno int, data []byte) {
		tamperSQL(t, s, `UPDATE sqlite_dbpage SET data = $1 WHERE pgno = $2`, data, pgno)
	}
	t.Run("a_leaf_under_the_wrong_key", func(t *testing.T) {
		s, signer := build(t)
		_, kids := tablePages(t, s)
		// The second and third leaves swap places: every entry is still
		// in the file, in a tree whose keys no longer lead to them.
		a, b := page(t, s, kids[1]), page(t, s, kids[2])
		setPage(t, s, kids[1], b)
		setPage(t, s, kids[2], a)
		r := verify(t, s, signer, audit.VerifyOptions{})
		if r.Broken == nil || !strings.Contains(r.Broken.Reason, "outside the range its parent gives") {
			t.Fatalf("broken %v", r.Broken)
		}
		t.Logf("detected: %s", r.Broken)
	})
	// A root SQLite cannot read fails verify's first query (MAX(seq)),
	// before the pages are read: an error, "malformed", as before the page
	// reader. Deeper down the reader finds them itself.
	for _, c := range []struct {
		name  string
		child func(root int) uint32
		why   string
	}{
		{"a_child_past_the_end_of_the_file", func(int) uint32 { return 1 << 30 }, "which the database file does not have"},
		{"a_cycle", func(root int) uint32 { return uint32(root) }, "deeper than any table"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, signer := build(t)
			_, kids := tablePages(t, s)
			// The second leaf made an interior page without keys, its
			// right-most pointer at the child. (Not the first or last
			// leaf: SQL reads entry 1, for the genesis, and the last.)
			data := page(t, s, kids[1])
			data[0] = 0x05
			binary.BigEndian.PutUint16(data[3:], 0)
			binary.BigEndian.PutUint32(data[8:], c.child(kids[1]))
			setPage(t, s, kids[1], data)
			r, err := audit.Verify(context.Background(), s.Audit(), audit.VerifyOptions{Key: signer.Public()})
			switch {
			case err != nil && strings.Contains(err.Error(), "malformed"):
				t.Logf("failed: %v", err)
			case err != nil:
				t.Fatal(err)
			case r.Broken == nil || !strings.Contains(r.Broken.Reason, c.why):
				t.Fatalf("broken %v", r.Broken)
			default:
				t.Logf("detected: %s", r.Broken)
			}
		})
	}
	t.Run("bytes_flipped", func(t *testing.T) {
		// Random bytes of the root and of leaves changed: whatever the
		// reader makes of them, it does not panic, and a log it reads as
		// intact is one SQL reads the same.
		s, signer := build(t)
		root, kids := tablePages(t, s)
		rnd := rand.New(rand.NewPCG(15, 5))
		broken := map[bool]int{}
		for i := range 60 {
			pgno := kids[rnd.IntN(len(kids))]
			if i%5 == 0 {
				pgno = root
			}
			orig := page(t, s, pgno)
			data := append([]byte(nil), orig...)
			for range 1 + rnd.IntN(3) {
				data[rnd.IntN(len(data))] ^= byte(1 + rnd.IntN(255))
			}
			setPage(t, s, pgno, data)
			r, err := audit.Verify(context.Background(), s.Audit(), audit.VerifyOptions{Key: signer.Public()})
			switch {
			case err != nil && strings.Contains(err.Error(), "malformed"):
				// SQLite cannot read it either.
			case err != nil:
				t.Fatal(err)
			case r.Broken == nil:
				// Only bytes SQLite does not read either were changed.
				pages := scanAll(t, store.AuditScanPages, s, 1, math.MaxInt64)
				chunks := scanAll(t, store.AuditScanChunks, s, 1, math.MaxInt64)
				if !reflect.DeepEqual(pages, chunks) {
					t.Fatalf("page %d changed: verify finds it intact, but SQL reads other entries", pgno)
				}
			}
			broken[r != nil && r.Broken != nil]++
			setPage(t, s, pgno, orig)
		}
		t.Logf("%d changes found, %d in bytes nobody reads (or SQLite cannot read)", broken[true], broken[false])
		if r := verify(t, s, signer, audit.VerifyOptions{}); r.Broken != nil {
			t.Fatalf("restored: %v", r.Broken)
		}
	})
}
