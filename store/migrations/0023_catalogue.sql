-- The catalogue of functies and opleidingen (issue 18): site content, not
-- personal data. Times are unix milliseconds.

-- One item. (kind, external_id) is the import file's id: re-importing
-- updates the row. An item a full import no longer holds is retired
-- (retired_at set), never deleted, so a saved reference stays readable.
-- search_text is the title and description as search words
-- (catalogue.Words), which PostgreSQL indexes with its dutch configuration.
CREATE TABLE catalogue_items (
	id          {{SERIAL}},
	kind        TEXT NOT NULL CHECK (kind IN ('job', 'course')),
	external_id TEXT NOT NULL,
	title       TEXT NOT NULL,
	description TEXT NOT NULL,
	sector      TEXT NOT NULL,
	level       TEXT NOT NULL,
	region      TEXT NOT NULL,
	hours       INTEGER NOT NULL,
	search_text TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	retired_at  BIGINT
);

CREATE UNIQUE INDEX catalogue_items_external ON catalogue_items (kind, external_id);

-- Serve browsing: the offered items of a kind by title, and filtered by
-- sector, level or region (each filter finds its rows in title order).
CREATE INDEX catalogue_items_browse ON catalogue_items (kind, title, id) WHERE retired_at IS NULL;
CREATE INDEX catalogue_items_sector ON catalogue_items (kind, sector, title, id) WHERE retired_at IS NULL;
CREATE INDEX catalogue_items_level ON catalogue_items (kind, level, title, id) WHERE retired_at IS NULL;
CREATE INDEX catalogue_items_region ON catalogue_items (kind, region, title, id) WHERE retired_at IS NULL;

-- The full-text index. SQLite: an FTS5 table whose rowid is the item's id
-- and whose one column holds the item's words stemmed by the Snowball
-- Dutch stemmer (catalogue.Stem), kept by the store with the item.
-- PostgreSQL: the words under the dutch configuration as a stored column
-- (computed once per write, not per search), with a GIN index.
--sqlite: CREATE VIRTUAL TABLE catalogue_fts USING fts5(stems, tokenize = 'unicode61 remove_diacritics 0');
--postgres: ALTER TABLE catalogue_items ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('dutch', search_text)) STORED;
--postgres: CREATE INDEX catalogue_items_fts ON catalogue_items USING GIN (search);
