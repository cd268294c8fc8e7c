// Package usage is what a site counts itself to improve usability (Z4, Z5;
// issue 18 item 8): per day and page, how many times a page was opened.
// A count is aggregate from the start — a route's pattern and a UTC day —
// so nothing in it can name, follow or single out a person: no identifier,
// no address, no cookie, no time finer than the day, no address asked for
// (a pattern such as "/functies/{id}" stands for every item's page).
//
// The policy's usage_counts declares it; a site without that counts
// nothing.
package usage

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Count is how many times a page was opened on a day.
type Count struct {
	// Day is the UTC day, YYYY-MM-DD.
	Day string
	// Page is the route's pattern without its method, e.g. "/functies/{id}".
	Page  string
	Views int64
}

// DayLayout is how a Count's Day is written.
const DayLayout = time.DateOnly

// Day returns the UTC day of t as a Count writes it.
func Day(t time.Time) string { return t.UTC().Format(DayLayout) }

// Page returns the page a response counts as, and false when it does not
// count: only a page a person reads — a GET answered 200 with HTML — on a
// route the site serves to the public or a person's own pages, never a
// staff page, and never by the address asked for but by the route's
// pattern, so that a token, an id or a search in the address cannot reach
// a count.
func Page(method, pattern string, status int, contentType string) (string, bool) {
	if method != "GET" || status != 200 || !strings.HasPrefix(contentType, "text/html") {
		return "", false
	}
	_, path, ok := strings.Cut(pattern, " ")
	if !ok || path == "" {
		return "", false
	}
	// A host in the pattern is not part of the page.
	if i := strings.IndexByte(path, '/'); i > 0 {
		path = path[i:]
	}
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/staff/") || path == "/staff" {
		return "", false
	}
	return strings.TrimSuffix(path, "{$}"), true
}

// Counter adds up counts in memory between flushes. Its size is bounded by
// the site's routes times the days between flushes, whatever the traffic.
type Counter struct {
	mu sync.Mutex
	n  map[[2]string]int64
}

// Add counts one view of page on the day of at.
func (c *Counter) Add(page string, at time.Time) {
	k := [2]string{Day(at), page}
	c.mu.Lock()
	if c.n == nil {
		c.n = make(map[[2]string]int64)
	}
	c.n[k]++
	c.mu.Unlock()
}

// Take returns the counts added since the last Take and empties the
// counter.
func (c *Counter) Take() []Count {
	c.mu.Lock()
	n := c.n
	c.n = nil
	c.mu.Unlock()
	out := make([]Count, 0, len(n))
	for k, v := range n {
		out = append(out, Count{Day: k[0], Page: k[1], Views: v})
	}
	return out
}

// Return puts counts that could not be stored back, so that a failed flush
// loses nothing.
func (c *Counter) Return(counts []Count) {
	c.mu.Lock()
	if c.n == nil {
		c.n = make(map[[2]string]int64)
	}
	for _, x := range counts {
		c.n[[2]string{x.Day, x.Page}] += x.Views
	}
	c.mu.Unlock()
}

// Totals sums counts per page (the most opened first, then by page) and
// per day (the newest first), and over all.
func Totals(counts []Count) (pages, days []Count, total int64) {
	perPage := map[string]int64{}
	perDay := map[string]int64{}
	for _, c := range counts {
		perPage[c.Page] += c.Views
		perDay[c.Day] += c.Views
		total += c.Views
	}
	for p, n := range perPage {
		pages = append(pages, Count{Page: p, Views: n})
	}
	for d, n := range perDay {
		days = append(days, Count{Day: d, Views: n})
	}
	slices.SortFunc(pages, func(a, b Count) int {
		if a.Views != b.Views {
			return cmp.Compare(b.Views, a.Views)
		}
		return strings.Compare(a.Page, b.Page)
	})
	slices.SortFunc(days, func(a, b Count) int { return strings.Compare(b.Day, a.Day) })
	return pages, days, total
}
