package runner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

// assertGone scans every column of every table for the values, case-
// insensitively: after erasure no personal value may remain anywhere.
func assertGone(t *testing.T, s *store.Store, values ...string) {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if s.Dialect() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := s.Read().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	for _, tb := range tables {
		rs, err := s.Read().Query(`SELECT * FROM ` + tb)
		if err != nil {
			t.Fatalf("scan %s: %v", tb, err)
		}
		cols, _ := rs.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rs.Next() {
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var sv string
				switch x := v.(type) {
				case string:
					sv = x
				case []byte:
					sv = string(x)
				default:
					continue
				}
				for _, want := range values {
					if strings.Contains(strings.ToLower(sv), strings.ToLower(want)) {
						t.Errorf("table %s column %s still holds %q", tb, cols[i], want)
					}
				}
			}
		}
		rs.Close()
	}
}

// TestDueScanPagesThroughEqualAnchors: many accounts with one anchor (a
// bulk import) are paged through by keyset on (anchor, id), each exactly
// once and in order, also across the anchor's end — the scan a plan and
// the staff page make without deleting what they pass.
func TestDueScanPagesThroughEqualAnchors(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, "ivm", "2024-06-01")
		var want []string
		for i := range 7 {
			id := fmt.Sprintf("a_same%d", i)
			e.account(acct{id: id, email: id + "@example.org", created: "2019-01-01", login: "2020-01-01"})
			want = append(want, id)
		}
		e.account(acct{id: "a_later", email: "later@example.org", created: "2019-01-01", login: "2020-02-01"})
		e.account(acct{id: "a_earlier", email: "earlier@example.org", created: "2019-01-01", login: "2019-12-01"})
		want = append([]string{"a_earlier"}, append(want, "a_later")...)
		q := store.DueQuery{Kind: "account", Since: policy.SinceLastLogin, Cutoff: day("2024-01-01"), Limit: 2,
			After: store.DueCursor{Anchor: -1 << 62}}
		var got []string
		for range 10 {
			page, next, err := s.DueTargets(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range page {
				got = append(got, f.Target)
			}
			if len(page) < q.Limit {
				break
			}
			q.After = next
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("pages gave %v, want %v", got, want)
		}
		if n, err := s.CountDue(context.Background(), q); err != nil || n != 9 {
			t.Fatalf("count %d %v", n, err)
		}
	})
}
