package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"steward"
	"steward/account"
	"steward/policy"
)

// Record is one record of a kind the policy declares, other than the
// account itself: an order, a download, an LMS account, an enrolment, a
// saved job (R5, Z4). It belongs to a subject (an account id, or a visitor
// id for visitor kinds) and holds values of its kind's declared fields only
// (R4). The retention engine reads its kind and anchors; the learning and
// career features keep their data in it.
type Record struct {
	ID      int64
	Subject string
	Kind    string
	// CreatedAt is required; the other anchors are optional and fall back
	// to the subject's account when zero (a record kind with its own login,
	// such as IVM's LMS account, sets them).
	CreatedAt      time.Time
	ConfirmedAt    time.Time
	LastLoginAt    time.Time
	LastActivityAt time.Time
	// AnonymisedAt is set once the record was anonymised.
	AnonymisedAt time.Time
	// Values are the record's field values, by field id.
	Values map[string]string
}

const recordColumns = `id, subject_id, kind, created_at, confirmed_at, last_login_at, last_activity_at, anonymised_at`

// checkRecord refuses a kind or field the policy does not declare (R4) and
// a plaintext value of a sensitive field (R3), whatever the caller checked.
func checkRecord(p *policy.Policy, r *Record) error {
	rec := p.Record(r.Kind)
	if rec == nil {
		return steward.Errorf(steward.EINVALID, "error.record_kind_not_declared", "kind", r.Kind)
	}
	if r.Subject == "" {
		return steward.FieldError("subject", "error.record_needs_subject_belongs")
	}
	if r.CreatedAt.IsZero() {
		return steward.FieldError("created_at", "error.is_not_set")
	}
	for field, v := range r.Values {
		f := rec.Field(field)
		if f == nil {
			return steward.FieldError(field, "error.is_not_declared_record", "kind", r.Kind)
		}
		if f.Sensitive && v != "" && !account.IsSealed(v) {
			return steward.FieldError(field, "error.sensitive_must_be_sealed")
		}
	}
	return nil
}

// InsertRecord stores a new record with its values and sets r.ID.
func (tx *Tx) InsertRecord(ctx context.Context, p *policy.Policy, r *Record) error {
	return tx.InsertRecords(ctx, p, []*Record{r})
}

// recordInsertRows and valueInsertRows are the most rows one INSERT of a
// batch carries (6 and 3 parameters a row); powers of two (rowsChunk).
const (
	recordInsertRows = 128
	valueInsertRows  = 256
)

// InsertRecords stores new records with their values, setting each one's
// ID, in a few multi-row statements instead of one per record and value
// (issue 16: an xAPI batch of a hundred results). Every record is checked
// first, so a bad one stores nothing. An error leaves the transaction to
// be rolled back: on SQLite the statements run OR FAIL, without the
// statement journal a transaction that fails as a whole does not need.
func (tx *Tx) InsertRecords(ctx context.Context, p *policy.Policy, recs []*Record) error {
	for _, r := range recs {
		if err := checkRecord(p, r); err != nil {
			return err
		}
	}
	for part := recs; len(part) > 0; {
		n := rowsChunk(len(part), recordInsertRows)
		if tx.Dialect == Postgres {
			n = min(len(part), unnestRows)
		}
		if err := tx.insertRecordRows(ctx, part[:n]); err != nil {
			return err
		}
		part = part[n:]
	}
	type value struct {
		id           int64
		field, value string
	}
	var vals []value
	for _, r := range recs {
		for _, f := range sortedFields(r.Values) {
			vals = append(vals, value{r.ID, f, r.Values[f]})
		}
	}
	head := `INSERT INTO record_values (record_id, field, value)`
	if tx.Dialect == SQLite {
		head = `INSERT OR FAIL INTO record_values (record_id, field, value)`
	}
	for tx.Dialect == Postgres && len(vals) > 0 {
		part := vals[:min(len(vals), unnestRows)]
		vals = vals[len(part):]
		ids, fields, values := make([]int64, len(part)), make([]string, len(part)), make([]string, len(part))
		for i, v := range part {
			ids[i], fields[i], values[i] = v.id, v.field, v.value
		}
		if _, err := tx.hotExec(ctx, unnestSQL(head, "bigint", "text", "text"), ids, fields, values); err != nil {
			return fmt.Errorf("store: insert values of records %d-%d: %w", part[0].id, part[len(part)-1].id, err)
		}
	}
	for len(vals) > 0 {
		part := vals[:rowsChunk(len(vals), valueInsertRows)]
		vals = vals[len(part):]
		args := make([]any, 0, 3*len(part))
		for _, v := range part {
			args = append(args, v.id, v.field, v.value)
		}
		if _, err := tx.hotExec(ctx, valuesSQL(tx.Dialect, head, len(part), 3), args...); err != nil {
			return fmt.Errorf("store: insert values of records %d-%d: %w", part[0].id, part[len(part)-1].id, err)
		}
	}
	return nil
}

