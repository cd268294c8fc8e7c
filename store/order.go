package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"steward"
	"steward/order"
	"steward/policy"
)

// InsertOrderLines stores the lines of the order record id.
func (tx *Tx) InsertOrderLines(ctx context.Context, id int64, lines []order.Line) error {
	for i, l := range lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_lines (record_id, line, product_slug, quantity, unit_cents, vat_percent)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, i+1, l.Product, l.Quantity, l.UnitCents, l.VATPercent); err != nil {
			return fmt.Errorf("store: order %d line %d: %w", id, i+1, err)
		}
	}
	return nil
}

// OrderLines returns the lines of the order record id, in order.
func (r *Reader) OrderLines(ctx context.Context, id int64) ([]order.Line, error) {
	out, err := rowsOf(ctx, r, func(rows *sql.Rows) (order.Line, error) {
		var l order.Line
		err := rows.Scan(&l.Product, &l.Quantity, &l.UnitCents, &l.VATPercent)
		return l, err
	}, `SELECT product_slug, quantity, unit_cents, vat_percent FROM order_lines WHERE record_id = $1 ORDER BY line`, id)
	if err != nil {
		return nil, fmt.Errorf("store: lines of order %d: %w", id, err)
	}
	return out, nil
}

// Record returns the record id with its values; ENOTFOUND for none.
func (r *Reader) Record(ctx context.Context, id int64) (*Record, error) {
	rec, err := scanRecord(r.q.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_record", "id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: record %d: %w", id, err)
	}
	rec.Values = map[string]string{}
	err = r.eachRow(ctx, `SELECT field, value FROM record_values WHERE record_id = $1`, []any{id}, func(rows *sql.Rows) error {
		var f, v string
		err := rows.Scan(&f, &v)
		rec.Values[f] = v
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: values of record %d: %w", id, err)
	}
	return &rec, nil
}

// SetRecordValue sets one declared field of the record id of kind (an
// order's payment status and reference); like InsertRecord it refuses a
// field the policy does not declare (R4).
func (tx *Tx) SetRecordValue(ctx context.Context, p *policy.Policy, kind string, id int64, field, value string) error {
	if rec := p.Record(kind); rec == nil || rec.Field(field) == nil || rec.Field(field).Sensitive {
		return steward.FieldError(field, "error.is_not_declared_record", "kind", kind)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO record_values (record_id, field, value)
		SELECT id, $2, $3 FROM records WHERE id = $1 AND kind = $4
		ON CONFLICT (record_id, field) DO UPDATE SET value = excluded.value`, id, field, value, kind)
	if err != nil {
		return fmt.Errorf("store: set %s of record %d: %w", field, id, err)
	}
	return nil
}

// InsertPayment stores a payment created at the provider.
func (tx *Tx) InsertPayment(ctx context.Context, p *order.Payment) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO payments (id, provider, record_id, attempt, amount_cents, currency, status, created_at, updated_at)
		VALUES ($1, $2, $3, (SELECT COALESCE(MAX(attempt), 0) + 1 FROM payments WHERE record_id = $3), $4, $5, $6, $7, $7)`,
		p.ID, p.Provider, p.Order, p.AmountCents, p.Currency, p.Status, p.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: insert payment: %w", err)
	}
	return nil
}

const paymentColumns = `id, provider, record_id, amount_cents, currency, status, created_at, updated_at`

func scanPayment(r interface{ Scan(...any) error }) (order.Payment, error) {
	var p order.Payment
	var created, updated int64
	err := r.Scan(&p.ID, &p.Provider, &p.Order, &p.AmountCents, &p.Currency, &p.Status, &created, &updated)
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return p, err
}

// Payment returns the payment with the provider's id; ENOTFOUND for none.
func (r *Reader) Payment(ctx context.Context, id string) (*order.Payment, error) {
	p, err := scanPayment(r.q.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_payment")
	}
	if err != nil {
		return nil, fmt.Errorf("store: payment: %w", err)
	}
	return &p, nil
}

// PaymentsOf lists the payments of the order record id, newest first.
func (r *Reader) PaymentsOf(ctx context.Context, id int64) ([]order.Payment, error) {
	out, err := rowsOf(ctx, r, func(rows *sql.Rows) (order.Payment, error) { return scanPayment(rows) },
		`SELECT `+paymentColumns+` FROM payments WHERE record_id = $1 ORDER BY attempt DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("store: payments of order %d: %w", id, err)
	}
	return out, nil
}

// SetPaymentStatus records the provider's status of a payment as fetched.
func (tx *Tx) SetPaymentStatus(ctx context.Context, id, status string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = $2, updated_at = $3 WHERE id = $1`, id, status, at.UnixMilli()); err != nil {
		return fmt.Errorf("store: payment status: %w", err)
	}
	return nil
}

// NextInvoiceSeq takes the next invoice number of year in the caller's
// transaction: it has no gaps, because a transaction that rolls back
// gives its number back, and concurrent ones wait for the counter row.
func (tx *Tx) NextInvoiceSeq(ctx context.Context, year int) (int, error) {
	var seq int
	err := tx.QueryRowContext(ctx, `INSERT INTO invoice_counters (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = invoice_counters.last + 1 RETURNING last`, year).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("store: next invoice number of %d: %w", year, err)
	}
	return seq, nil
}

