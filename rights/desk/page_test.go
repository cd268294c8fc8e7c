package desk_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"steward"
	"steward/internal/testkit"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
)

// TestCollectPageWalksEveryItemOnce: "My data" a page at a time (issue
// 15) shows each kind's total and, following the next-page cursors, every
// item Collect holds exactly once, newest first — ties in time included
// (several orders in one millisecond) — while the export stays whole.
func TestCollectPageWalksEveryItemOnce(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, "ivm", "2026-03-10")
		ctx := context.Background()
		p := f.d.Policy
		now := f.clk.Now()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for i := range 23 {
				// Three orders share each millisecond.
				at := now.AddDate(0, 0, -i/3)
				rec := &store.Record{Subject: f.person.ID, Kind: "order", CreatedAt: at, Values: map[string]string{"order_number": fmt.Sprintf("ORD-%03d", i)}}
				if err := tx.InsertRecord(ctx, p, rec); err != nil {
					return err
				}
			}
			return tx.InsertRecord(ctx, p, &store.Record{Subject: f.person.ID, Kind: "download", CreatedAt: now, Values: map[string]string{"material": "folder.pdf"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		whole, err := f.d.Collect(ctx, f.person.ID, desk.CollectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		first, err := f.d.CollectPage(ctx, f.person.ID, desk.CollectOptions{}, desk.PageOptions{PerKind: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Categories) != len(whole.Categories) {
			t.Fatalf("first page has %d kinds, Collect %d", len(first.Categories), len(whole.Categories))
		}
		for _, c := range whole.Categories {
			kp := first.Kinds[c.Kind]
			if kp.Total != len(c.Items) {
				t.Errorf("%s: total %d, Collect holds %d", c.Kind, kp.Total, len(c.Items))
			}
			if kp.Next.IsZero() != (len(c.Items) <= 5) {
				t.Errorf("%s: next page %v with %d items", c.Kind, kp.Next, len(c.Items))
			}
		}
		// Walk the orders through the links' cursors.
		var walked []rights.Item
		after := desk.Cursor{}
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("the pages do not end")
			}
			parsed, err := desk.ParseCursor(after.String())
			if err != nil || parsed != after {
				t.Fatalf("cursor %q reads back as %v, %v", after, parsed, err)
			}
			pg, err := f.d.CollectPage(ctx, f.person.ID, desk.CollectOptions{}, desk.PageOptions{PerKind: 5, Kind: "order", After: parsed})
			if err != nil {
				t.Fatal(err)
			}
			if len(pg.Categories) != 1 || pg.Categories[0].Kind != "order" {
				t.Fatalf("a kind's page shows %d kinds", len(pg.Categories))
			}
			walked = append(walked, pg.Categories[0].Items...)
			if after = pg.Kinds["order"].Next; after.IsZero() {
				break
			}
		}
		var want []rights.Item
		for _, c := range whole.Categories {
			if c.Kind == "order" {
				want = slices.Clone(c.Items)
			}
		}
		if len(walked) != 23 || len(want) != 23 {
			t.Fatalf("walked %d orders, Collect holds %d, want 23", len(walked), len(want))
		}
		seen := map[string]bool{}
		for i, it := range walked {
			if seen[it.ID] {
				t.Errorf("order %s shown twice", it.ID)
			}
			seen[it.ID] = true
			if i > 0 && it.CreatedAt.After(walked[i-1].CreatedAt) {
				t.Errorf("order %s (%v) after a older one", it.ID, it.CreatedAt)
			}
		}
		for _, it := range want {
			if !seen[it.ID] {
				t.Errorf("order %s never shown", it.ID)
			}
		}
	})
}

// TestCollectPageRefusesUnknownKindAndBadCursor: a kind the policy does
// not declare is not found, a cursor that is not one is invalid.
func TestCollectPageRefusesUnknownKindAndBadCursor(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, "ivm", "2026-03-10")
		_, err := f.d.CollectPage(context.Background(), f.person.ID, desk.CollectOptions{}, desk.PageOptions{PerKind: 5, Kind: "no_such_kind"})
		wantCode(t, err, steward.ENOTFOUND)
		for _, bad := range []string{"x", "12-r-abc", "12-q-3", "abc-o-x", "12-o-"} {
			if _, err := desk.ParseCursor(bad); steward.ErrorCode(err) != steward.EINVALID {
				t.Errorf("cursor %q: %v, want EINVALID", bad, err)
			}
		}
		c := desk.Cursor{At: time.UnixMilli(1700000000123).UTC(), ID: "restriction:-x"}
		if back, err := desk.ParseCursor(c.String()); err != nil || back != c {
			t.Errorf("cursor %v reads back as %v, %v", c, back, err)
		}
	})
}
