package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Statistic is one row of the statistics an anonymised account leaves
// (Z9): its generalised attributes ("profile.age": "35-39") and the month
// it was anonymised ("2026-03"). It has no id that names anything.
type Statistic struct {
	Month      string
	Attributes map[string]string
}

type statRow struct{ key, attrs string }

// keepStatistics writes the statistics row of each account in the chunk
// that the plan anonymises (Z9), before its profile values go: the
// plan's fields generalised by the plan (the store only reads and
// writes), under a random key, with the month of the erasure. An account
// without any of the fields still counts, with no attributes.
func (c *eraseChunk) keepStatistics(ctx context.Context) error {
	if len(c.plan.Statistics) == 0 || len(c.accts) == 0 {
		return nil
	}
	ids := make([]string, len(c.accts))
	for i, a := range c.accts {
		ids[i] = a.id
	}
	want := map[[2]string]int{}
	for i, st := range c.plan.Statistics {
		want[[2]string{st.Record, st.Field}] = i
	}
	attrs := make(map[string]map[string]string, len(ids))
	err := eachRowIn(ctx, c.tx.Reader, "account_id", ids, func(cond string) string {
		return `SELECT account_id, record, field, value FROM profile_values WHERE ` + cond
	}, nil, func(r *sql.Rows) error {
		var a, rec, f, v string
		if err := r.Scan(&a, &rec, &f, &v); err != nil {
			return err
		}
		i, ok := want[[2]string{rec, f}]
		if !ok {
			return nil
		}
		st := c.plan.Statistics[i]
		if g := st.Value(v); g != "" {
			if attrs[a] == nil {
				attrs[a] = map[string]string{}
			}
			attrs[a][st.Name()] = g
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	rows := make([]statRow, 0, len(ids))
	for _, id := range ids {
		m := attrs[id]
		if m == nil {
			m = map[string]string{}
		}
		b, err := json.Marshal(m) // keys sorted: the same attributes, the same text
		if err != nil {
			return err
		}
		rows = append(rows, statRow{key: anonymousStatKey(), attrs: string(b)})
	}
	return c.tx.insertStatistics(ctx, c.plan.At.UTC().Format("2006-01"), rows)
}

// anonymousStatKey is a statistics row's key: 128 random bits, the same
// source as anonymousID but without its prefix, so it equals no subject
// of an anonymised record either.
func anonymousStatKey() string { return strings.TrimPrefix(anonymousID(), "anon_") + "s" }

// insertStatistics adds rows to the month's statistics. On PostgreSQL the
// month's rows are first taken out and everything is written back in key
// order (random), in this transaction: the heap order and the row version
// (xmin) of the month's rows then say nothing of which row is new — a row
// version shared with the transaction's audit entry would otherwise tie a
// row to its erasure. SQLite keeps the table in key order (WITHOUT ROWID)
// and has no row versions.
func (tx *Tx) insertStatistics(ctx context.Context, month string, rows []statRow) error {
	if tx.Dialect == Postgres {
		old, err := rowsOf(ctx, tx.Reader, func(r *sql.Rows) (statRow, error) {
			var s statRow
			return s, r.Scan(&s.key, &s.attrs)
		}, `DELETE FROM anonymised_statistics WHERE stat_month = $1 RETURNING stat_key, stat_attributes`, month)
		if err != nil {
			return fmt.Errorf("statistics: rewrite %s: %w", month, err)
		}
		rows = append(old, rows...)
	}
	slices.SortFunc(rows, func(a, b statRow) int { return strings.Compare(a.key, b.key) })
	for len(rows) > 0 {
		part := rows[:min(len(rows), 300)]
		rows = rows[len(part):]
		args := make([]any, 0, 2*len(part)+1)
		args = append(args, month)
		var vals strings.Builder
		for i, r := range part {
			if i > 0 {
				vals.WriteString(", ")
			}
			fmt.Fprintf(&vals, "($%d, $1, $%d)", len(args)+1, len(args)+2)
			args = append(args, r.key, r.attrs)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO anonymised_statistics (stat_key, stat_month, stat_attributes) VALUES `+vals.String(), args...); err != nil {
			return fmt.Errorf("statistics: insert: %w", err)
		}
	}
	return nil
}

// EachStatistic calls fn with every statistics row, in key order (random:
// it says nothing of when a row was written), 1,000 per query.
func (s *Store) EachStatistic(ctx context.Context, fn func(Statistic) error) error {
	after := ""
	for {
		type row struct{ key, month, attrs string }
		page, err := rowsOf(ctx, s.Reader, func(r *sql.Rows) (row, error) {
			var x row
			return x, r.Scan(&x.key, &x.month, &x.attrs)
		}, `SELECT stat_key, stat_month, stat_attributes FROM anonymised_statistics WHERE stat_key > $1 ORDER BY stat_key LIMIT 1000`, after)
		if err != nil {
			return fmt.Errorf("store: statistics: %w", err)
		}
		for _, x := range page {
			st := Statistic{Month: x.month, Attributes: map[string]string{}}
			if err := json.Unmarshal([]byte(x.attrs), &st.Attributes); err != nil {
				return fmt.Errorf("store: statistics: %w", err)
			}
			if err := fn(st); err != nil {
				return err
			}
		}
		if len(page) < 1000 {
			return nil
		}
		after = page[len(page)-1].key
	}
}
