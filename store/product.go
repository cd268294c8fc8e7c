package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"steward"
	"steward/order"
)

const productColumns = `slug, title_nl, title_en, description_nl, description_en, price_cents, vat_percent, format, file, free_for_accounts, published`

func scanProduct(r interface{ Scan(...any) error }) (order.Product, error) {
	var p order.Product
	var format string
	var free, published int
	err := r.Scan(&p.Slug, &p.Title.NL, &p.Title.EN, &p.Description.NL, &p.Description.EN, &p.PriceCents, &p.VATPercent, &format, &p.File, &free, &published)
	p.Format, p.FreeForAccounts, p.Published = order.Format(format), free == 1, published == 1
	return p, err
}

// PutProduct stores a product checked by order.Product.Check: a new slug
// is added, a known one replaced (the import is idempotent on slug).
func (tx *Tx) PutProduct(ctx context.Context, p *order.Product, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO products (`+productColumns+`, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
		ON CONFLICT (slug) DO UPDATE SET title_nl = excluded.title_nl, title_en = excluded.title_en,
			description_nl = excluded.description_nl, description_en = excluded.description_en,
			price_cents = excluded.price_cents, vat_percent = excluded.vat_percent, format = excluded.format,
			file = excluded.file, free_for_accounts = excluded.free_for_accounts,
			published = excluded.published, updated_at = excluded.updated_at`,
		p.Slug, p.Title.NL, p.Title.EN, p.Description.NL, p.Description.EN, p.PriceCents, p.VATPercent, string(p.Format), p.File,
		boolInt(p.FreeForAccounts), boolInt(p.Published), now.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: put product %s: %w", p.Slug, err)
	}
	return nil
}

// Product returns the product with slug (published or not); ENOTFOUND for
// none.
func (r *Reader) Product(ctx context.Context, slug string) (*order.Product, error) {
	p, err := scanProduct(r.q.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products WHERE slug = $1`, slug))
	if isNoRows(err) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_product")
	}
	if err != nil {
		return nil, fmt.Errorf("store: product %s: %w", slug, err)
	}
	return &p, nil
}

// Products lists the shop by slug; only the published products when
// published is true.
func (s *Store) Products(ctx context.Context, published bool) ([]order.Product, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (order.Product, error) { return scanProduct(rows) },
		`SELECT `+productColumns+` FROM products WHERE ($1 = 0 OR published = 1) ORDER BY slug`, boolInt(published))
	if err != nil {
		return nil, fmt.Errorf("store: products: %w", err)
	}
	return out, nil
}
