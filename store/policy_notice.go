package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ownKindTables are the tables of the record kinds Steward keeps outside
// records and profile_values, with the column naming the person (R4: the
// kinds the policies declare for them).
var ownKindTables = map[string]string{
	"consent":           "SELECT subject FROM consent_state",
	"login_session":     "SELECT account_id FROM sessions",
	"mail":              "SELECT subject_id FROM outbox WHERE subject_id IS NOT NULL AND subject_id <> ''",
	"retention_warning": "SELECT subject_id FROM retention_warnings",
	"privacy_request":   "SELECT subject_id FROM requests",
	"disclosure":        "SELECT subject_id FROM disclosures",
	"staff_view":        "SELECT subject_id FROM staff_views",
	NewsletterRecord:    "SELECT id FROM newsletter_subscriptions",
}

// CountHolders counts the people who hold data of any of kinds now: an
// account (the account kind), a profile value of the kind, a record of
// the kind not anonymised, or a row of one of Steward's own tables for it
// (issue 20: who a policy change concerns directly).
func (r *Reader) CountHolders(ctx context.Context, kinds []string) (int, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	cond, arg := in(r.dialect, "record", 1, kinds)
	kcond, _ := in(r.dialect, "kind", 1, kinds)
	parts := []string{
		`SELECT account_id FROM profile_values WHERE ` + cond,
		`SELECT subject_id FROM records WHERE anonymised_at IS NULL AND ` + kcond,
	}
	if slices.Contains(kinds, "account") {
		parts = append(parts, `SELECT id FROM accounts WHERE anonymised_at IS NULL`)
	}
	for _, k := range kinds {
		if q, ok := ownKindTables[k]; ok {
			parts = append(parts, q)
		}
	}
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+strings.Join(parts, " UNION ")+`) holders`, arg).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count holders of %v: %w", kinds, err)
	}
	return n, nil
}

// CountConsentsOn counts the people whose consent for purpose stands now
// and was given with one of the notice texts hashes names (issue 20: a
// consent notice reworded in substance asks them again).
func (r *Reader) CountConsentsOn(ctx context.Context, purpose string, hashes []string) (int, error) {
	if len(hashes) == 0 {
		return 0, nil
	}
	cond, arg := in(r.dialect, "notice_hash", 2, hashes)
	var n int
	err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM consent_state WHERE purpose = $1 AND given = 1 AND `+cond, purpose, arg).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count consents on %s: %w", purpose, err)
	}
	return n, nil
}
