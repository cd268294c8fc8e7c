package desk

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/rights"
	"steward/store"
)

// PageOptions say which part of "My data" a page shows. Nobody reads
// 10,000 records on one page (issue 15): each kind shows how many items it
// holds and the newest PerKind of them, and a kind's next page continues
// after the last one shown. The export and the JSON overview stay whole
// (Collect, Export).
type PageOptions struct {
	// PerKind is the number of items a kind shows on one page (at least 1).
	PerKind int
	// Kind, when set, shows that kind alone, from After on.
	Kind  string
	After Cursor
}

// KindPage is what a page shows of one kind beyond its items.
type KindPage struct {
	// Total counts all of the person's items of the kind.
	Total int
	// Next is where the kind's next page starts; zero on the last page.
	Next Cursor
}

// Page is one page of "My data": the overview with a page of items per
// kind, and per kind its total and where its next page starts.
type Page struct {
	*rights.Overview
	Kinds map[string]KindPage
}

// Cursor marks the last item of a kind a page showed. Items run newest
// first: by creation time, then rows of the records table before the
// kind's other items (profile values, consents, a newsletter sign-up),
// then by id, highest first (records by number).
type Cursor struct {
	At     time.Time
	Record bool
	ID     string
}

// IsZero reports whether c is the start, before the newest item.
func (c Cursor) IsZero() bool { return c == Cursor{} }

// String is the cursor as it travels in a link: milliseconds, r or o
// (a record or another item), and the id.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	src := "o"
	if c.Record {
		src = "r"
	}
	return fmt.Sprintf("%d-%s-%s", c.At.UnixMilli(), src, c.ID)
}

// ParseCursor reads a cursor written by String; "" is the start.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	bad := steward.FieldError("after", "error.bad_page_cursor")
	parts := strings.SplitN(s, "-", 3)
	if len(parts) != 3 || parts[2] == "" || (parts[1] != "r" && parts[1] != "o") {
		return Cursor{}, bad
	}
	ms, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return Cursor{}, bad
	}
	c := Cursor{At: time.UnixMilli(ms).UTC(), Record: parts[1] == "r", ID: parts[2]}
	if _, err := strconv.ParseInt(c.ID, 10, 64); c.Record && err != nil {
		return Cursor{}, bad
	}
	return c, nil
}

// compare orders two items' cursors newest first: negative when a comes
// before b.
func compare(a, b Cursor) int {
	if c := b.At.Compare(a.At); c != 0 {
		return c
	}
	if a.Record != b.Record {
		if a.Record {
			return -1
		}
		return 1
	}
	if a.Record {
		x, _ := strconv.ParseInt(a.ID, 10, 64)
		y, _ := strconv.ParseInt(b.ID, 10, 64)
		return cmp.Compare(y, x)
	}
	return strings.Compare(b.ID, a.ID)
}

func cursorOf(it *rights.Item, record bool) Cursor {
	return Cursor{At: it.CreatedAt.Truncate(time.Millisecond).UTC(), Record: record, ID: it.ID}
}

// CollectPage is "My data" a page at a time: everything Collect gathers
// except that each kind holds the newest p.PerKind items after p.After
// (p.Kind alone when set), with its total count. Rows of the records table
// are counted and read a page at a time (store.KindCounts,
// RecordsOfKindPage); a kind's few other items are read whole and paged
// here in the same order. An unknown kind is ENOTFOUND.
func (d *Desk) CollectPage(ctx context.Context, subjectID string, o CollectOptions, p PageOptions) (*Page, error) {
	if p.PerKind < 1 {
		p.PerKind = 1
	}
	if p.Kind != "" && d.Policy.Record(p.Kind) == nil {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_such_kind")
	}
	h, err := d.holdings(ctx, subjectID, o)
	if err != nil {
		return nil, err
	}
	counts, err := d.Store.KindCounts(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	pg := &Page{Overview: h.ov, Kinds: map[string]KindPage{}}
	cats := h.ov.Categories[:0]
	for i := range h.ov.Categories {
		c := h.ov.Categories[i]
		if p.Kind != "" && c.Kind != p.Kind {
			continue
		}
		after := Cursor{}
		if p.Kind != "" {
			after = p.After
		}
		kp, err := h.page(ctx, &c, counts[c.Kind], after, p.PerKind)
		if err != nil {
			return nil, err
		}
		pg.Kinds[c.Kind] = kp
		cats = append(cats, c)
	}
	h.ov.Categories = cats
	return pg, nil
}

// page fills c.Items with the newest limit items after the cursor: of
// the kind's records (records of them in the table) one page read from
// the database, its other items read whole, merged in cursor order.
func (h *holdings) page(ctx context.Context, c *rights.Category, records int, after Cursor, limit int) (KindPage, error) {
	type entry struct {
		it  rights.Item
		cur Cursor
	}
	if OwnKind(c.Kind) {
		// Steward's own kinds live in their own tables (ownItems).
		records = 0
	}
	var all []entry
	total := records
	keep := func(it *rights.Item, record bool) {
		cur := cursorOf(it, record)
		if after.IsZero() || compare(after, cur) < 0 {
			all = append(all, entry{*it, cur})
		}
	}
	err := h.items(ctx, c, false, func(it *rights.Item) error {
		total++
		keep(it, false)
		return nil
	})
	if err != nil {
		return KindPage{}, err
	}
	if records > 0 {
		var rc store.RecordCursor
		if after.Record {
			id, _ := strconv.ParseInt(after.ID, 10, 64)
			rc = store.RecordCursor{At: after.At, ID: id}
		} else if !after.IsZero() {
			// Records at the same millisecond come before other items,
			// so none of those is left after it.
			rc = store.RecordCursor{At: after.At, ID: 0}
		}
		rec := c.Record()
		err := h.d.Store.RecordsOfKindPage(ctx, h.a.ID, rec.ID, rc, limit+1, func(r store.Record) error {
			it := h.recordItem(ctx, rec, r)
			keep(&it, true)
			return nil
		})
		if err != nil {
			return KindPage{}, err
		}
	}
	slices.SortStableFunc(all, func(a, b entry) int { return compare(a.cur, b.cur) })
	kp := KindPage{Total: total}
	if len(all) > limit {
		all = all[:limit]
		kp.Next = all[limit-1].cur
	}
	c.Items = make([]rights.Item, len(all))
	for i := range all {
		c.Items[i] = all[i].it
	}
	return kp, nil
}
