-- Anonymised exports to analysis partners (issue 19: Z6). One row per
-- file handed over: which partner, when, how many people were read,
-- left out by their processing limits, released and suppressed, the k
-- and l the file achieves, and the SHA-256 of the report written beside
-- it. The audit entry export.anonymised names the row by id. No values
-- and no account ids are kept here.
CREATE TABLE partner_exports (
	id            TEXT PRIMARY KEY,
	partner       TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
	records       INTEGER NOT NULL,
	excluded      INTEGER NOT NULL,
	released      INTEGER NOT NULL,
	suppressed    INTEGER NOT NULL,
	k             INTEGER NOT NULL,
	l             INTEGER NOT NULL,
	report_sha256 TEXT NOT NULL
);

-- Serves a partner's exports newest first (the staff page, a later session).
CREATE INDEX partner_exports_partner ON partner_exports (partner, created_at);
