package store

import (
	"context"
	"fmt"
	"time"

	"steward"
	"steward/account"
	"steward/policy"
)

// PutProfile stores a person's values of one record kind, replacing the
// fields given and keeping the others; an empty value deletes the field.
// The store refuses, whatever the caller validated, any record or field the
// policy does not declare (R4) and any plaintext value of a sensitive field
// (R3): those must arrive sealed.
func (tx *Tx) PutProfile(ctx context.Context, p *policy.Policy, accountID, record string, vals account.Values, at time.Time) error {
	rec := p.Record(record)
	if rec == nil {
		return steward.Errorf(steward.EINVALID, "error.record_kind_not_declared", "record", record)
	}
	for field, v := range vals {
		f := rec.Field(field)
		if f == nil {
			return steward.FieldError(field, "error.is_not_declared_record", "record", record)
		}
		if f.Sensitive && v != "" && !account.IsSealed(v) {
			return steward.FieldError(field, "error.sensitive_must_be_sealed")
		}
	}
	for field, v := range vals {
		var err error
		if v == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM profile_values WHERE account_id = $1 AND record = $2 AND field = $3`,
				accountID, record, field)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO profile_values (account_id, record, field, value, updated_at)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (account_id, record, field) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
				accountID, record, field, v, at.UnixMilli())
		}
		if err != nil {
			return fmt.Errorf("store: put profile %s/%s of %s: %w", record, field, accountID, err)
		}
	}
	return nil
}

// Profile returns a person's stored values of one record kind, sensitive
// values still sealed. A transaction reads what it has written itself (the
// first name a sign-up's mail greets with), and a rectification compares
// the edit with what it replaces.
func (r *Reader) Profile(ctx context.Context, accountID, record string) (account.Values, error) {
	rows, err := r.hotRows(ctx, `SELECT field, value FROM profile_values
		WHERE account_id = $1 AND record = $2`, accountID, record)
	if err != nil {
		return nil, fmt.Errorf("store: profile %s of %s: %w", record, accountID, err)
	}
	defer rows.Close()
	out := account.Values{}
	for rows.Next() {
		var f, v string
		if err := rows.Scan(&f, &v); err != nil {
			return nil, fmt.Errorf("store: profile %s of %s: %w", record, accountID, err)
		}
		out[f] = v
	}
	return out, rows.Err()
}
