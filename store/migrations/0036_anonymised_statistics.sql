-- What an anonymised account keeps for statistics (issue 19: Z9). One row
-- per account anonymised: its profile fields generalised to the levels the
-- policy's generalisations name under `statistics`, as a JSON object, and
-- the month of the anonymisation. No link to the person: the key is random
-- (no sequence, no rowid: SQLite keeps the rows in key order, WITHOUT
-- ROWID), no column shares a name with another table, and no value is an
-- id or pseudonym found anywhere else (store's TestStatisticsJoinNothing).
-- On PostgreSQL the month's rows are rewritten in key order with every
-- insert, so neither their order nor their row version (xmin) picks out
-- the newest (docs/anonymisation.md).
--sqlite: CREATE TABLE anonymised_statistics (stat_key TEXT PRIMARY KEY, stat_month TEXT NOT NULL, stat_attributes TEXT NOT NULL) WITHOUT ROWID;
--postgres: CREATE TABLE anonymised_statistics (stat_key TEXT PRIMARY KEY, stat_month TEXT NOT NULL, stat_attributes TEXT NOT NULL);

-- Serves the month's rewrite on PostgreSQL.
CREATE INDEX anonymised_statistics_month ON anonymised_statistics (stat_month);

-- Partner exports (issue 19, items 3 and 5): the level each quasi-
-- identifier was generalised to (JSON array of {field, level, of, name}),
-- which every later export keeps, the file's columns (JSON array), how many
-- rows came from the statistics, and the information-loss measures.
ALTER TABLE partner_exports ADD COLUMN columns TEXT NOT NULL DEFAULT '[]';
ALTER TABLE partner_exports ADD COLUMN levels TEXT NOT NULL DEFAULT '[]';
ALTER TABLE partner_exports ADD COLUMN statistics_records INTEGER NOT NULL DEFAULT 0;
ALTER TABLE partner_exports ADD COLUMN statistics_released INTEGER NOT NULL DEFAULT 0;
ALTER TABLE partner_exports ADD COLUMN ncp DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE partner_exports ADD COLUMN discernibility BIGINT NOT NULL DEFAULT 0;

-- Each export's classes as released: the quasi-identifiers' generalised
-- values (JSON array, in the order of the export's levels), its rows, and
-- its live rows counted by their sensitive values (JSON object), so that a
-- later export can be checked against every earlier one (the intersection
-- attack between two releases). This is what the partner already holds,
-- counted; no person.
CREATE TABLE partner_export_classes (
	export_id TEXT NOT NULL REFERENCES partner_exports (id),
	class     TEXT NOT NULL,
	records   INTEGER NOT NULL,
	live      TEXT NOT NULL,
	PRIMARY KEY (export_id, class)
);
