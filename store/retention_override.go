package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"steward"
	"steward/policy"
)

// OverrideFilter selects contract overrides; zero fields select all.
type OverrideFilter struct {
	Organisation string
	Rule         string
}

// Override is a per-organisation contract override of a rule's period
// (R9, R10) as stored in retention_overrides. It has the fields of
// retention.Override, which decides when it applies; the two convert into
// each other.
type Override struct {
	Organisation string
	Rule         string
	Period       policy.Duration
	ContractRef  string
	// ValidFrom and ValidUntil bound the contract; ValidUntil is zero for
	// an open-ended one.
	ValidFrom, ValidUntil time.Time
}

// StoredOverride is a contract override with its row id, for listing and
// removal.
type StoredOverride struct {
	ID int64
	Override
	CreatedAt time.Time
}

// SetOverride stores a contract override (R9, R10) that the retention
// domain checked against the policy (retention.CheckOverride); the
// organisation must exist (issue 16: overrides are the contract terms of
// an organisation in organisations). A second override for the same
// organisation, rule and start replaces the first. The caller writes the
// audit entry in the same transaction. It returns the row id.
func (tx *Tx) SetOverride(ctx context.Context, o Override, now time.Time) (int64, error) {
	if _, err := tx.Organisation(ctx, o.Organisation); err != nil {
		return 0, err
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO retention_overrides (organisation_id, rule_id, period, contract_ref, valid_from, valid_until, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (organisation_id, rule_id, valid_from) DO UPDATE SET period = excluded.period,
			contract_ref = excluded.contract_ref, valid_until = excluded.valid_until, created_at = excluded.created_at
		RETURNING id`,
		o.Organisation, o.Rule, o.Period.String(), o.ContractRef, o.ValidFrom.UnixMilli(), nullMillis(o.ValidUntil), now.UnixMilli()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: set override %s/%s: %w", o.Organisation, o.Rule, err)
	}
	return id, nil
}

// RemoveOverride deletes an override by id and returns what it was, for
// the audit entry. An unknown id is ENOTFOUND.
func (tx *Tx) RemoveOverride(ctx context.Context, id int64) (StoredOverride, error) {
	o, err := scanOverride(tx.QueryRowContext(ctx, `SELECT `+overrideColumns+` FROM retention_overrides WHERE id = $1`, id))
	if isNoRows(err) {
		return o, steward.Errorf(steward.ENOTFOUND, "error.no_override", "id", id)
	}
	if err != nil {
		return o, fmt.Errorf("store: remove override %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM retention_overrides WHERE id = $1`, id); err != nil {
		return o, fmt.Errorf("store: remove override %d: %w", id, err)
	}
	return o, nil
}

const overrideColumns = `id, organisation_id, rule_id, period, contract_ref, valid_from, valid_until, created_at`

// Overrides lists the contract overrides matching f, by organisation, rule
// and start. The runner loads them once per run; there are few.
func (s *Store) Overrides(ctx context.Context, f OverrideFilter) ([]Override, error) {
	list, err := s.ListOverrides(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]Override, len(list))
	for i := range list {
		out[i] = list[i].Override
	}
	return out, nil
}

// ListOverrides is Overrides with row ids and creation times.
func (s *Store) ListOverrides(ctx context.Context, f OverrideFilter) ([]StoredOverride, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+overrideColumns+` FROM retention_overrides
		WHERE ($1 = '' OR organisation_id = $1) AND ($2 = '' OR rule_id = $2)
		ORDER BY organisation_id, rule_id, valid_from`, f.Organisation, f.Rule)
	if err != nil {
		return nil, fmt.Errorf("store: list overrides: %w", err)
	}
	defer rows.Close()
	var out []StoredOverride
	for rows.Next() {
		o, err := scanOverride(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list overrides: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func scanOverride(r interface{ Scan(...any) error }) (StoredOverride, error) {
	var o StoredOverride
	var period string
	var from, created int64
	var until sql.NullInt64
	if err := r.Scan(&o.ID, &o.Organisation, &o.Rule, &period, &o.ContractRef, &from, &until, &created); err != nil {
		return o, err
	}
	d, err := policy.ParseDuration(period)
	if err != nil {
		return o, fmt.Errorf("override %d: %w", o.ID, err)
	}
	o.Period = d
	o.ValidFrom = time.UnixMilli(from).UTC()
	o.ValidUntil = fromNullMillis(until)
	o.CreatedAt = time.UnixMilli(created).UTC()
	return o, nil
}
