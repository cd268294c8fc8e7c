-- Pending changes of a login e-mail address (issue 4: R1, R12). The new
-- address waits here until the link sent to it is followed; until then the
-- account keeps its old address. hash is the SHA-256 of the link's secret,
-- so a copy of the database cannot confirm anything; a change is single
-- use (used_at) and expires (expires_at). The rows go with the account at
-- erasure and anonymisation (store.accountTables).
CREATE TABLE email_changes (
	hash       TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	new_email  TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT
);

-- Serves the removal of a person's other pending changes (a newer request
-- or a confirmation supersedes them) and erasure by account.
CREATE INDEX email_changes_account ON email_changes (account_id);
