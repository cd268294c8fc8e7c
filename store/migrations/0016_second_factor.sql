-- A second factor (issue 14, finding 4; ASVS 2.8): TOTP (RFC 6238) with
-- single-use recovery codes, required of staff and optional for people.
-- Times are unix milliseconds.

-- One TOTP authenticator per account. secret is sealed with the data key
-- (AES-256-GCM, bound to the account id), never kept in plaintext.
-- enrolled_at is NULL while the secret waits for its first code (the
-- enrolment page); last_step is the RFC 6238 time step of the last code
-- accepted, so the same code is refused a second time (ASVS 2.8.4).
CREATE TABLE second_factors (
	account_id  TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	secret      TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	enrolled_at BIGINT,
	last_step   BIGINT NOT NULL DEFAULT 0
);

-- The recovery codes of an enrolled account, shown once and stored as
-- SHA-256 hashes (50 random bits each); a used code's row is deleted.
CREATE TABLE recovery_codes (
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	code_hash  TEXT NOT NULL,
	PRIMARY KEY (account_id, code_hash)
);

-- The half-done login between the password and the code: it grants
-- nothing, lives a few minutes and allows a few codes. id is the SHA-256
-- of the secret in the browser's cookie (or held by the API handler).
CREATE TABLE login_challenges (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	api        INTEGER NOT NULL DEFAULT 0,
	attempts   INTEGER NOT NULL DEFAULT 0
);

-- Serves the removal of an account's challenges (reset, erasure).
CREATE INDEX login_challenges_account ON login_challenges (account_id);

-- A session opened after a second factor (the code step or the enrolment
-- that proved one): the staff pages ask for it (ASVS 4.3.1).
ALTER TABLE sessions ADD COLUMN second_factor INTEGER NOT NULL DEFAULT 0;
