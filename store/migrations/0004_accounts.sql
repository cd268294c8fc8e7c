-- Accounts, profiles, sessions, single-use tokens and staff views (issue 4:
-- R1, R3, R4, R12, Z2). Times are unix milliseconds.

-- One row per person or staff member. The id is random and opaque; the
-- e-mail address is unique case-insensitively (email_key is its lower-case
-- form). pseudonym names the person in the audit log and lives only here,
-- so deleting the row unlinks every log entry (G2, Z9).
CREATE TABLE accounts (
	id               TEXT PRIMARY KEY,
	email            TEXT NOT NULL,
	email_key        TEXT NOT NULL,
	password_hash    TEXT NOT NULL DEFAULT '',
	pseudonym        TEXT NOT NULL,
	-- '' for a person; admin, privacy_officer or support for staff (R12).
	role             TEXT NOT NULL DEFAULT '' CHECK (role IN ('', 'admin', 'privacy_officer', 'support')),
	-- The organisation whose contract may override retention (R9, R10).
	organisation_id  TEXT NOT NULL DEFAULT '',
	created_at       BIGINT NOT NULL,
	-- NULL while the address is unconfirmed; retention purges those (R10).
	confirmed_at     BIGINT,
	last_login_at    BIGINT,
	last_activity_at BIGINT
);

-- Serves AccountByEmail and enforces uniqueness regardless of case.
CREATE UNIQUE INDEX accounts_email_key ON accounts (email_key);
CREATE UNIQUE INDEX accounts_pseudonym ON accounts (pseudonym);
-- Serves the retention engine's scans of unconfirmed and inactive accounts.
CREATE INDEX accounts_created ON accounts (created_at) WHERE confirmed_at IS NULL;

-- A person's value of one field the policy declares (R4: the store refuses
-- any other field). Sensitive fields (R3) hold only sealed values.
CREATE TABLE profile_values (
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	record     TEXT NOT NULL,
	field      TEXT NOT NULL,
	value      TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, record, field)
);

-- Server-side sessions (R12). id is the SHA-256 of the secret in the
-- cookie or bearer token, so the table alone lets nobody log in.
CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	last_seen  BIGINT NOT NULL,
	auth_at    BIGINT NOT NULL,
	csrf       TEXT NOT NULL,
	api        INTEGER NOT NULL DEFAULT 0
);

-- Serves RevokeSessions: all sessions of a person.
CREATE INDEX sessions_account ON sessions (account_id);

-- Single-use, expiring tokens sent by mail (verification, reset, staff
-- set-password), stored hashed.
CREATE TABLE account_tokens (
	hash       TEXT PRIMARY KEY,
	kind       TEXT NOT NULL CHECK (kind IN ('verify', 'reset', 'set_password')),
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT
);

-- Serves the removal of a person's other tokens once one is used.
CREATE INDEX account_tokens_account ON account_tokens (account_id, kind);

-- Every staff view of a person's record (R12, Z7): who, whose, when, which
-- fields (names only). The rights issue shows these to the person.
CREATE TABLE staff_views (
	id         {{SERIAL}},
	viewed_at  BIGINT NOT NULL,
	staff_id   TEXT NOT NULL,
	subject_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	fields     TEXT NOT NULL
);

-- Serves StaffViewsOf: a person's views, newest first.
CREATE INDEX staff_views_subject ON staff_views (subject_id, viewed_at);
