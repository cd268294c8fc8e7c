package usage_test

import (
	"testing"
	"time"

	"steward/usage"
)

// TestUsagePage: which responses count, and as what page.
func TestUsagePage(t *testing.T) {
	for _, c := range []struct {
		method, pattern string
		status          int
		ctype, want     string
	}{
		{"GET", "GET /{$}", 200, "text/html; charset=utf-8", "/"},
		{"GET", "GET /functies/{id}", 200, "text/html; charset=utf-8", "/functies/{id}"},
		{"GET", "GET example.org/privacy", 200, "text/html", "/privacy"},
		{"POST", "POST /login", 200, "text/html", ""},
		{"GET", "GET /functies/{id}", 404, "text/html", ""},
		{"GET", "GET /privacy/statement.css", 200, "text/css", ""},
		{"GET", "GET /staff/usage", 200, "text/html", ""},
		{"GET", "GET /staff/{$}", 200, "text/html", ""},
		{"GET", "", 404, "text/html", ""},
	} {
		got, ok := usage.Page(c.method, c.pattern, c.status, c.ctype)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Page(%s, %q, %d, %q) = %q, %v; want %q", c.method, c.pattern, c.status, c.ctype, got, ok, c.want)
		}
	}
}

// TestCounterTakeAndReturn: counts add up per day and page, Take empties
// the counter, and Return puts back what a failed flush could not write.
func TestCounterTakeAndReturn(t *testing.T) {
	var c usage.Counter
	day1 := time.Date(2026, 11, 24, 23, 59, 0, 0, time.UTC)
	c.Add("/functies", day1)
	c.Add("/functies", day1.Add(-time.Hour))
	c.Add("/functies", day1.Add(2*time.Minute))
	c.Add("/", day1)
	got := c.Take()
	pages, days, total := usage.Totals(got)
	if total != 4 || len(got) != 3 || len(pages) != 2 || pages[0] != (usage.Count{Page: "/functies", Views: 3}) ||
		len(days) != 2 || days[0] != (usage.Count{Day: "2026-11-25", Views: 1}) {
		t.Fatalf("took %+v: pages %+v, days %+v, total %d", got, pages, days, total)
	}
	if again := c.Take(); len(again) != 0 {
		t.Fatalf("a second Take: %+v, want nothing", again)
	}
	c.Return(got)
	c.Add("/", day1)
	if _, _, total := usage.Totals(c.Take()); total != 5 {
		t.Fatalf("after Return and one more: %d views, want 5", total)
	}
}
