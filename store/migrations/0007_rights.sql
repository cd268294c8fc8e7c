-- Data-subject requests, their timelines and disclosures to third parties
-- (issue 7: R7, R13, Z8; Art. 12, 15-21 GDPR). Times are unix
-- milliseconds; a day (received_on, deadline_on, ...) is midnight UTC of
-- that calendar day.

-- One row per request that arrived by e-mail, letter, phone or
-- self-service. subject_id is the account concerned; erasure blanks it and
-- the details, and keeps the pseudonym, so the request remains proof that
-- it was answered in time (Art. 5(2)) without naming the person (G2).
CREATE TABLE requests (
	id                TEXT PRIMARY KEY,
	subject_id        TEXT NOT NULL,
	subject_pseudonym TEXT NOT NULL,
	type              TEXT NOT NULL CHECK (type IN ('access', 'rectification', 'erasure', 'restriction', 'portability', 'objection', 'withdraw')),
	channel           TEXT NOT NULL CHECK (channel IN ('email', 'letter', 'phone', 'self_service')),
	received_on       BIGINT NOT NULL,
	details           TEXT NOT NULL DEFAULT '',
	purpose           TEXT NOT NULL DEFAULT '',
	status            TEXT NOT NULL CHECK (status IN ('received', 'verified', 'completed', 'refused')),
	verify_asked_on   BIGINT NOT NULL DEFAULT 0,
	verified_on       BIGINT NOT NULL DEFAULT 0,
	verify_method     TEXT NOT NULL DEFAULT '',
	-- The confirmation link's secret, hashed; '' when none is outstanding.
	verify_token_hash TEXT NOT NULL DEFAULT '',
	verify_expires_at BIGINT NOT NULL DEFAULT 0,
	extension         TEXT NOT NULL DEFAULT '',
	extension_reason  TEXT NOT NULL DEFAULT '',
	extended_on       BIGINT NOT NULL DEFAULT 0,
	-- The deadline as computed when the row last changed, for sorting the
	-- queue in SQL; the rights package recomputes it for display. A request
	-- whose deadline does not run yet holds the largest day (9999-12-31).
	deadline_on       BIGINT NOT NULL,
	closed_on         BIGINT NOT NULL DEFAULT 0,
	outcome           TEXT NOT NULL DEFAULT '',
	created_at        BIGINT NOT NULL,
	created_by        TEXT NOT NULL
);

-- Serves the queue (RequestQueue): open requests by deadline, keyset on
-- (deadline_on, id).
CREATE INDEX requests_open_by_deadline ON requests (deadline_on, id) WHERE closed_on = 0;
-- Serves RequestsOf ("My data") and erasure: a person's requests.
CREATE INDEX requests_subject ON requests (subject_id, id);
-- Serves the confirmation link: find the request by its link's hash.
CREATE INDEX requests_verify_token ON requests (verify_token_hash) WHERE verify_token_hash <> '';

-- The timeline of a request: one row per step, each also an audit entry
-- (request.create, request.step, request.extend, request.close).
CREATE TABLE request_steps (
	id         {{SERIAL}},
	request_id TEXT NOT NULL REFERENCES requests (id),
	at         BIGINT NOT NULL,
	kind       TEXT NOT NULL,
	actor      TEXT NOT NULL,
	note       TEXT NOT NULL DEFAULT ''
);

-- Serves RequestByID's timeline.
CREATE INDEX request_steps_request ON request_steps (request_id, id);

-- Disclosures of a person's data to a third party (R7): who received what,
-- on which ground of the policy, when. withheld marks a disclosure the law
-- forbids telling the person about (e.g. a criminal investigation); the
-- reason says which law.
CREATE TABLE disclosures (
	id                TEXT PRIMARY KEY,
	subject_id        TEXT NOT NULL,
	subject_pseudonym TEXT NOT NULL,
	-- The policy's disclosures[].id the disclosure rests on.
	ground            TEXT NOT NULL,
	recipient         TEXT NOT NULL,
	legal_basis       TEXT NOT NULL,
	-- Record kinds disclosed, comma-separated policy ids.
	categories        TEXT NOT NULL,
	-- The recipient's reference (an order or case number), and the
	-- data-subject request it answered, if any.
	reference         TEXT NOT NULL DEFAULT '',
	request_id        TEXT NOT NULL DEFAULT '',
	disclosed_on      BIGINT NOT NULL,
	withheld          SMALLINT NOT NULL DEFAULT 0 CHECK (withheld IN (0, 1)),
	withhold_reason   TEXT NOT NULL DEFAULT '',
	recorded_at       BIGINT NOT NULL,
	recorded_by       TEXT NOT NULL
);

-- Serves DisclosuresOf ("My data", staff) and erasure.
CREATE INDEX disclosures_subject ON disclosures (subject_id, id);
