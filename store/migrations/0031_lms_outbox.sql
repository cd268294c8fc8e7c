-- The learning environment's outbox (issue 16 item 5: Art. 17(2), Art. 19
-- GDPR). When Steward deletes a person's learning-environment account
-- (their own erasure, a completed request, a retention rule) or corrects a
-- profile field the LMS holds, it writes a row here in the same
-- transaction; the dispatcher in lms/ tells the LMS through its REST web
-- service (Moodle: core_user_delete_users, core_user_update_users) with
-- retries, and records the LMS's confirmation. Times are unix ms.
--
-- A row holds no personal values: lms_subject is the OIDC subject Steward
-- gave the LMS (the lms_account record's id), which Moodle is asked to
-- map to its own user id at send time; an update names the fields, whose
-- current values are read from the profile at send time. Finished rows are
-- deleted after a while (PruneLMS); a person's pending updates go with
-- their erasure, and a delete row is unlinked from the erased account
-- (subject_id '') and linked to their erasure request instead.
CREATE TABLE lms_outbox (
	id              {{SERIAL}},
	op              TEXT NOT NULL CHECK (op IN ('delete', 'update')),
	lms_subject     TEXT NOT NULL,
	-- The account, while it exists: an update reads its values, My data
	-- shows the row. '' once the account is erased.
	subject_id      TEXT NOT NULL DEFAULT '',
	-- The request that caused the row (an erasure or a rectification), so
	-- the staff request page shows whether the LMS confirmed; '' if none.
	request_id      TEXT NOT NULL DEFAULT '',
	-- An update's field ids, comma-separated; '' for a delete.
	fields          TEXT NOT NULL DEFAULT '',
	-- pending until the LMS confirmed (done) or the dispatcher gave up
	-- (failed).
	status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	last_attempt_at BIGINT,
	-- Why the last attempt failed: the LMS's error code, never a value.
	last_error      TEXT NOT NULL DEFAULT '',
	claim_token     TEXT NOT NULL DEFAULT '',
	lease_until     BIGINT NOT NULL DEFAULT 0,
	created_at      BIGINT NOT NULL,
	done_at         BIGINT
);

-- The claim (store.ClaimDueLMS): pending rows in the order they fall due.
CREATE INDEX lms_outbox_due ON lms_outbox (next_attempt_at, id) WHERE status = 'pending';
-- My data and erasure: a person's rows.
CREATE INDEX lms_outbox_subject ON lms_outbox (subject_id) WHERE subject_id <> '';
-- The staff request page.
CREATE INDEX lms_outbox_request ON lms_outbox (request_id) WHERE request_id <> '';
-- PruneLMS: finished rows by the time they finished.
CREATE INDEX lms_outbox_finished ON lms_outbox (last_attempt_at) WHERE status <> 'pending';
