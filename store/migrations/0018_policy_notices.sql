-- Telling people about a published policy change (Z11; issue 20).
--
-- A version that takes effect after it is published (advance notice):
-- when, in unix milliseconds. A version without a row here takes effect
-- at publication. (A table of its own: 0018 runs before 0020, which made
-- policy_publications, on a database migrated from scratch.)
CREATE TABLE policy_effective (
	site_id      TEXT NOT NULL,
	n            INTEGER NOT NULL,
	effective_at BIGINT NOT NULL,
	PRIMARY KEY (site_id, n)
);

-- A logged-in person who dismissed the banner about version n. An
-- anonymous visitor's dismissal is the steward_notice cookie instead.
CREATE TABLE policy_notice_dismissals (
	site_id      TEXT NOT NULL,
	n            INTEGER NOT NULL,
	account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	dismissed_at BIGINT NOT NULL,
	PRIMARY KEY (site_id, n, account_id)
);

-- The personal mail about version n to one directly affected person:
-- written in the transaction that queues the mail, so a send that stopped
-- half-way resumes without mailing anyone twice.
CREATE TABLE policy_notice_mails (
	site_id    TEXT NOT NULL,
	n          INTEGER NOT NULL,
	subject_id TEXT NOT NULL,
	outbox_id  BIGINT NOT NULL,
	queued_at  BIGINT NOT NULL,
	PRIMARY KEY (site_id, n, subject_id)
);
CREATE INDEX policy_notice_mails_subject ON policy_notice_mails (subject_id);
