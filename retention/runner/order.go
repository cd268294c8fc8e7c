package runner

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"steward"
)

// Order is how a plan's items are listed (the staff page's sort).
type Order string

// The orders a plan can be listed in.
const (
	// ByDue lists by due date, then rule in policy order, then target.
	ByDue Order = "due"
	// ByRule lists by rule in policy order, then due date, then target.
	ByRule Order = "rule"
)

// ParseOrder reads an order; "" is ByDue.
func ParseOrder(s string) (Order, error) {
	switch Order(s) {
	case "", ByDue:
		return ByDue, nil
	case ByRule:
		return ByRule, nil
	}
	return "", steward.FieldError("sort", "error.must_be_due_or_rule")
}

// Cursor is where a page of a plan's items ended: the key of its last
// item. A page continues strictly after it (keyset, never an offset), so
// someone who drops off the list between two pages (they logged in) does
// not shift the next page.
type Cursor struct {
	Due    time.Time
	Rule   string
	Target string
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c.Rule == "" }

// String encodes the cursor for a URL: due (unix ms), rule, target.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.Due.UnixMilli(), 10) + "~" + c.Rule + "~" + c.Target
}

// ParseCursor reads a cursor written by String; "" is the start.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	parts := strings.SplitN(s, "~", 3)
	if len(parts) != 3 || parts[1] == "" {
		return Cursor{}, steward.FieldError("after", "error.is_not_cursor_list")
	}
	ms, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return Cursor{}, steward.FieldError("after", "error.is_not_cursor_list")
	}
	return Cursor{Due: time.UnixMilli(ms).UTC(), Rule: parts[1], Target: parts[2]}, nil
}

// cursorOf is the key of an item.
func cursorOf(it *Item) Cursor { return Cursor{Due: it.DueDate, Rule: it.Rule, Target: it.Target} }

// compare orders two keys by o, rules by their place in the report.
func (r *Report) compare(o Order, a, b Cursor) int {
	first := a.Due.Compare(b.Due)
	second := slices.Index(r.Rules, a.Rule) - slices.Index(r.Rules, b.Rule)
	if o == ByRule {
		first, second = second, first
	}
	if first != 0 {
		return first
	}
	if second != 0 {
		return second
	}
	return strings.Compare(a.Target, b.Target)
}

// Sort orders the report's items by o.
func (r *Report) Sort(o Order) {
	slices.SortStableFunc(r.Items, func(a, b Item) int { return r.compare(o, cursorOf(&a), cursorOf(&b)) })
}

// PageAfter returns up to limit of the items (sorted by o with Sort) that
// come after the cursor, and the cursor of the next page, zero when this
// page is the last.
func (r *Report) PageAfter(o Order, after Cursor, limit int) ([]Item, Cursor) {
	start := 0
	if !after.IsZero() {
		start, _ = slices.BinarySearchFunc(r.Items, after, func(it Item, c Cursor) int {
			if r.compare(o, cursorOf(&it), c) <= 0 {
				return -1
			}
			return 1
		})
	}
	end := min(start+limit, len(r.Items))
	page := r.Items[start:end]
	if end == len(r.Items) || len(page) == 0 {
		return page, Cursor{}
	}
	return page, cursorOf(&page[len(page)-1])
}
