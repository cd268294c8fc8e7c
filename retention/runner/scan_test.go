package runner_test

import (
	"strings"
	"testing"

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
