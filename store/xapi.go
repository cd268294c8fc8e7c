package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/apikey"
	"steward/learning"
	"steward/policy"
)

// StatementHashes returns the content hashes of the accepted xAPI
// statements among ids, by id; an id never accepted is absent.
func (r *Reader) StatementHashes(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	err := eachRowByKey(ctx, r, `xapi_statements`, `id`, `id, content_hash`, ids, func(rows *sql.Rows) error {
		var id, h string
		if err := rows.Scan(&id, &h); err != nil {
			return err
		}
		out[id] = h
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: hashes of %d statements: %w", len(ids), err)
	}
	return out, nil
}

// Statement is an accepted xAPI statement as kept: its id, the key it
// came with, its content hash and verb (no personal value).
type Statement struct {
	ID, KeyID, ContentHash, Verb string
	StoredAt                     time.Time
}

// statementInsertRows is the most statements one INSERT carries.
const statementInsertRows = 128

// InsertStatements notes accepted xAPI statements, a few hundred rows to
// a statement (on PostgreSQL up to unnestRows, as arrays).
func (tx *Tx) InsertStatements(ctx context.Context, sts []Statement) error {
	const head = `INSERT INTO xapi_statements (id, key_id, content_hash, verb, stored_at)`
	for tx.Dialect == Postgres && len(sts) > 0 {
		part := sts[:min(len(sts), unnestRows)]
		sts = sts[len(part):]
		ids, keys, hashes, verbs, at := make([]string, len(part)), make([]string, len(part)), make([]string, len(part)), make([]string, len(part)), make([]int64, len(part))
		for i, s := range part {
			ids[i], keys[i], hashes[i], verbs[i], at[i] = s.ID, s.KeyID, s.ContentHash, s.Verb, s.StoredAt.UnixMilli()
		}
		if _, err := tx.hotExec(ctx, unnestSQL(head, "text", "text", "text", "text", "bigint"), ids, keys, hashes, verbs, at); err != nil {
			return fmt.Errorf("store: insert statements %s-%s: %w", part[0].ID, part[len(part)-1].ID, err)
		}
	}
	for len(sts) > 0 {
		part := sts[:rowsChunk(len(sts), statementInsertRows)]
		sts = sts[len(part):]
		args := make([]any, 0, 5*len(part))
		for _, s := range part {
			args = append(args, s.ID, s.KeyID, s.ContentHash, s.Verb, s.StoredAt.UnixMilli())
		}
		q := valuesSQL(tx.Dialect, head, len(part), 5)
		if _, err := tx.hotExec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: insert statements %s-%s: %w", part[0].ID, part[len(part)-1].ID, err)
		}
	}
	return nil
}

// CourseByLMSID returns the course whose learning-environment course id
// is lmsID (the first by slug, should two share it), with its points;
// ENOTFOUND for none.
func (r *Reader) CourseByLMSID(ctx context.Context, lmsID string) (*learning.Course, error) {
	c, err := r.courseWhere(ctx, `c.slug = (SELECT slug FROM courses WHERE lms_course_id = $1 AND lms_course_id <> '' ORDER BY slug LIMIT 1)`, lmsID)
	if err != nil && steward.ErrorCode(err) != steward.ENOTFOUND {
		return nil, fmt.Errorf("store: course of lms id %s: %w", lmsID, err)
	}
	return c, err
}

