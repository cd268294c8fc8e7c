package web_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"steward/internal/testkit"
	"steward/store"
)

// TestMyDataPagesEachKind: a person with more orders than one page shows
// (issue 15) sees how many there are and the newest first; the "Older"
// link leads through the rest, each order exactly once, while the JSON
// overview (like the export) still holds every one. A kind that does not exist
// is not found and a broken link is refused, in the reader's language.
func TestMyDataPagesEachKind(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "veel@example.org")
		if resp := b.login("veel@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		id := personID(t, s, "veel@example.org")
		const n = 45
		for i := range n {
			addRecord(t, s, "ivm", id, "order", st.clock.Now().AddDate(0, 0, -i), map[string]string{"order_number": fmt.Sprintf("ORD-%04d", i)})
		}
		orderNo := regexp.MustCompile(`ORD-\d{4}`)
		older := regexp.MustCompile(`<a rel="next" class="older" href="([^"]+)"`)
		resp, body := b.get("/account/data?lang=en")
		if resp.StatusCode != 200 {
			t.Fatalf("my data: %d", resp.StatusCode)
		}
		if !strings.Contains(body, "20 of 45, newest first.") {
			t.Errorf("the orders' count is missing:\n%s", body)
		}
		seen := map[string]bool{}
		var order []string
		for page := 0; ; page++ {
			if page > 5 {
				t.Fatal("the pages do not end")
			}
			for _, o := range orderNo.FindAllString(body, -1) {
				if seen[o] {
					t.Errorf("%s shown twice", o)
				}
				seen[o] = true
				order = append(order, o)
			}
			m := older.FindStringSubmatch(body)
			if m == nil {
				break
			}
			if page == 0 && !strings.Contains(m[1], "lang=en") {
				t.Errorf("the link %q leaves the reader's language", m[1])
			}
			if resp, body = b.get(html.UnescapeString(m[1])); resp.StatusCode != 200 {
				t.Fatalf("older orders: %d\n%s", resp.StatusCode, body)
			}
			if !strings.Contains(body, `id="all-kinds"`) || strings.Contains(body, `action="/account/data/restrict`) {
				t.Errorf("a kind's page shows the whole overview or no way back")
			}
		}
		if len(order) != n || order[0] != "ORD-0000" || order[n-1] != fmt.Sprintf("ORD-%04d", n-1) {
			t.Errorf("pages showed %d orders, from %v to %v; want %d newest first", len(order), order[:1], order[len(order)-1:], n)
		}
		// The JSON overview is whole.
		_, js := b.get("/api/v1/me/data")
		if got := len(orderNo.FindAllString(js, -1)); got != n {
			t.Errorf("the JSON overview holds %d orders, want %d", got, n)
		}
		if resp, body := b.get("/account/data?kind=no_such_kind&lang=en"); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "This kind of data does not exist.") {
			t.Errorf("unknown kind: %d\n%s", resp.StatusCode, body)
		}
		if resp, body := b.get("/account/data?kind=order&after=garbage"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Deze paginalink klopt niet.") {
			t.Errorf("broken cursor: %d\n%s", resp.StatusCode, body)
		}
	})
}
