-- Learning results from the learning environment (issue 16 item 4: R8).
-- Times are unix milliseconds.

-- A key a client (the LMS) authenticates with, bound to one of the
-- policy's processors and to a scope ('xapi'). Only the SHA-256 of the
-- secret is kept: the secret is shown once, by 'steward api-keys create'
-- or 'rotate'. A revoked or expired key is refused (401); rows stay for
-- the audit trail. No person: a key belongs to a processor.
CREATE TABLE api_keys (
	id          TEXT PRIMARY KEY,
	processor   TEXT NOT NULL,
	scope       TEXT NOT NULL,
	secret_hash TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	rotated_at  BIGINT,
	expires_at  BIGINT,
	revoked_at  BIGINT
);

-- The xAPI statements accepted, by statement id, so a statement sent
-- again is a no-op and one with the same id and other content is a
-- conflict (xAPI 1.0.3, Statements resource). content_hash is the
-- SHA-256 of the statement's substance (actor, verb, object, result,
-- timestamp); the statement itself is not kept: what it said lives on as
-- a learning_result record with the policy's fields only (R4). No
-- person: the record, which erasure deletes, is not linked from here.
CREATE TABLE xapi_statements (
	id           TEXT PRIMARY KEY,
	key_id       TEXT NOT NULL,
	content_hash TEXT NOT NULL,
	verb         TEXT NOT NULL,
	stored_at    BIGINT NOT NULL
);

-- Serves the activity → course lookup of every statement
-- (store.CourseByLMSID).
CREATE INDEX courses_lms_course_id ON courses (lms_course_id) WHERE lms_course_id <> '';
