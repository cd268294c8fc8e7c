-- Retention scans that read the index alone (issue 8: R9, Z9 plan < 2 s at
-- a million accounts). The due scans on the login and activity anchors
-- (store.DueTargets: WHERE anonymised_at IS NULL AND role = '' AND
-- <anchor> BETWEEN .. ORDER BY <anchor>, id) read each candidate's
-- organisation, anchors and confirmation; with those columns in the index
-- the scan is one ordered walk instead of a table look-up per candidate in
-- id order, which on SQLite's readers (a small page cache each) was most
-- of a plan. anonymised_at and role are there so SQLite can see the index
-- covers the partial index's own condition. The created anchor keeps its
-- narrow index: no rule of the shipped policies counts accounts from
-- creation.
DROP INDEX accounts_due_login;
DROP INDEX accounts_due_activity;
CREATE INDEX accounts_due_login ON accounts ((COALESCE(last_login_at, created_at)), id,
	organisation_id, created_at, confirmed_at, last_login_at, last_activity_at, anonymised_at, role)
	WHERE anonymised_at IS NULL AND role = '';
CREATE INDEX accounts_due_activity ON accounts ((COALESCE(last_activity_at, last_login_at, created_at)), id,
	organisation_id, created_at, confirmed_at, last_login_at, last_activity_at, anonymised_at, role)
	WHERE anonymised_at IS NULL AND role = '';

-- Serves erasure of a subject's newsletter deliveries (store.EraseSubjects,
-- the consents eraser: subject IN (..)), which otherwise read every
-- delivery of every issue for each batch; the primary key leads with the
-- send.
CREATE INDEX newsletter_deliveries_subject ON newsletter_deliveries (subject);
