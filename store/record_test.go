package store_test

import (
	"context"
	"fmt"
	"testing"

	"steward"
	"steward/internal/testkit"
	"steward/store"
)

// TestInsertRecordsNumbersEveryRowInOrder: a batch larger than one
// statement's rows, of records of several people with values and some
// without, gets each record its own id and its own values back; a batch
// with one undeclared field stores nothing.
func TestInsertRecordsNumbersEveryRowInOrder(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := testkit.Policy(t, "zorginspirator")
		var people []string
		var recs []*store.Record
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for i := range 3 {
				a := newAccount(fmt.Sprintf("batch%d@example.nl", i))
				if err := tx.InsertAccount(ctx, a); err != nil {
					return err
				}
				people = append(people, a.ID)
			}
			for i := range 450 {
				r := &store.Record{Subject: people[i%3], Kind: "saved_item", CreatedAt: acctT0}
				if i%7 != 0 {
					r.Values = map[string]string{"kind": "job", "item": fmt.Sprintf("item %d", i)}
				}
				recs = append(recs, r)
			}
			return tx.InsertRecords(ctx, p, recs)
		})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for i, r := range recs {
			if r.ID == 0 || seen[r.ID] {
				t.Fatalf("record %d: id %d not new", i, r.ID)
			}
			seen[r.ID] = true
		}
		// The same INSERTs again in later transactions: on SQLite they now
		// run prepared on the writer (stmtCache), with the same result.
		for round := range 2 {
			more := []*store.Record{{Subject: people[round], Kind: "saved_item", CreatedAt: acctT0,
				Values: map[string]string{"kind": "course", "item": "again"}}}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertRecords(ctx, p, more) }); err != nil {
				t.Fatal(err)
			}
			got, err := s.RecordsOf(ctx, people[round])
			if err != nil {
				t.Fatal(err)
			}
			if last := got[len(got)-1]; last.ID != more[0].ID || last.Values["item"] != "again" {
				t.Fatalf("round %d: newest record %+v, want id %d with item again", round, last, more[0].ID)
			}
			recs = append(recs, more...)
		}
		for n, who := range people {
			got, err := s.RecordsOf(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			if want := 150 + map[int]int{0: 1, 1: 1}[n]; len(got) != want {
				t.Fatalf("person %d: %d records, want %d", n, len(got), want)
			}
			for _, g := range got {
				var want *store.Record
				for _, r := range recs {
					if r.ID == g.ID {
						want = r
					}
				}
				if want == nil || want.Subject != who {
					t.Fatalf("record %d of person %d was not stored for them", g.ID, n)
				}
				if g.Values["item"] != want.Values["item"] || len(g.Values) != len(want.Values) {
					t.Fatalf("record %d: values %v, want %v", g.ID, g.Values, want.Values)
				}
			}
		}

		bad := []*store.Record{
			{Subject: people[0], Kind: "saved_item", CreatedAt: acctT0, Values: map[string]string{"item": "kept?"}},
			{Subject: people[0], Kind: "saved_item", CreatedAt: acctT0, Values: map[string]string{"colour": "blue"}},
		}
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertRecords(ctx, p, bad) })
		if steward.ErrorCode(err) != steward.EINVALID {
			t.Fatalf("undeclared field: %v, want EINVALID", err)
		}
		if got, _ := s.RecordsOf(ctx, people[0]); len(got) != 151 {
			t.Fatalf("after the refused batch person 0 has %d records, want 151", len(got))
		}
	})
}
