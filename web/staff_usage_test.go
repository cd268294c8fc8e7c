package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/internal/testkit"
	"steward/store"
	usageservice "steward/usage/service"
	"steward/web"
)

// TestUsageCountsPagesNotPeople (issue 18 item 8, Z4, Z5): on
// Zorginspirator, whose policy declares usage_counts, the site counts
// page views per route and day — a search, an item's id and a token in the
// address never reach a count, nor do a form post, an error page, the
// stylesheet or a staff page — and staff read the counts on a page linked
// from their menu. IVM declares none: no page, no link, nothing counted.
func TestUsageCountsPagesNotPeople(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var u *usageservice.Service
		st := newSite(t, s, "zorginspirator", func(c *web.Config) {
			u = usageservice.New(s, c.Clock, c.Policy)
			c.Usage = u
		})
		importCatalogue(t, st, catalogueItems)
		// Staff log in first (the login and second-factor pages count
		// like any page); what follows is counted on top.
		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		if err := u.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		before, err := s.PageCounts(ctx, "2026-01-01", "2026-12-31")
		if err != nil {
			t.Fatal(err)
		}
		b := st.browser()
		for _, path := range []string{"/", "/functies?q=verpleegkundige", "/functies/F-1", "/functies/F-3", "/privacy", "/verify?token=secret-token-value"} {
			b.get(path)
		}
		for _, path := range []string{"/functies/F-404", "/privacy/statement.css", "/static/site.css"} {
			b.get(path)
		}
		b.post("/login", url.Values{"email": {"x@example.org"}, "password": {"wrong"}})
		// The next day, one more.
		st.clock.Advance(24 * time.Hour)
		b.get("/functies/F-2")
		support.get("/staff/")
		if err := u.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.PageCounts(ctx, "2026-01-01", "2026-12-31")
		if err != nil {
			t.Fatal(err)
		}
		views := map[string]int64{}
		for _, c := range got {
			views[c.Day+" "+c.Page] += c.Views
		}
		for _, c := range before {
			if views[c.Day+" "+c.Page] -= c.Views; views[c.Day+" "+c.Page] == 0 {
				delete(views, c.Day+" "+c.Page)
			}
		}
		want := map[string]int64{
			"2026-11-24 /": 1, "2026-11-24 /functies": 1, "2026-11-24 /functies/{id}": 2, "2026-11-24 /privacy": 1,
			"2026-11-24 /verify": 1, "2026-11-25 /functies/{id}": 1,
		}
		for k, n := range want {
			if views[k] != n {
				t.Errorf("%s: %d views, want %d (all: %v)", k, views[k], n, views)
			}
		}
		if len(views) != len(want) {
			t.Errorf("counted %v, want exactly %v", views, want)
		}
		for _, c := range got {
			if strings.Contains(c.Page, "F-") || strings.Contains(c.Page, "secret") || strings.Contains(c.Page, "verpleeg") {
				t.Errorf("a count holds what the address asked for: %+v", c)
			}
		}
		// A second flush adds to the same rows.
		b.get("/functies/F-2")
		if err := u.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.PageCounts(ctx, "2026-11-25", "2026-11-25"); len(got) != 1 || got[0].Page != "/functies/{id}" || got[0].Views != 2 {
			t.Errorf("the next day after a second flush: %+v, want /functies/{id} twice", got)
		}

		// A day later the first staff session has ended; log in again.
		support = staffBrowser(t, st, "support2@example.org", account.RoleSupport)
		_, home := support.get("/staff/")
		if !strings.Contains(home, `href="/staff/usage"`) {
			t.Fatalf("the staff menu does not link the usage counts:\n%s", mainOf(t, home))
		}
		_, page := support.get("/staff/usage?days=7")
		text := visibleText(t, page)
		for _, w := range []string{"Gebruikstellingen", "/functies/{id}", "25 november 2026", "24 november 2026", "2 jaar", "geen IP-adres"} {
			if !strings.Contains(text, w) {
				t.Errorf("the usage page lacks %q:\n%s", w, text)
			}
		}
		if resp, _ := support.get("/staff/usage?days=8"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("days=8: %d, want 400", resp.StatusCode)
		}
		if resp, _ := b.get("/staff/usage"); resp.StatusCode == http.StatusOK {
			t.Error("a visitor opens the usage page")
		}

		ivm := newSite(t, s, "ivm")
		is := staffBrowser(t, ivm, "support3@example.org", account.RoleSupport)
		if _, h := is.get("/staff/"); strings.Contains(h, "/staff/usage") {
			t.Error("IVM, which declares no usage counts, links them")
		}
		if resp, _ := is.get("/staff/usage"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("IVM /staff/usage: %d, want 404", resp.StatusCode)
		}
	})
}