// insertRecordRows inserts the rows of recs in one statement and sets
// their ids. Both engines number the rows of one VALUES list in its order
// (SQLite's rowid and PostgreSQL's identity are drawn row by row), but
// neither promises the order of RETURNING: the ids are sorted, and the
// subject and kind each returned row carries must be the ones of the
// record at its place, or nothing is stored.
func (tx *Tx) insertRecordRows(ctx context.Context, recs []*Record) error {
	head := `INSERT INTO records (subject_id, kind, created_at, confirmed_at, last_login_at, last_activity_at)`
	if tx.Dialect == SQLite {
		head = `INSERT OR FAIL INTO records (subject_id, kind, created_at, confirmed_at, last_login_at, last_activity_at)`
	}
	var q string
	var args []any
	if tx.Dialect == Postgres {
		// One array per column (unnestSQL); NULL anchors as nil pointers.
		subjects, kinds := make([]string, len(recs)), make([]string, len(recs))
		created, confirmed, login, activity := make([]int64, len(recs)), make([]*int64, len(recs)), make([]*int64, len(recs)), make([]*int64, len(recs))
		for i, r := range recs {
			subjects[i], kinds[i], created[i] = r.Subject, r.Kind, r.CreatedAt.UnixMilli()
			confirmed[i], login[i], activity[i] = millisOrNil(r.ConfirmedAt), millisOrNil(r.LastLoginAt), millisOrNil(r.LastActivityAt)
		}
		q = unnestSQL(head, "text", "text", "bigint", "bigint", "bigint", "bigint")
		args = []any{subjects, kinds, created, confirmed, login, activity}
	} else {
		args = make([]any, 0, 6*len(recs))
		for _, r := range recs {
			args = append(args, r.Subject, r.Kind, r.CreatedAt.UnixMilli(), nullMillis(r.ConfirmedAt), nullMillis(r.LastLoginAt), nullMillis(r.LastActivityAt))
		}
		q = valuesSQL(tx.Dialect, head, len(recs), 6)
	}
	rows, err := tx.hotRows(ctx, q+` RETURNING id, subject_id, kind`, args...)
	if err != nil {
		return fmt.Errorf("store: insert %d %s records: %w", len(recs), recs[0].Kind, err)
	}
	type made struct {
		id            int64
		subject, kind string
	}
	got := make([]made, 0, len(recs))
	for rows.Next() {
		var m made
		if err := rows.Scan(&m.id, &m.subject, &m.kind); err != nil {
			rows.Close()
			return fmt.Errorf("store: insert %d %s records: %w", len(recs), recs[0].Kind, err)
		}
		got = append(got, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: insert %d %s records: %w", len(recs), recs[0].Kind, err)
	}
	if len(got) != len(recs) {
		return fmt.Errorf("store: insert %d %s records: %d rows returned", len(recs), recs[0].Kind, len(got))
	}
	sort.Slice(got, func(i, j int) bool { return got[i].id < got[j].id })
	for i, r := range recs {
		if got[i].subject != r.Subject || got[i].kind != r.Kind {
			return fmt.Errorf("store: insert %d %s records: row %d numbered out of order", len(recs), recs[0].Kind, i)
		}
		r.ID = got[i].id
	}
	return nil
}

// millisOrNil is a time as unix milliseconds, nil for the zero time (an
// element of a PostgreSQL array parameter that may be NULL).
func millisOrNil(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

// RecordRecordLogin notes a login on a record kind with its own login (the LMS
// account's anchor last_login, R10).
func (tx *Tx) RecordRecordLogin(ctx context.Context, id int64, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE records SET last_login_at = $1, last_activity_at = $1 WHERE id = $2 AND anonymised_at IS NULL`, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: record login on record %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return steward.Errorf(steward.ENOTFOUND, "error.no_record", "id", id)
	}
	return nil
}

// RecordsOf returns a subject's records with their values, oldest first
// (the "My data" page, exports).
func (s *Store) RecordsOf(ctx context.Context, subject string) ([]Record, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+recordColumns+` FROM records WHERE subject_id = $1 ORDER BY id`, subject)
	if err != nil {
		return nil, fmt.Errorf("store: records of %s: %w", subject, err)
	}
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: records of %s: %w", subject, err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: records of %s: %w", subject, err)
	}
	for i := range out {
		vals, err := s.recordValues(ctx, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Values = vals
	}
	return out, nil
}

func (s *Store) recordValues(ctx context.Context, id int64) (map[string]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT field, value FROM record_values WHERE record_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("store: values of record %d: %w", id, err)
	}
	defer rows.Close()
	vals := map[string]string{}
	for rows.Next() {
		var f, v string
		if err := rows.Scan(&f, &v); err != nil {
			return nil, fmt.Errorf("store: values of record %d: %w", id, err)
		}
		vals[f] = v
	}
	return vals, rows.Err()
}

func scanRecord(r interface{ Scan(...any) error }) (Record, error) {
	var rec Record
	var created int64
	var confirmed, login, activity, anon sql.NullInt64
	if err := r.Scan(&rec.ID, &rec.Subject, &rec.Kind, &created, &confirmed, &login, &activity, &anon); err != nil {
		return rec, err
	}
	rec.CreatedAt = time.UnixMilli(created).UTC()
	rec.ConfirmedAt = fromNullMillis(confirmed)
	rec.LastLoginAt = fromNullMillis(login)
	rec.LastActivityAt = fromNullMillis(activity)
	rec.AnonymisedAt = fromNullMillis(anon)
	return rec, nil
}

// RecordWithValues returns the id of subject's oldest record of kind
// whose fields hold all of vals, 0 for none (a saved functie is one kind
// and id: the same id may name an opleiding).
func (r *Reader) RecordWithValues(ctx context.Context, subject, kind string, vals map[string]string) (int64, error) {
	fields := make([]string, 0, len(vals))
	for f := range vals {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	q := `SELECT r.id FROM records r`
	args := []any{subject, kind}
	for i, f := range fields {
		n := len(args)
		q += fmt.Sprintf(` JOIN record_values v%d ON v%d.record_id = r.id AND v%d.field = $%d AND v%d.value = $%d`, i, i, i, n+1, i, n+2)
		args = append(args, f, vals[f])
	}
	q += ` WHERE r.subject_id = $1 AND r.kind = $2 AND r.anonymised_at IS NULL ORDER BY r.id LIMIT 1`
	var id int64
	err := r.q.QueryRowContext(ctx, q, args...).Scan(&id)
	if isNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s record of %s: %w", kind, subject, err)
	}
	return id, nil
}

// CountRecordsOfKind counts subject's records of kind not anonymised.
func (r *Reader) CountRecordsOfKind(ctx context.Context, subject, kind string) (int, error) {
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE subject_id = $1 AND kind = $2 AND anonymised_at IS NULL`, subject, kind).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count %s records of %s: %w", kind, subject, err)
	}
	return n, nil
}

