-- Organisations (issue 16: R6, R9, R10). Times are unix milliseconds.

-- An organisation people belong to: a hospital, a pharmacy chain. Its
-- contract terms are the retention overrides (retention_overrides), which
-- name it by id. The id is opaque; the name is what pages show.
CREATE TABLE organisations (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

-- Names are unique, so staff and the CLI can tell organisations apart.
CREATE UNIQUE INDEX organisations_name ON organisations (name);

-- Before this migration an organisation was only an id on accounts and
-- overrides. Each id in use becomes an organisation of that name, so every
-- account keeps its organisation and every override keeps applying to the
-- same members (the data keeps its meaning).
INSERT INTO organisations (id, name, created_at)
SELECT used.organisation_id, used.organisation_id, MIN(used.created_at)
FROM (SELECT organisation_id, created_at FROM accounts WHERE organisation_id <> ''
      UNION ALL
      SELECT organisation_id, created_at FROM retention_overrides) used
GROUP BY used.organisation_id;

-- An invitation to join an organisation (R6: never linked silently). It is
-- mailed to the account's address with a single-use link (only its hash is
-- kept); the person accepts or declines it logged in. invited_by is the
-- audit actor who invited (staff:<id>, or system:cli).
CREATE TABLE organisation_invitations (
	id              TEXT PRIMARY KEY,
	token_hash      TEXT NOT NULL,
	organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
	account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	invited_by      TEXT NOT NULL,
	created_at      BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL,
	answered_at     BIGINT,
	-- '' while open; what the person (or staff withdrawing it) did.
	answer          TEXT NOT NULL DEFAULT '' CHECK (answer IN ('', 'accepted', 'declined', 'withdrawn'))
);

-- Serves the link (by its hash), an organisation's invitation list, and
-- a person's invitations (My data, erasure).
CREATE UNIQUE INDEX organisation_invitations_token ON organisation_invitations (token_hash);
CREATE INDEX organisation_invitations_org ON organisation_invitations (organisation_id, created_at);
CREATE INDEX organisation_invitations_account ON organisation_invitations (account_id);

-- Serves an organisation's member list.
CREATE INDEX accounts_organisation ON accounts (organisation_id) WHERE organisation_id <> '';

-- The staff role organisation_manager (scoped to the account's
-- organisation_id). A column's CHECK cannot be altered in place on SQLite,
-- so the role moves to a new column with the wider CHECK; the indexes that
-- name the column are dropped first and made again as 0006 and 0010 made
-- them. Every statement here works on both databases.
DROP INDEX accounts_due_created;
DROP INDEX accounts_due_login;
DROP INDEX accounts_due_activity;
ALTER TABLE accounts ADD COLUMN role_v2 TEXT NOT NULL DEFAULT ''
	CHECK (role_v2 IN ('', 'admin', 'privacy_officer', 'support', 'organisation_manager'));
UPDATE accounts SET role_v2 = role;
ALTER TABLE accounts DROP COLUMN role;
ALTER TABLE accounts RENAME COLUMN role_v2 TO role;
CREATE INDEX accounts_due_created ON accounts (created_at, id) WHERE anonymised_at IS NULL AND role = '';
CREATE INDEX accounts_due_login ON accounts ((COALESCE(last_login_at, created_at)), id,
	organisation_id, created_at, confirmed_at, last_login_at, last_activity_at, anonymised_at, role)
	WHERE anonymised_at IS NULL AND role = '';
CREATE INDEX accounts_due_activity ON accounts ((COALESCE(last_activity_at, last_login_at, created_at)), id,
	organisation_id, created_at, confirmed_at, last_login_at, last_activity_at, anonymised_at, role)
	WHERE anonymised_at IS NULL AND role = '';