// LMSAccounts returns, of the records with ids, those of kind that are not
// anonymised, with the account each belongs to (xAPI actors: one read
// for every actor of a batch instead of two per actor). An id of another
// kind, of an anonymised record or of no record is left out; so is a
// record whose account is gone.
func (r *Reader) LMSAccounts(ctx context.Context, ids []int64, kind string) (map[int64]*account.Account, error) {
	out := make(map[int64]*account.Account, len(ids))
	err := eachRowIn(ctx, r, `r.id`, ids, func(cond string) string {
		return `SELECT r.id, ` + prefixed("a.", accountColumns) + ` FROM records r JOIN accounts a ON a.id = r.subject_id
			WHERE r.kind = $1 AND r.anonymised_at IS NULL AND ` + cond
	}, []any{kind}, func(rows *sql.Rows) error {
		var id int64
		a, err := scanAccountAfter(rows, &id)
		if err != nil {
			return err
		}
		out[id] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s records: %w", kind, err)
	}
	return out, nil
}

// SubjectsWithValue returns which of subjects have a live record of kind
// whose field holds one of values, as subject -> the values they hold
// (a batch's passes: who holds an accreditation for which course).
func (r *Reader) SubjectsWithValue(ctx context.Context, subjects []string, kind, field string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	err := eachRowIn(ctx, r, `r.subject_id`, subjects, func(cond string) string {
		return `SELECT r.subject_id, v.value FROM records r JOIN record_values v ON v.record_id = r.id
			WHERE r.kind = $1 AND r.anonymised_at IS NULL AND v.field = $2 AND ` + cond
	}, []any{kind, field}, func(rows *sql.Rows) error {
		var subject, value string
		if err := rows.Scan(&subject, &value); err != nil {
			return err
		}
		if out[subject] == nil {
			out[subject] = map[string]bool{}
		}
		out[subject][value] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s records' %s: %w", kind, field, err)
	}
	return out, nil
}

// XAPIQuery names what a combined xAPI transaction reads before it writes
// (xapi/service): the statements' ids already accepted, the people its
// actors name, what they are enrolled in and hold, the courses its
// activities name, and how many record ids to draw.
type XAPIQuery struct {
	// StatementIDs are the ids whose content hashes are wanted.
	StatementIDs []string
	// Actors are LMS account record ids, of kind ActorKind.
	Actors    []int64
	ActorKind string
	// EnrolmentKind and HeldKind, when set, are the record kinds whose
	// Field value the actors' people hold (their enrolments' and
	// accreditations' courses).
	EnrolmentKind, HeldKind, Field string
	// Slugs and LMSIDs are the courses named by slug or by the learning
	// environment's course id.
	Slugs, LMSIDs []string
	// NewRecords is how many record ids to draw for InsertXAPI: at least
	// as many as the records the transaction may write.
	NewRecords int
	// KeyIDs are the API keys the statements came with, read again in
	// the transaction so that a key rotated or revoked since the request
	// was let in is refused (apikey.Key.StillValid).
	KeyIDs []string
}

// XAPIActor is the person an LMS account record belongs to: the account's
// id and its pseudonym ("" once anonymised).
type XAPIActor struct{ Subject, Pseudonym string }

// XAPIFacts is what XAPIFacts read.
type XAPIFacts struct {
	// Hashes are the content hashes of the statements already accepted.
	Hashes map[string]string
	// Actors are the live LMS account records asked for whose account
	// still exists, by record id.
	Actors map[int64]XAPIActor
	// Enrolled and Held are the Field values each person holds in a live
	// record of EnrolmentKind and of HeldKind, by account id.
	Enrolled, Held map[string]map[string]bool
	// BySlug and ByLMSID are the courses found, each with its slug, LMS
	// course id and points (the rest of a course is not read).
	BySlug, ByLMSID map[string]*learning.Course
	// RecordIDs are record ids drawn for InsertXAPI (PostgreSQL); none
	// on SQLite, where the records take theirs as they are written.
	RecordIDs []int64
	// Keys are the KeyIDs found, by id: on PostgreSQL with only what a
	// key's check needs (its id, secret hash, expiry and revocation; a
	// key's processor and scope never change).
	Keys map[string]*apikey.Key
}

// XAPIFacts reads what q names. On PostgreSQL it is one statement — one
// round trip instead of five or six, each of which a combined transaction
// otherwise waits for (issue 16) — which also draws the records' ids, so
// that InsertXAPI can write records, values and statement ids in one
// more. On SQLite, where a read costs no round trip, it is the separate
// reads.
func (tx *Tx) XAPIFacts(ctx context.Context, q XAPIQuery) (*XAPIFacts, error) {
	f := newXAPIFacts()
	var err error
	if tx.Dialect == Postgres {
		err = tx.xapiFactsPG(ctx, q, f)
	} else {
		err = tx.xapiFacts(ctx, q, f)
	}
	if err != nil {
		return nil, fmt.Errorf("store: xapi facts of %d statements: %w", len(q.StatementIDs), err)
	}
	return f, nil
}

// newXAPIFacts is facts with nothing found yet.
func newXAPIFacts() *XAPIFacts {
	return &XAPIFacts{Actors: map[int64]XAPIActor{}, Enrolled: map[string]map[string]bool{}, Held: map[string]map[string]bool{},
		BySlug: map[string]*learning.Course{}, ByLMSID: map[string]*learning.Course{}, Keys: map[string]*apikey.Key{}}
}

// xapiFacts is XAPIFacts read by read (SQLite).
func (tx *Tx) xapiFacts(ctx context.Context, q XAPIQuery, f *XAPIFacts) error {
	var err error
	if f.Hashes, err = tx.StatementHashes(ctx, q.StatementIDs); err != nil {
		return err
	}
	accts, err := tx.LMSAccounts(ctx, q.Actors, q.ActorKind)
	if err != nil {
		return err
	}
	subjects := make([]string, 0, len(accts))
	for id, a := range accts {
		f.Actors[id] = XAPIActor{Subject: a.ID, Pseudonym: a.Pseudonym}
		subjects = append(subjects, a.ID)
	}
	if q.EnrolmentKind != "" {
		if f.Enrolled, err = tx.SubjectsWithValue(ctx, subjects, q.EnrolmentKind, q.Field); err != nil {
			return err
		}
	}
	if q.HeldKind != "" {
		if f.Held, err = tx.SubjectsWithValue(ctx, subjects, q.HeldKind, q.Field); err != nil {
			return err
		}
	}
	if err := found(ctx, q.Slugs, tx.Course, f.BySlug); err != nil {
		return err
	}
	if err := found(ctx, q.LMSIDs, tx.CourseByLMSID, f.ByLMSID); err != nil {
		return err
	}
	return found(ctx, q.KeyIDs, tx.APIKey, f.Keys)
}

// found reads each of keys with get into into, leaving out those get does
// not find.
func found[V any](ctx context.Context, keys []string, get func(context.Context, string) (V, error), into map[string]V) error {
	for _, k := range keys {
		v, err := get(ctx, k)
		if steward.ErrorCode(err) == steward.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		into[k] = v
	}
	return nil
}

// xapiFactsSQL is XAPIFacts on PostgreSQL: one row per fact, tagged —
// h: a statement's id and hash; a: an actor's account, pseudonym and
// record id; e, p: a person's enrolment and accreditation course; c, l:
// a course by slug or by LMS course id (the first by slug, as
// CourseByLMSID), with one of its registers and points; n: the drawn
// record ids, in one row (a thousand rows to scan cost more than the
// list to split), the sequence looked up once (pg_get_serial_sequence
// reads the catalogue at every call: 3.3 µs a row against 0.3); k: an
// API key's id and secret hash with its revocation and expiry (the
// sixth column). Every lookup by key is a probe behind OFFSET 0 (eachRowByKey: the
// driver keeps a generic plan, which must not become a join that scans
// once the tables have grown).
const xapiFactsSQL = `WITH act AS (
	SELECT r.id, r.subject_id, a.pseudonym FROM unnest($2::bigint[]) AS u(k)
	CROSS JOIN LATERAL (SELECT id, subject_id FROM records WHERE id = u.k AND kind = $3 AND anonymised_at IS NULL OFFSET 0) r
	CROSS JOIN LATERAL (SELECT pseudonym FROM accounts WHERE id = r.subject_id OFFSET 0) a
), subj AS (
	SELECT DISTINCT subject_id FROM act
), course AS (
	SELECT 'c' AS tag, c.slug, c.lms_course_id FROM unnest($7::text[]) AS u(k)
	CROSS JOIN LATERAL (SELECT slug, lms_course_id FROM courses WHERE slug = u.k OFFSET 0) c
	UNION ALL
	SELECT 'l', c.slug, c.lms_course_id FROM unnest($8::text[]) AS u(k)
	CROSS JOIN LATERAL (SELECT slug, lms_course_id FROM courses WHERE lms_course_id = u.k AND lms_course_id <> '' ORDER BY slug LIMIT 1) c
)
SELECT 'h', s.id, s.content_hash, NULL::text, NULL::bigint, NULL::bigint FROM unnest($1::text[]) AS u(k)
	CROSS JOIN LATERAL (SELECT id, content_hash FROM xapi_statements WHERE id = u.k OFFSET 0) s
UNION ALL
SELECT 'a', subject_id, pseudonym, NULL, id, NULL FROM act
UNION ALL
SELECT CASE WHEN k.kind = $4 THEN 'e' ELSE 'p' END, subj.subject_id, v.value, NULL, NULL, NULL FROM subj
	CROSS JOIN unnest(ARRAY[$4::text, $5::text]) AS k(kind)
	CROSS JOIN LATERAL (SELECT id FROM records WHERE subject_id = subj.subject_id AND kind = k.kind AND anonymised_at IS NULL OFFSET 0) r
	CROSS JOIN LATERAL (SELECT value FROM record_values WHERE record_id = r.id AND field = $6 OFFSET 0) v
UNION ALL
SELECT course.tag, course.slug, course.lms_course_id, p.register, p.points, NULL FROM course
	LEFT JOIN course_points p ON p.course_slug = course.slug
UNION ALL
SELECT 'k', k.id, k.secret_hash, NULL, k.revoked_at, k.expires_at FROM unnest($10::text[]) AS u(k)
	CROSS JOIN LATERAL (SELECT id, secret_hash, revoked_at, expires_at FROM api_keys WHERE id = u.k OFFSET 0) k
UNION ALL
SELECT 'n', string_agg(nextval((SELECT pg_get_serial_sequence('records', 'id')::regclass))::text, ','), NULL, NULL, NULL, NULL
	FROM generate_series(1, $9::int) HAVING count(*) > 0`

// genericPlanIDs is the most statements a combined transaction may hold
// for xapiFactsPG to have its statements run on their generic plans: as
// many as single statements stored together can be (xapi/service's
// maxCombined requests), where the generic plan cost the server less
// than half the custom one. With 100 ids the read alone still cost less
// on the generic plan (467 against 967 µs), but a whole transaction of
// a batch of 100 cost the server more on the generic plans of its writes
// (batch100/c8 with a bound of 128: 69-84 against 42-53 server-µs a
// statement); with 300 ids the custom plan of the read is the cheaper.
const genericPlanIDs = 32

// genericPlansSQL has the rest of a transaction run on generic plans.
const genericPlansSQL = `SET LOCAL plan_cache_mode = force_generic_plan`

// genericPlans reports whether a transaction reading q's facts runs its
// statements on their generic plans (genericPlanIDs), in xapiFactsPG and
// in WriteXAPI's pipeline alike.
func (q *XAPIQuery) genericPlans() bool { return len(q.StatementIDs) <= genericPlanIDs }

// xapiFactsPG is XAPIFacts in one statement (PostgreSQL).
func (tx *Tx) xapiFactsPG(ctx context.Context, q XAPIQuery, f *XAPIFacts) error {
	// PostgreSQL plans this statement anew at every call: the arrays'
	// lengths make its custom plan look cheaper than the generic one. For
	// a few statements that planning is most of its cost (0.5-0.85 ms of
	// the server's CPU against 0.1-0.2 ms to run), and the generic plan,
	// planned once per connection, runs as fast: a transaction of this
	// read alone cost the server 667-753 µs with 5 ids, 113-173 µs with
	// the generic plan (issue 16). With hundreds of ids the custom plan
	// is the better one (300 ids: 600 against 800 µs; 800: 1.0-1.1
	// against 1.1-1.3 ms). So a small transaction — single statements
	// stored together (genericPlanIDs) — uses the prepared statements'
	// generic plans for the rest of it (its INSERT and audit entries too).
	if q.genericPlans() {
		if _, err := tx.hotExec(ctx, genericPlansSQL); err != nil {
			return err
		}
	}
	f.Hashes = make(map[string]string, len(q.StatementIDs))
	return tx.eachHotRow(ctx, xapiFactsSQL, q.factsArgs(), func(rows *sql.Rows) error { return f.addRow(rows.Scan) })
}

// factsArgs are xapiFactsSQL's parameters for q.
func (q *XAPIQuery) factsArgs() []any {
	// An empty kind names no record: its branch reads nothing.
	return []any{q.StatementIDs, q.Actors, q.ActorKind, q.EnrolmentKind, q.HeldKind, q.Field, q.Slugs, q.LMSIDs, q.NewRecords, q.KeyIDs}
}

// addRow adds one row of xapiFactsSQL's result, read by scan, to f.
func (f *XAPIFacts) addRow(scan func(dest ...any) error) error {
	var tag string
	var a, b, register sql.NullString
	var n, m sql.NullInt64
	if err := scan(&tag, &a, &b, &register, &n, &m); err != nil {
		return err
	}
	add := func(m map[string]map[string]bool) {
		if m[a.String] == nil {
			m[a.String] = map[string]bool{}
		}
		m[a.String][b.String] = true
	}
	switch tag {
	case "h":
		f.Hashes[a.String] = b.String
	case "a":
		f.Actors[n.Int64] = XAPIActor{Subject: a.String, Pseudonym: b.String}
	case "e":
		add(f.Enrolled)
	case "p":
		add(f.Held)
	case "c", "l":
		m, key := f.BySlug, a.String
		if tag == "l" {
			m, key = f.ByLMSID, b.String
		}
		c := m[key]
		if c == nil {
			c = &learning.Course{Slug: a.String, LMSCourseID: b.String}
			m[key] = c
		}
		if register.Valid {
			c.Points = append(c.Points, learning.Points{Register: register.String, Points: int(n.Int64)})
		}
	case "k":
		f.Keys[a.String] = &apikey.Key{ID: a.String, SecretHash: b.String, RevokedAt: fromNullMillis(n), ExpiresAt: fromNullMillis(m)}
	case "n":
		for id := range strings.SplitSeq(a.String, ",") {
			v, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				return fmt.Errorf("drawn record id %q: %w", id, err)
			}
			f.RecordIDs = append(f.RecordIDs, v)
		}
	}
	return nil
}

// xapiInsertArgs checks recs against the policy, as InsertRecords does,
// and returns xapiInsertSQL's parameters: recs with ids, their values,
// and sts.
func xapiInsertArgs(p *policy.Policy, recs []*Record, sts []Statement, ids []int64) ([]any, error) {
	for _, r := range recs {
		if err := checkRecord(p, r); err != nil {
			return nil, err
		}
	}
	n := len(recs)
	rid, subjects, kinds, created := make([]int64, n), make([]string, n), make([]string, n), make([]int64, n)
	confirmed, login, activity := make([]*int64, n), make([]*int64, n), make([]*int64, n)
	var vid []int64
	var fields, values []string
	for i, r := range recs {
		rid[i], subjects[i], kinds[i], created[i] = ids[i], r.Subject, r.Kind, r.CreatedAt.UnixMilli()
		confirmed[i], login[i], activity[i] = millisOrNil(r.ConfirmedAt), millisOrNil(r.LastLoginAt), millisOrNil(r.LastActivityAt)
		for _, f := range sortedFields(r.Values) {
			vid, fields, values = append(vid, ids[i]), append(fields, f), append(values, r.Values[f])
		}
	}
	// In the ids' order: two transactions storing some of the same ids
	// (WriteXAPI's side by side) then wait for each other in one order,
	// never each for the other.
	sts = slices.SortedFunc(slices.Values(sts), func(a, b Statement) int { return strings.Compare(a.ID, b.ID) })
	sid, keys, hashes, verbs, at := make([]string, len(sts)), make([]string, len(sts)), make([]string, len(sts)), make([]string, len(sts)), make([]int64, len(sts))
	for i, s := range sts {
		sid[i], keys[i], hashes[i], verbs[i], at[i] = s.ID, s.KeyID, s.ContentHash, s.Verb, s.StoredAt.UnixMilli()
	}
	return []any{rid, subjects, kinds, created, confirmed, login, activity, vid, fields, values, sid, keys, hashes, verbs, at}, nil
}

// xapiInsertSQL writes a combined xAPI transaction's records (with the
// ids XAPIFacts drew), their values and the statements' ids in one
// statement (PostgreSQL). The values' foreign key to their records is
// checked at the statement's end, when the records are there.
const xapiInsertSQL = `WITH r AS (
	INSERT INTO records (id, subject_id, kind, created_at, confirmed_at, last_login_at, last_activity_at) OVERRIDING SYSTEM VALUE
	SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
), v AS (
	INSERT INTO record_values (record_id, field, value) SELECT * FROM unnest($8::bigint[], $9::text[], $10::text[])
)
INSERT INTO xapi_statements (id, key_id, content_hash, verb, stored_at)
SELECT * FROM unnest($11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[])`

// InsertXAPI stores a combined xAPI transaction's records with their
// values (setting each record's ID) and notes its statements as accepted.
// On PostgreSQL, given at least one drawn id per record (XAPIFacts), it
// is one statement; otherwise InsertRecords and InsertStatements. Every
// record is checked against the policy first, as InsertRecords does.
func (tx *Tx) InsertXAPI(ctx context.Context, p *policy.Policy, recs []*Record, sts []Statement, ids []int64) error {
	if tx.Dialect != Postgres || len(ids) < len(recs) || len(recs) == 0 {
		if err := tx.InsertRecords(ctx, p, recs); err != nil {
			return err
		}
		return tx.InsertStatements(ctx, sts)
	}
	args, err := xapiInsertArgs(p, recs, sts, ids)
	if err != nil {
		return err
	}
	if _, err := tx.hotExec(ctx, xapiInsertSQL, args...); err != nil {
		return fmt.Errorf("store: insert %d records and %d statements: %w", len(recs), len(sts), err)
	}
	for i, r := range recs {
		r.ID = ids[i]
	}
	return nil
}
