-- Retention (issue 8: R4, R9, R10, Z9, G2, G3). Times are unix milliseconds.

-- Records other than the account (orders, downloads, LMS accounts,
-- enrolments, saved jobs, ...), one row per record of a kind the policy
-- declares (R4: RecordStore refuses any other kind). They exist so the
-- retention rules' conditions (has_any / has_none) and anchors can be
-- evaluated, and so erasure finds everything a person has. A record kind
-- with its own login (IVM's LMS account) keeps its own anchors; NULL
-- anchors fall back to the account's.
CREATE TABLE records (
	id               {{SERIAL}},
	-- The account (or, for visitor kinds, the visitor) the record belongs to.
	subject_id       TEXT NOT NULL,
	kind             TEXT NOT NULL,
	created_at       BIGINT NOT NULL,
	confirmed_at     BIGINT,
	last_login_at    BIGINT,
	last_activity_at BIGINT,
	-- Set when the record was anonymised: its values are gone and
	-- subject_id no longer names anyone; it still counts in statistics (Z9).
	anonymised_at    BIGINT
);

-- Serves RecordCounts (has_any / has_none per subject) and erasure of a
-- subject's records.
CREATE INDEX records_subject ON records (subject_id, kind);
-- Serve the retention due scans on record kinds (store.DueTargets), one per
-- anchor: WHERE kind = $1 AND anonymised_at IS NULL AND <anchor> <= $2
-- ORDER BY <anchor>, id (keyset pagination on (anchor, id)).
CREATE INDEX records_due_created ON records (kind, created_at, id) WHERE anonymised_at IS NULL;
CREATE INDEX records_due_login ON records (kind, (COALESCE(last_login_at, created_at)), id) WHERE anonymised_at IS NULL;
CREATE INDEX records_due_activity ON records (kind, (COALESCE(last_activity_at, last_login_at, created_at)), id) WHERE anonymised_at IS NULL;

-- A record's value of one field the policy declares for its kind (R4).
-- Sensitive fields hold only sealed values (R3).
CREATE TABLE record_values (
	record_id BIGINT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
	field     TEXT NOT NULL,
	value     TEXT NOT NULL,
	PRIMARY KEY (record_id, field)
);

-- Anonymised accounts stay as rows without anything personal (Z9: they
-- still count in statistics); the marker keeps the retention scans and
-- logins away from them.
ALTER TABLE accounts ADD COLUMN anonymised_at BIGINT;

-- Serve the retention due scans on accounts, one per anchor, keyset on
-- (anchor, id); anonymised accounts and staff are never candidates.
CREATE INDEX accounts_due_created ON accounts (created_at, id) WHERE anonymised_at IS NULL AND role = '';
CREATE INDEX accounts_due_login ON accounts ((COALESCE(last_login_at, created_at)), id) WHERE anonymised_at IS NULL AND role = '';
CREATE INDEX accounts_due_activity ON accounts ((COALESCE(last_activity_at, last_login_at, created_at)), id) WHERE anonymised_at IS NULL AND role = '';

-- Per-organisation contract overrides of rules that allow them (R9, R10).
-- Staff set them; each change is audited.
CREATE TABLE retention_overrides (
	id              {{SERIAL}},
	organisation_id TEXT NOT NULL,
	rule_id         TEXT NOT NULL,
	period          TEXT NOT NULL,  -- ISO 8601, policy.Duration
	contract_ref    TEXT NOT NULL,
	valid_from      BIGINT NOT NULL,
	valid_until     BIGINT,         -- NULL: open-ended
	created_at      BIGINT NOT NULL,
	UNIQUE (organisation_id, rule_id, valid_from)
);

-- Serves OverridesFor (the runner loads all overrides of a rule once) and
-- the overrides list.
CREATE INDEX retention_overrides_rule ON retention_overrides (rule_id, organisation_id);

-- Warnings sent before an action (Z9). One row per target and rule; the
-- action waits until the mail is sent and WarnBefore has passed since.
-- anchor_at is the anchor the warning was about: when the person logs in
-- the anchor moves, the row no longer matches and a new warning is needed.
CREATE TABLE retention_warnings (
	target_kind TEXT NOT NULL,
	target_id   TEXT NOT NULL,
	rule_id     TEXT NOT NULL,
	subject_id  TEXT NOT NULL,
	anchor_at   BIGINT NOT NULL,
	due_at      BIGINT NOT NULL,
	mail_id     BIGINT NOT NULL,
	warned_at   BIGINT NOT NULL,
	-- Copied from the outbox once the mail went out, so pruning the outbox
	-- never loses the proof.
	sent_at     BIGINT,
	PRIMARY KEY (target_kind, target_id, rule_id)
);

-- Serves erasure of a subject's warnings and the staff page's "warned" column.
CREATE INDEX retention_warnings_subject ON retention_warnings (subject_id);

-- One runner at a time across processes: a lease with an expiry. A runner
-- takes it when it is free or expired and renews it after every batch.
CREATE TABLE retention_lease (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at BIGINT NOT NULL
);
