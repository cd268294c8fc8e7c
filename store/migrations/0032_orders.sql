-- The shop (issue 17: R5): publications and materials, order lines and
-- payments. Times are unix milliseconds. An order is a record of the
-- policy's order kind (records, record_values: order_number, ordered_at,
-- items, amount_cents, payment_status, payment_reference and the invoice
-- address fields), a download a record of the download kind: retention,
-- My data, the export and erasure reach them like every record.

-- One publication or material, keyed by its slug (/publications/{slug}).
-- price_cents includes VAT; vat_percent is its rate. A 'file' product's
-- file is a name inside the configured download directory, never a path.
-- Managed by 'steward products import', idempotent on slug.
CREATE TABLE products (
	slug              TEXT PRIMARY KEY,
	title_nl          TEXT NOT NULL,
	title_en          TEXT NOT NULL,
	description_nl    TEXT NOT NULL DEFAULT '',
	description_en    TEXT NOT NULL DEFAULT '',
	price_cents       BIGINT NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
	vat_percent       INTEGER NOT NULL DEFAULT 21 CHECK (vat_percent IN (0, 9, 21)),
	format            TEXT NOT NULL CHECK (format IN ('file', 'physical')),
	file              TEXT NOT NULL DEFAULT '',
	free_for_accounts INTEGER NOT NULL DEFAULT 0 CHECK (free_for_accounts IN (0, 1)),
	published         INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL
);

-- The lines of an order record, priced when ordered (a later price change
-- does not change an order). They go with the order record.
CREATE TABLE order_lines (
	record_id    BIGINT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
	line         INTEGER NOT NULL,
	product_slug TEXT NOT NULL,
	quantity     INTEGER NOT NULL CHECK (quantity > 0),
	unit_cents   BIGINT NOT NULL CHECK (unit_cents >= 0),
	vat_percent  INTEGER NOT NULL,
	PRIMARY KEY (record_id, line)
);

-- Serves "has this person bought this product" (the download link).
CREATE INDEX order_lines_product ON order_lines (product_slug, record_id);

-- A payment at the provider (Mollie's tr_… id) for an order record. The
-- status is the provider's as last fetched from its API (never from a
-- redirect or a webhook's body); the order is marked paid from it in the
-- same transaction. It goes with the order record.
CREATE TABLE payments (
	id           TEXT PRIMARY KEY,
	provider     TEXT NOT NULL,
	record_id    BIGINT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
	-- 1, 2, ... per order: the newest attempt decides a failed order.
	attempt      INTEGER NOT NULL,
	amount_cents BIGINT NOT NULL,
	currency     TEXT NOT NULL,
	status       TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);

-- Serves an order's payments (its page, the webhook's order lookup).
CREATE UNIQUE INDEX payments_record ON payments (record_id, attempt);