// Invoice is an issued invoice's number and records.
type Invoice struct {
	Number      string
	Year, Seq   int
	Record      int64
	OrderRecord int64
	IssuedAt    time.Time
}

// InsertInvoice numbers the invoice record inv.Record, issued for
// inv.OrderRecord. From then on the record's values cannot change (the
// migration's triggers refuse it).
func (tx *Tx) InsertInvoice(ctx context.Context, inv Invoice) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO invoices (number, year, seq, record_id, order_record, issued_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		inv.Number, inv.Year, inv.Seq, inv.Record, inv.OrderRecord, inv.IssuedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: insert invoice: %w", err)
	}
	return nil
}

// InvoiceOf returns the invoice issued for the order record id, nil for
// none.
func (r *Reader) InvoiceOf(ctx context.Context, orderRecord int64) (*Invoice, error) {
	var inv Invoice
	var at int64
	err := r.q.QueryRowContext(ctx, `SELECT number, year, seq, record_id, order_record, issued_at FROM invoices WHERE order_record = $1`, orderRecord).
		Scan(&inv.Number, &inv.Year, &inv.Seq, &inv.Record, &inv.OrderRecord, &at)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: invoice of order %d: %w", orderRecord, err)
	}
	inv.IssuedAt = time.UnixMilli(at).UTC()
	return &inv, nil
}

// InvoiceSeqs lists the sequence numbers of year's invoices, in order
// (the test that they have no gaps).
func (s *Store) InvoiceSeqs(ctx context.Context, year int) ([]int, error) {
	return rowsOf(ctx, s.Reader, func(rows *sql.Rows) (int, error) {
		var n int
		err := rows.Scan(&n)
		return n, err
	}, `SELECT seq FROM invoices WHERE year = $1 ORDER BY seq`, year)
}

// HasPaid reports whether subject has a paid order with a line of product
// (the download link after purchase).
func (r *Reader) HasPaid(ctx context.Context, subject, product string) (bool, error) {
	var one int
	err := r.q.QueryRowContext(ctx, `SELECT 1 FROM order_lines l JOIN records o ON o.id = l.record_id
		JOIN record_values v ON v.record_id = o.id AND v.field = 'payment_status' AND v.value = $3
		WHERE l.product_slug = $2 AND o.subject_id = $1 AND o.kind = $4 AND o.anonymised_at IS NULL LIMIT 1`,
		subject, product, order.StatusPaid, order.OrderKind).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: paid %s of %s: %w", product, subject, err)
	}
	return true, nil
}

// LockRecord takes the write lock on record id for the rest of the
// transaction (PostgreSQL: the row; SQLite holds the database's), so two
// webhooks for one order run one after the other.
func (tx *Tx) LockRecord(ctx context.Context, id int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE records SET kind = kind WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: lock record %d: %w", id, err)
	}
	return nil
}
