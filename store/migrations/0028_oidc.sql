-- Steward as an OpenID Connect provider for the learning environment
-- (issue 16 item 3). Times are unix milliseconds.

-- A registered client: a relying party such as Moodle's auth_oauth2,
-- bound to the policy's recipient (a processors entry) whose declared
-- claims it may receive. Only the SHA-256 of its secret is kept (the
-- secret is shown once); a public client has none and must use PKCE
-- S256. redirect_uris is the registered list, one URI per line, compared
-- exactly. A revoked client stays, so its id is never reused.
CREATE TABLE oidc_clients (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE,
	recipient     TEXT NOT NULL,
	secret_hash   TEXT NOT NULL DEFAULT '',
	redirect_uris TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
	secret_at     BIGINT NOT NULL,
	revoked_at    BIGINT
);

-- The keys that sign ID tokens. private_key is the PKCS #8 key sealed
-- with the data key (AES-256-GCM, bound to the key's id), never in
-- plaintext; public_key is its PKIX form for the JWKS. The newest key
-- not retired signs; a retired key stays published until every token it
-- signed has expired, then 'clients keys rotate' drops it.
CREATE TABLE oidc_keys (
	id          TEXT PRIMARY KEY,
	algorithm   TEXT NOT NULL,
	public_key  TEXT NOT NULL,
	private_key TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	retired_at  BIGINT
);

-- One authorisation request, from the client's redirect to the exchange
-- of its code: who signed in (account_id, and subject: the id of their
-- learning-environment account record), the code's SHA-256 once issued,
-- and when it was exchanged. An exchanged request is kept until its
-- tokens have expired, so a replayed code is recognised and the tokens
-- issued from it revoked (RFC 6749 §4.1.2); older rows are pruned.
CREATE TABLE oidc_grants (
	id             TEXT PRIMARY KEY,
	client_id      TEXT NOT NULL REFERENCES oidc_clients (id),
	redirect_uri   TEXT NOT NULL,
	scopes         TEXT NOT NULL,
	state          TEXT NOT NULL DEFAULT '',
	nonce          TEXT NOT NULL DEFAULT '',
	response_type  TEXT NOT NULL,
	response_mode  TEXT NOT NULL DEFAULT '',
	code_challenge TEXT NOT NULL DEFAULT '',
	code_method    TEXT NOT NULL DEFAULT '',
	account_id     TEXT REFERENCES accounts (id) ON DELETE CASCADE,
	subject        TEXT NOT NULL DEFAULT '',
	auth_at        BIGINT,
	code_hash      TEXT UNIQUE,
	code_at        BIGINT,
	exchanged_at   BIGINT,
	created_at     BIGINT NOT NULL
);

-- Serves the pruning of old requests and the removal of an account's.
CREATE INDEX oidc_grants_created ON oidc_grants (created_at);
CREATE INDEX oidc_grants_account ON oidc_grants (account_id);

-- An access token issued from a grant: only its SHA-256 (id) is kept.
-- The userinfo endpoint answers only for a token neither expired nor
-- revoked.
CREATE TABLE oidc_tokens (
	id         TEXT PRIMARY KEY,
	grant_id   TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
	client_id  TEXT NOT NULL REFERENCES oidc_clients (id),
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	subject    TEXT NOT NULL,
	scopes     TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT
);

-- Serves the revocation of a grant's tokens (a replayed code) and of a
-- client's (revoke), and the removal of an account's.
CREATE INDEX oidc_tokens_grant ON oidc_tokens (grant_id);
CREATE INDEX oidc_tokens_client ON oidc_tokens (client_id);
CREATE INDEX oidc_tokens_account ON oidc_tokens (account_id);
