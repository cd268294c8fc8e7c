package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"steward"
	"steward/learning"
)

const courseColumns = `slug, title_nl, title_en, description_nl, description_en, lms_course_id, price_cents, published`

func scanCourse(r interface{ Scan(...any) error }) (learning.Course, error) {
	var c learning.Course
	var published int
	err := r.Scan(&c.Slug, &c.Title.NL, &c.Title.EN, &c.Description.NL, &c.Description.EN, &c.LMSCourseID, &c.PriceCents, &published)
	c.Published = published == 1
	return c, err
}

// PutCourse stores a course checked by learning.Course.Check: a new slug
// is added, a known one replaced with its points (the import is
// idempotent on slug).
func (tx *Tx) PutCourse(ctx context.Context, c *learning.Course, now time.Time) error {
	published := boolInt(c.Published)
	_, err := tx.ExecContext(ctx, `INSERT INTO courses (`+courseColumns+`, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		ON CONFLICT (slug) DO UPDATE SET title_nl = excluded.title_nl, title_en = excluded.title_en,
			description_nl = excluded.description_nl, description_en = excluded.description_en,
			lms_course_id = excluded.lms_course_id, price_cents = excluded.price_cents,
			published = excluded.published, updated_at = excluded.updated_at`,
		c.Slug, c.Title.NL, c.Title.EN, c.Description.NL, c.Description.EN, c.LMSCourseID, c.PriceCents, published, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: put course %s: %w", c.Slug, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM course_points WHERE course_slug = $1`, c.Slug); err != nil {
		return fmt.Errorf("store: points of course %s: %w", c.Slug, err)
	}
	for _, p := range c.Points {
		if _, err := tx.ExecContext(ctx, `INSERT INTO course_points (course_slug, register, points) VALUES ($1, $2, $3)`, c.Slug, p.Register, p.Points); err != nil {
			return fmt.Errorf("store: points of course %s: %w", c.Slug, err)
		}
	}
	return nil
}

// Course returns the course with slug (published or not); ENOTFOUND for
// none.
func (r *Reader) Course(ctx context.Context, slug string) (*learning.Course, error) {
	c, err := r.courseWhere(ctx, `c.slug = $1`, slug)
	if err != nil && steward.ErrorCode(err) != steward.ENOTFOUND {
		return nil, fmt.Errorf("store: course %s: %w", slug, err)
	}
	return c, err
}

// courseWhere reads the course cond selects (on courses c, one parameter)
// with its points, in one statement: every xAPI batch looks its courses
// up, and on PostgreSQL each statement is a round trip (issue 16). A
// course without points is one row whose points are NULL. ENOTFOUND for
// none.
func (r *Reader) courseWhere(ctx context.Context, cond string, arg any) (*learning.Course, error) {
	var c *learning.Course
	err := r.eachHotRow(ctx, `SELECT `+prefixed("c.", courseColumns)+`, p.register, p.points
		FROM courses c LEFT JOIN course_points p ON p.course_slug = c.slug
		WHERE `+cond+` ORDER BY p.register`, []any{arg}, func(rows *sql.Rows) error {
		var got learning.Course
		var published int
		var register sql.NullString
		var points sql.NullInt64
		if err := rows.Scan(&got.Slug, &got.Title.NL, &got.Title.EN, &got.Description.NL, &got.Description.EN,
			&got.LMSCourseID, &got.PriceCents, &published, &register, &points); err != nil {
			return err
		}
		if c == nil {
			got.Published = published == 1
			c = &got
		}
		if register.Valid {
			c.Points = append(c.Points, learning.Points{Register: register.String, Points: int(points.Int64)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_course")
	}
	return c, nil
}

// Courses lists the catalogue by slug, with points; only the published
// courses when published is true.
func (s *Store) Courses(ctx context.Context, published bool) ([]learning.Course, error) {
	out, err := rowsOf(ctx, s.Reader, func(rows *sql.Rows) (learning.Course, error) { return scanCourse(rows) },
		`SELECT `+courseColumns+` FROM courses WHERE ($1 = 0 OR published = 1) ORDER BY slug`, boolInt(published))
	if err != nil {
		return nil, fmt.Errorf("store: courses: %w", err)
	}
	at := map[string]int{}
	for i := range out {
		at[out[i].Slug] = i
	}
	err = s.eachRow(ctx, `SELECT course_slug, register, points FROM course_points ORDER BY course_slug, register`, nil, func(rows *sql.Rows) error {
		var slug string
		var p learning.Points
		if err := rows.Scan(&slug, &p.Register, &p.Points); err != nil {
			return err
		}
		if i, ok := at[slug]; ok {
			out[i].Points = append(out[i].Points, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: course points: %w", err)
	}
	return out, nil
}

// RecordWithValue returns the id of subject's record of kind whose field
// holds value (an enrolment in a course), 0 for none.
func (r *Reader) RecordWithValue(ctx context.Context, subject, kind, field, value string) (int64, error) {
	var id int64
	err := r.q.QueryRowContext(ctx, `SELECT r.id FROM records r JOIN record_values v ON v.record_id = r.id
		WHERE r.subject_id = $1 AND r.kind = $2 AND r.anonymised_at IS NULL AND v.field = $3 AND v.value = $4
		ORDER BY r.id LIMIT 1`, subject, kind, field, value).Scan(&id)
	if isNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s record of %s: %w", kind, subject, err)
	}
	return id, nil
}

// HasRecordOfKind reports whether subject has a record of kind (an LMS
// account).
func (r *Reader) HasRecordOfKind(ctx context.Context, subject, kind string) (bool, error) {
	var one int
	err := r.q.QueryRowContext(ctx, `SELECT 1 FROM records WHERE subject_id = $1 AND kind = $2 AND anonymised_at IS NULL LIMIT 1`, subject, kind).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: %s record of %s: %w", kind, subject, err)
	}
	return true, nil
}

// RecordValueCounts counts the records of kind by the value of field
// (enrolments per course), anonymised ones included: they still count in
// statistics (Z9).
func (s *Store) RecordValueCounts(ctx context.Context, kind, field string) (map[string]int, error) {
	out := map[string]int{}
	err := s.eachRow(ctx, `SELECT v.value, COUNT(*) FROM records r JOIN record_values v ON v.record_id = r.id
		WHERE r.kind = $1 AND v.field = $2 GROUP BY v.value`, []any{kind, field}, func(rows *sql.Rows) error {
		var v string
		var n int
		err := rows.Scan(&v, &n)
		out[v] = n
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: counts of %s by %s: %w", kind, field, err)
	}
	return out, nil
}