// DeleteRecordOf deletes subject's record id of kind with its values: a
// person removing an item they keep (a saved functie, a line of their job
// history). Another person's record, or one of another kind, is not found.
func (tx *Tx) DeleteRecordOf(ctx context.Context, subject, kind string, id int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM records WHERE id = $1 AND subject_id = $2 AND kind = $3 AND anonymised_at IS NULL`, id, subject, kind).Scan(&one)
	if isNoRows(err) {
		return steward.Errorf(steward.ENOTFOUND, "error.no_record", "id", id)
	}
	if err != nil {
		return fmt.Errorf("store: delete %s record %d: %w", kind, id, err)
	}
	return tx.DeleteRecords(ctx, []int64{id})
}

// UpdateRecordValues replaces the values of subject's record id of kind
// with vals (an empty value removes the field), refusing what the policy
// does not declare like InsertRecord does, and marks the record active at.
func (tx *Tx) UpdateRecordValues(ctx context.Context, p *policy.Policy, subject, kind string, id int64, vals map[string]string, at time.Time) error {
	if err := checkRecord(p, &Record{Subject: subject, Kind: kind, CreatedAt: at, Values: vals}); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE records SET last_activity_at = $1 WHERE id = $2 AND subject_id = $3 AND kind = $4 AND anonymised_at IS NULL`,
		at.UnixMilli(), id, subject, kind)
	if err != nil {
		return fmt.Errorf("store: update %s record %d: %w", kind, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return steward.Errorf(steward.ENOTFOUND, "error.no_record", "id", id)
	}
	fields := make([]string, 0, len(vals))
	for f := range vals {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		if _, err := tx.ExecContext(ctx, `DELETE FROM record_values WHERE record_id = $1 AND field = $2`, id, f); err != nil {
			return fmt.Errorf("store: update %s record %d field %s: %w", kind, id, f, err)
		}
		if vals[f] == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO record_values (record_id, field, value) VALUES ($1, $2, $3)`, id, f, vals[f]); err != nil {
			return fmt.Errorf("store: update %s record %d field %s: %w", kind, id, f, err)
		}
	}
	return nil
}

// sortedFields returns the fields of vals that hold a value, sorted: the
// values a record stores, in the order they are written (InsertRecords,
// InsertXAPI).
func sortedFields(vals map[string]string) []string {
	fields := make([]string, 0, len(vals))
	for f, v := range vals {
		if v != "" {
			fields = append(fields, f)
		}
	}
	sort.Strings(fields)
	return fields
}
