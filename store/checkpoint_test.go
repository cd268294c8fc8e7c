package store_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/store"
)

// TestWALIsCheckpointedBesideTheWriter (SQLite): a commit far below the
// writer's own checkpoint mark still reaches the database file, copied
// there by the checkpointer on its own connection, and what was written
// reads back the same once the store is opened again.
func TestWALIsCheckpointedBesideTheWriter(t *testing.T) {
	dsn := testkit.SQLiteDSN(t)
	path := strings.TrimPrefix(dsn, "sqlite:")
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p := testkit.Policy(t, "ivm")
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// settled waits until the file stops growing: what was committed has
	// been copied into it.
	settled := func() int64 {
		last := size()
		for range 100 {
			time.Sleep(100 * time.Millisecond)
			if n := size(); n == last {
				return n
			} else {
				last = n
			}
		}
		return last
	}
	before := settled()
	var recs []*store.Record
	for i := range 2000 {
		recs = append(recs, &store.Record{Subject: fmt.Sprintf("a-%04d", i), Kind: "learning_result", CreatedAt: acctT0,
			Values: map[string]string{"course": "a-course", "score": "80"}})
	}
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertRecords(ctx, p, recs) }); err != nil {
		t.Fatal(err)
	}
	after := settled()
	if after <= before {
		t.Fatalf("the database file stayed at %d bytes after a commit of %d records: the WAL was not checkpointed", after, len(recs))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = store.OpenExisting(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM record_values`).Scan(&n); err != nil || n != 4000 {
		t.Fatalf("%d values read back, %v; want 4000", n, err)
	}
}
