-- Consent (issue 6: R2, R11, Z3, Z4, Z5, Z8; Art. 7 GDPR). Times are unix
-- milliseconds from the injected clock.

-- Every wording a person was ever asked to agree to, keyed by the SHA-256
-- of its exact text (hex). A record stores only the hash; this table lets
-- any record show the words agreed to, even after the policy changed
-- (Art. 7(1): the controller must be able to demonstrate consent).
-- Rows are never updated or deleted.
CREATE TABLE consent_notices (
	hash       TEXT PRIMARY KEY,
	lang       TEXT NOT NULL,
	text       TEXT NOT NULL,
	first_seen BIGINT NOT NULL
);

-- The consent history, append-only: a change of mind is a new row, the
-- current state is the newest row per (subject, purpose). The store API has
-- no UPDATE or DELETE for these rows except EraseConsentsFor (Art. 17).
-- subject is an opaque id: an account id, a visitor id (v_...) or a
-- newsletter sign-up id (ns_...), never an e-mail address.
CREATE TABLE consent_records (
	id             {{SERIAL}},
	subject        TEXT NOT NULL,
	purpose        TEXT NOT NULL,
	given          SMALLINT NOT NULL CHECK (given IN (0, 1)),
	channel        TEXT NOT NULL,
	notice_hash    TEXT NOT NULL REFERENCES consent_notices (hash),
	at             BIGINT NOT NULL,
	policy_version TEXT NOT NULL
);

-- Serves ConsentHistory and ConsentLatest: a subject's records per purpose
-- in order, so the newest is the last entry of the index range.
CREATE INDEX consent_records_subject ON consent_records (subject, purpose, id);
-- Serves ConsentSubjectsGiven (newsletter planning, panel export): per
-- purpose, walk subjects in keyset order and find each one's newest row.
CREATE INDEX consent_records_purpose ON consent_records (purpose, subject, id);

-- Restriction (Art. 18, Z8: while a dispute runs) and objection (Art. 21)
-- flags the purpose gate consults. The rights issue writes them; purpose
-- '*' restricts every purpose of the subject.
CREATE TABLE processing_limits (
	subject TEXT NOT NULL,
	kind    TEXT NOT NULL CHECK (kind IN ('restriction', 'objection')),
	purpose TEXT NOT NULL,
	since   BIGINT NOT NULL,
	reason  TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (subject, kind, purpose)
);

-- Newsletter sign-ups without an account (R2): exactly the fields of the
-- policy's newsletter_subscription record, as a JSON object of field id to
-- value (R4: the service refuses any other field). id is the subject id of
-- the sign-up's consent records. confirm_hash is the SHA-256 of the
-- double opt-in token (the token itself is only in the mail); it is cleared
-- when used, so a replayed link finds nothing.
CREATE TABLE newsletter_subscriptions (
	id              TEXT PRIMARY KEY,
	email           TEXT NOT NULL,
	email_key       TEXT NOT NULL,
	fields          TEXT NOT NULL DEFAULT '{}',
	lang            TEXT NOT NULL,
	notice_hash     TEXT NOT NULL,
	created_at      BIGINT NOT NULL,
	confirmed_at    BIGINT,
	confirm_hash    TEXT,
	confirm_expires BIGINT
);

-- One sign-up per address, whatever its case.
CREATE UNIQUE INDEX newsletter_subscriptions_email ON newsletter_subscriptions (email_key);
-- Serves ConfirmNewsletter's token lookup.
CREATE UNIQUE INDEX newsletter_subscriptions_confirm ON newsletter_subscriptions (confirm_hash);
-- Serves PurgeUnconfirmedNewsletter: unconfirmed sign-ups by age.
CREATE INDEX newsletter_subscriptions_unconfirmed ON newsletter_subscriptions (created_at) WHERE confirmed_at IS NULL;

-- One run of 'steward newsletter send'. content_hash identifies the issue,
-- so running the same command again resumes an unfinished run.
CREATE TABLE newsletter_sends (
	id           {{SERIAL}},
	purpose      TEXT NOT NULL,
	content_hash TEXT NOT NULL,
	subject_line TEXT NOT NULL,
	lang         TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	finished_at  BIGINT
);

-- Serves the resume lookup: an unfinished run of the same issue.
CREATE INDEX newsletter_sends_content ON newsletter_sends (content_hash, finished_at);

-- Who one run has reached: written in the transaction that enqueues the
-- mail, so a resumed run never mails anyone twice.
CREATE TABLE newsletter_deliveries (
	send_id   BIGINT NOT NULL REFERENCES newsletter_sends (id),
	subject   TEXT NOT NULL,
	outbox_id BIGINT NOT NULL,
	at        BIGINT NOT NULL,
	PRIMARY KEY (send_id, subject)
);
