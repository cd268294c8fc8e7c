-- The course catalogue (issue 16: R5). Times are unix milliseconds.
-- Enrolments are records of the policy's enrolment kind (records,
-- record_values: course = the slug, enrolled_at), so retention, My data,
-- the export and erasure reach them like every record.

-- One course, keyed by its slug (the /courses/{slug} page). price_cents
-- 0 is free. Managed by 'steward courses import', idempotent on slug.
CREATE TABLE courses (
	slug           TEXT PRIMARY KEY,
	title_nl       TEXT NOT NULL,
	title_en       TEXT NOT NULL,
	description_nl TEXT NOT NULL DEFAULT '',
	description_en TEXT NOT NULL DEFAULT '',
	lms_course_id  TEXT NOT NULL DEFAULT '',
	price_cents    BIGINT NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
	published      INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);

-- Accreditation points a course earns per register (KNMP, KRP, …); the
-- accreditation export (a later session) reads them per register.
CREATE TABLE course_points (
	course_slug TEXT NOT NULL REFERENCES courses (slug) ON DELETE CASCADE,
	register    TEXT NOT NULL,
	points      INTEGER NOT NULL CHECK (points >= 0),
	PRIMARY KEY (course_slug, register)
);
