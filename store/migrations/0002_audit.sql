-- The tamper-evident audit log (G2, R7, R12, Z7; issue 5). Entries are
-- never updated or deleted; each holds the hash of the one before it.
-- Columns hold names, pseudonyms and opaque ids only, never personal values.
CREATE TABLE audit_log (
	seq            {{INT64_KEY}} NOT NULL,     -- 1, 2, 3, ... without gaps
	at             BIGINT NOT NULL,             -- unix milliseconds, injected clock
	actor          TEXT NOT NULL,               -- staff:<id>, subject:<pseudonym>, system:<job>
	action         TEXT NOT NULL,               -- closed vocabulary, audit.Action
	object_kind    TEXT NOT NULL,
	object_id      TEXT NOT NULL,
	subject        TEXT NOT NULL,               -- pseudonym of the person concerned, or ''
	fields         TEXT NOT NULL,               -- field names joined with ','
	policy_version TEXT NOT NULL,
	request_id     TEXT NOT NULL,
	format         SMALLINT NOT NULL,           -- canonical encoding version
	prev_hash      {{BLOB}} NOT NULL,
	hash           {{BLOB}} NOT NULL
);

-- The staff page and 'audit tail --subject': a person's entries, newest first.
CREATE INDEX audit_log_subject ON audit_log (subject, seq);
-- The staff page and 'audit tail --action': one action, newest first.
CREATE INDEX audit_log_action ON audit_log (action, seq);
-- The staff page's actor filter: what one staff member did, newest first.
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
-- The staff page's date filter and 'audit export --since'.
CREATE INDEX audit_log_at ON audit_log (at);

-- The chain's head: one row, locked (SELECT ... FOR UPDATE on PostgreSQL)
-- only for the final step of a transaction that appends, so appends
-- serialise on linking alone. Signed at every commit, so an entry appended
-- without the key is detected. hash is NULL while the log is empty.
CREATE TABLE audit_head (
	id        INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	seq       BIGINT NOT NULL,
	hash      {{BLOB}},
	key_id    TEXT NOT NULL,
	signature {{BLOB}}
);
INSERT INTO audit_head (id, seq, hash, key_id, signature) VALUES (1, 0, NULL, '', NULL);

-- Signed checkpoints: every N entries and on demand, "entry size has hash".
CREATE TABLE audit_checkpoints (
	size      BIGINT NOT NULL PRIMARY KEY,
	hash      {{BLOB}} NOT NULL,
	at        BIGINT NOT NULL,
	key_id    TEXT NOT NULL,
	signature {{BLOB}} NOT NULL
);
