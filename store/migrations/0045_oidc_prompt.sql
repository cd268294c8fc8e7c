-- What an authorisation request asked of the login (OpenID Connect Core
-- §3.1.2.1): prompt is 'none' when no page may be shown (the request
-- then fails with login_required instead of asking for the password);
-- auth_after is the earliest password entry that satisfies it (prompt=
-- login or select_account: the request's own time; max_age=N: N seconds
-- before it), NULL for any. auth_at, already there, now holds when the
-- person last entered their password (the ID token's auth_time), not
-- when they were bound to the request.
ALTER TABLE oidc_grants ADD COLUMN prompt TEXT NOT NULL DEFAULT '';
ALTER TABLE oidc_grants ADD COLUMN auth_after BIGINT;
