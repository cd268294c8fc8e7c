-- The outbox (issue 4, item 2). Every e-mail Steward sends is first written
-- here, in the same transaction as the change that causes it, so a crash or
-- an unreachable SMTP server never loses a mail (G3): a sign-up and its
-- verification mail commit together or not at all. The dispatcher in mail/
-- claims due rows, delivers them over SMTP and records the outcome.
--
-- A row holds the recipient's address and the text, which is declared mail
-- data: finished rows are deleted after a retention period (PruneSent, R4)
-- and a person's rows go with their erasure (DropOutboxFor, Z9 / Art. 17).
CREATE TABLE outbox (
	id              {{SERIAL}},
	-- What the mail is for: verify, reset, newsletter, retention_warning, ...
	kind            TEXT NOT NULL,
	-- The data subject (account or person) the mail concerns, so erasure
	-- finds their pending mails. Not the subject line: that is "subject".
	subject_id      TEXT NOT NULL,
	recipient       TEXT NOT NULL,
	subject         TEXT NOT NULL,
	text_body       TEXT NOT NULL,
	html_body       TEXT NOT NULL DEFAULT '',
	-- Extra headers as a JSON object, e.g. List-Unsubscribe and
	-- List-Unsubscribe-Post (RFC 8058) on newsletters.
	headers         TEXT NOT NULL DEFAULT '{}',
	status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	last_attempt_at BIGINT,
	-- Why the last attempt failed. Never holds personal values: the
	-- dispatcher strips addresses from SMTP replies before writing it.
	last_error      TEXT NOT NULL DEFAULT '',
	-- A dispatcher that claimed the row owns it until lease_until (unix ms);
	-- claim_token says which claim, so a dispatcher whose lease ran out
	-- cannot record an outcome over another's.
	claim_token     TEXT NOT NULL DEFAULT '',
	lease_until     BIGINT NOT NULL DEFAULT 0,
	created_at      BIGINT NOT NULL,
	sent_at         BIGINT
);

-- Serves the claim query (store.ClaimDueMail): pending rows in the order they
-- fall due. Partial, so sent and failed rows cost the claim nothing.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';

-- Serves DropOutboxFor: all of a person's mails, found at erasure.
CREATE INDEX outbox_subject ON outbox (subject_id);

-- Serves PruneSent: finished (sent or failed) rows by the time they finished.
CREATE INDEX outbox_finished ON outbox (last_attempt_at) WHERE status <> 'pending';
