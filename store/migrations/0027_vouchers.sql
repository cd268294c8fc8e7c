-- Vouchers (issue 17: R6). Times are unix milliseconds.

-- A batch of vouchers an organisation (or staff for it) created for one
-- course: how many codes, until when they can be redeemed, and a label
-- for the creator's own bookkeeping. created_by is the audit actor.
CREATE TABLE voucher_batches (
	id              TEXT PRIMARY KEY,
	organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
	course_slug     TEXT NOT NULL REFERENCES courses (slug),
	label           TEXT NOT NULL DEFAULT '',
	count           INTEGER NOT NULL CHECK (count > 0),
	expires_at      BIGINT NOT NULL,
	created_by      TEXT NOT NULL,
	created_at      BIGINT NOT NULL
);

CREATE INDEX voucher_batches_org ON voucher_batches (organisation_id, course_slug);

-- One code of a batch. Only the code's hash is kept: the codes are shown
-- once to their creator. A redeemed code points at the redeemer's voucher
-- record (kind 'voucher', in records), which erasure deletes: the person
-- then leaves the creator's report; the code stays used. notice_hash is
-- the SHA-256 of the exact notice the redeemer saw and confirmed, in
-- notice_lang, under policy_version (proof, like a consent record).
CREATE TABLE vouchers (
	code_hash      TEXT PRIMARY KEY,
	batch_id       TEXT NOT NULL REFERENCES voucher_batches (id) ON DELETE CASCADE,
	redeemed_at    BIGINT,
	record_id      BIGINT REFERENCES records (id) ON DELETE SET NULL,
	notice_hash    TEXT NOT NULL DEFAULT '',
	notice_lang    TEXT NOT NULL DEFAULT '',
	policy_version TEXT NOT NULL DEFAULT ''
);

CREATE INDEX vouchers_batch ON vouchers (batch_id, redeemed_at);
CREATE INDEX vouchers_record ON vouchers (record_id) WHERE record_id IS NOT NULL;
