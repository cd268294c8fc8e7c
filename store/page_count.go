package store

import (
	"context"
	"database/sql"
	"fmt"

	"steward/usage"
)

// AddPageCounts adds counts to the days and pages they name, creating the
// rows a day's first count needs.
func (tx *Tx) AddPageCounts(ctx context.Context, counts []usage.Count) error {
	for _, c := range counts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO page_counts (day, page, views) VALUES ($1, $2, $3)
			ON CONFLICT (day, page) DO UPDATE SET views = page_counts.views + excluded.views`, c.Day, c.Page, c.Views); err != nil {
			return fmt.Errorf("store: add page count %s %s: %w", c.Day, c.Page, err)
		}
	}
	return nil
}

// DeletePageCountsBefore deletes the counts of the days before day
// (YYYY-MM-DD) and returns how many rows went.
func (tx *Tx) DeletePageCountsBefore(ctx context.Context, day string) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM page_counts WHERE day < $1`, day)
	if err != nil {
		return 0, fmt.Errorf("store: delete page counts before %s: %w", day, err)
	}
	return res.RowsAffected()
}

// PageCounts returns the counts of the days from..to (YYYY-MM-DD, both
// included), newest day first and, within a day, the most opened page
// first.
func (s *Store) PageCounts(ctx context.Context, from, to string) ([]usage.Count, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (usage.Count, error) {
		var c usage.Count
		return c, rows.Scan(&c.Day, &c.Page, &c.Views)
	}, `SELECT day, page, views FROM page_counts WHERE day >= $1 AND day <= $2 ORDER BY day DESC, views DESC, page`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: page counts: %w", err)
	}
	return out, nil
}
