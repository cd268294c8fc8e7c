-- Every enrolment is provisioned to the learning environment (issue 17
-- item 4): a voucher's, an order's or a free course's enrolment writes an
-- 'enrol' row into the LMS outbox in its own transaction. When sent, the
-- dispatcher makes sure the Moodle user exists (core_user_get_users_by_field
-- by the OIDC subject, else core_user_create_users with the values read
-- from the profile at that moment) and enrols it in the course
-- (enrol_manual_enrol_users). The row holds no value: the OIDC subject,
-- the account, and the enrolment record whose course (and that course's
-- LMS course id) is read at send time.
--
-- A column's CHECK cannot be altered in place on SQLite, so op moves to a
-- new column with the wider CHECK (as 0021 did for accounts.role); no
-- index names op. Every statement here works on both databases.
ALTER TABLE lms_outbox ADD COLUMN op_v2 TEXT NOT NULL DEFAULT 'delete'
	CHECK (op_v2 IN ('delete', 'update', 'enrol'));
UPDATE lms_outbox SET op_v2 = op;
ALTER TABLE lms_outbox DROP COLUMN op;
ALTER TABLE lms_outbox RENAME COLUMN op_v2 TO op;

-- An enrol row's enrolment record (records.id); 0 for a delete or an
-- update. Not a foreign key: an enrolment erased before it was sent
-- leaves nothing to provision, and the row is confirmed without a call.
ALTER TABLE lms_outbox ADD COLUMN record_id BIGINT NOT NULL DEFAULT 0;

-- A person's pending rows by the LMS user they concern: the erasure of an
-- LMS account drops its unsent updates and enrolments, and holds its delete
-- until an enrolment being sent at that moment has had its lease
-- (store.enqueueLMSDeletes).
CREATE INDEX lms_outbox_pending_subject ON lms_outbox (lms_subject) WHERE status = 'pending';
