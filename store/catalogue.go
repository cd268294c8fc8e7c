package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/catalogue"
)

// The catalogue of functies and opleidingen (issue 18, migration 0023).
// Site content: no row names a person, and no search is written anywhere.

const catalogueColumns = `id, kind, external_id, title, description, sector, level, region, hours, retired_at`

func scanCatalogueItem(rows interface{ Scan(...any) error }) (catalogue.Item, error) {
	var it catalogue.Item
	var kind string
	var retired sql.NullInt64
	err := rows.Scan(&it.ID, &kind, &it.ExternalID, &it.Title, &it.Description, &it.Sector, &it.Level, &it.Region, &it.Hours, &retired)
	it.Kind = catalogue.Kind(kind)
	if retired.Valid {
		it.Retired = millis(retired.Int64)
	}
	return it, err
}

// CatalogueAll returns every item, retired ones included, in id order:
// what an import compares its file with.
func (r *Reader) CatalogueAll(ctx context.Context) ([]catalogue.Item, error) {
	out, err := rowsOf(ctx, r, func(rows *sql.Rows) (catalogue.Item, error) { return scanCatalogueItem(rows) },
		`SELECT `+catalogueColumns+` FROM catalogue_items ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: catalogue items: %w", err)
	}
	return out, nil
}

// CatalogueItem returns the item of kind with the file's id, retired or
// not; ENOTFOUND for none.
func (r *Reader) CatalogueItem(ctx context.Context, kind catalogue.Kind, externalID string) (catalogue.Item, error) {
	it, err := scanCatalogueItem(r.q.QueryRowContext(ctx, `SELECT `+catalogueColumns+` FROM catalogue_items WHERE kind = $1 AND external_id = $2`,
		string(kind), externalID))
	if isNoRows(err) {
		return it, steward.Errorf(steward.ENOTFOUND, "error.catalogue_item_not_found")
	}
	if err != nil {
		return it, fmt.Errorf("store: catalogue item: %w", err)
	}
	return it, nil
}

// InsertCatalogueItem adds an item and its search index entry; it sets
// it.ID.
func (tx *Tx) InsertCatalogueItem(ctx context.Context, it *catalogue.Item, now time.Time) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO catalogue_items (kind, external_id, title, description, sector, level, region, hours, search_text, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
		string(it.Kind), it.ExternalID, it.Title, it.Description, it.Sector, it.Level, it.Region, it.Hours, it.SearchText, now.UnixMilli()).Scan(&it.ID)
	if err != nil {
		return fmt.Errorf("store: insert catalogue item: %w", err)
	}
	return tx.indexCatalogueItem(ctx, it, false)
}

// UpdateCatalogueItem writes an item's content (found by it.ID) and
// offers it again if it was retired.
func (tx *Tx) UpdateCatalogueItem(ctx context.Context, it *catalogue.Item, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE catalogue_items SET title = $2, description = $3, sector = $4, level = $5, region = $6, hours = $7,
		search_text = $8, updated_at = $9, retired_at = NULL WHERE id = $1`,
		it.ID, it.Title, it.Description, it.Sector, it.Level, it.Region, it.Hours, it.SearchText, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: update catalogue item: %w", err)
	}
	return tx.indexCatalogueItem(ctx, it, true)
}

// indexCatalogueItem keeps SQLite's FTS5 row of an item; PostgreSQL's
// index follows search_text by itself.
func (tx *Tx) indexCatalogueItem(ctx context.Context, it *catalogue.Item, replace bool) error {
	if tx.Dialect != SQLite {
		return nil
	}
	if replace {
		if _, err := tx.ExecContext(ctx, `DELETE FROM catalogue_fts WHERE rowid = $1`, it.ID); err != nil {
			return fmt.Errorf("store: unindex catalogue item: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO catalogue_fts (rowid, stems) VALUES ($1, $2)`, it.ID, it.SearchStems); err != nil {
		return fmt.Errorf("store: index catalogue item: %w", err)
	}
	return nil
}

// RetireCatalogueItems marks items as no longer offered; they stay
// readable by their id.
func (tx *Tx) RetireCatalogueItems(ctx context.Context, ids []int64, now time.Time) error {
	for start := 0; start < len(ids); start += inChunk {
		cond, arg := in(tx.Dialect, "id", 2, ids[start:min(start+inChunk, len(ids))])
		if _, err := tx.ExecContext(ctx, `UPDATE catalogue_items SET retired_at = $1, updated_at = $1 WHERE `+cond, now.UnixMilli(), arg); err != nil {
			return fmt.Errorf("store: retire catalogue items: %w", err)
		}
	}
	return nil
}

// AnalyzeCatalogue refreshes the database's statistics of the catalogue
// after an import, so the next search plans with the new rows and picks
// the filter's index (a bulk load otherwise leaves the planner guessing).
func (tx *Tx) AnalyzeCatalogue(ctx context.Context) error {
	if _, err := tx.ExecContext(ctx, `ANALYZE catalogue_items`); err != nil {
		return fmt.Errorf("store: analyze catalogue: %w", err)
	}
	return nil
}

// SearchCatalogue runs one search: the offered items of a kind that match
// the filters and hold every word, by title, one page, with the number
// found. The words match after Dutch stemming: PostgreSQL with its dutch
// configuration, SQLite with the same stems in its FTS5 index.
func (s *Store) SearchCatalogue(ctx context.Context, q catalogue.Search) ([]catalogue.Item, int, error) {
	where := []string{"c.kind = $1", "c.retired_at IS NULL"}
	args := []any{string(q.Kind)}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", placeholder(len(args))))
	}
	if q.Sector != "" {
		add("c.sector = $?", q.Sector)
	}
	if q.Level != "" {
		add("c.level = $?", q.Level)
	}
	if q.Region != "" {
		add("c.region = $?", q.Region)
	}
	if len(q.Words) > 0 {
		if s.dialect == Postgres {
			add("c.search @@ plainto_tsquery('dutch', $?)", strings.Join(q.Words, " "))
		} else {
			// Each stem a quoted FTS5 string: all of them must be there.
			quoted := make([]string, len(q.Stems))
			for i, st := range q.Stems {
				quoted[i] = `"` + st + `"`
			}
			add("c.id IN (SELECT rowid FROM catalogue_fts WHERE catalogue_fts MATCH $?)", strings.Join(quoted, " "))
		}
	}
	cond := strings.Join(where, " AND ")
	// The number found, then the page: the page's rows are read whole
	// only for the page (the ids are ordered first), not for every match.
	var total int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM catalogue_items c WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count catalogue search: %w", err)
	}
	if total == 0 || q.Offset >= total {
		return nil, total, nil
	}
	items, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (catalogue.Item, error) { return scanCatalogueItem(rows) },
		`SELECT `+catalogueColumns+` FROM catalogue_items WHERE id IN (SELECT c.id FROM catalogue_items c WHERE `+cond+
			` ORDER BY c.title, c.id LIMIT `+strconv.Itoa(q.Limit)+` OFFSET `+strconv.Itoa(q.Offset)+`) ORDER BY title, id`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: catalogue search: %w", err)
	}
	return items, total, nil
}
