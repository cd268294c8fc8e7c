-- The current consent state, one row per (subject, purpose) that has any
-- record (issue 6). It is a copy, not a source: consent_records stays the
-- append-only history the state is derived from (Art. 7(1)), and every
-- row here is the newest record of its pair. AppendConsent upserts it in
-- the transaction that appends the record and EraseConsentsFor deletes or
-- re-keys it with the history, so a reader never sees the two disagree.
-- It exists so the purpose gate and newsletter planning read one row per
-- person instead of finding MAX(id) in the history each time (100,000
-- recipients planned in < 1 s on SQLite).
CREATE TABLE consent_state (
	subject     TEXT NOT NULL,
	purpose     TEXT NOT NULL,
	given       SMALLINT NOT NULL CHECK (given IN (0, 1)),
	at          BIGINT NOT NULL,
	notice_hash TEXT NOT NULL,
	-- The consent_records row this state is taken from.
	record_id   BIGINT NOT NULL,
	PRIMARY KEY (subject, purpose)
);

-- Serves ConsentSubjectsGiven (newsletter planning and sending, panel
-- export): per purpose, the subjects whose consent stands, in keyset order.
CREATE INDEX consent_state_given ON consent_state (purpose, subject) WHERE given = 1;

-- Backfill from the history: the newest record per (subject, purpose).
INSERT INTO consent_state (subject, purpose, given, at, notice_hash, record_id)
SELECT c.subject, c.purpose, c.given, c.at, c.notice_hash, c.id FROM consent_records c
WHERE c.id = (SELECT MAX(m.id) FROM consent_records m WHERE m.subject = c.subject AND m.purpose = c.purpose);
