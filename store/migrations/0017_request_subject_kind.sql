-- A request's subject kind (issue 13 item 5): a data-subject request can be
-- made by anyone the site holds data on, not only by an account holder. A
-- newsletter sign-up without an account (R2) is a subject of its own:
-- subject_id is then the sign-up's id and subject_pseudonym is '' (a
-- sign-up has no pseudonym; its audit entries name it by id, as consent
-- and retention already do). Existing rows are account requests.
ALTER TABLE requests ADD COLUMN subject_kind TEXT NOT NULL DEFAULT 'account'
	CHECK (subject_kind IN ('account', 'newsletter_signup'));
