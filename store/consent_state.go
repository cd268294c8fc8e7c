package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ConsentState is a subject's current consent for one purpose: a copy of
// the newest consent record of the pair, kept by AppendConsent in the
// record's transaction (migration 0008). The history stays the source of
// truth; this is what the purpose gate and newsletter planning read.
type ConsentState struct {
	Subject    string
	Purpose    string
	Given      bool
	At         time.Time
	NoticeHash string
	// RecordID is the consent_records row the state is taken from.
	RecordID int64
}

const consentStateColumns = `subject, purpose, given, at, notice_hash, record_id`

// ConsentStates returns subject's current state for every purpose with a
// record, ordered by purpose.
func (r *Reader) ConsentStates(ctx context.Context, subject string) ([]ConsentState, error) {
	out, err := rowsOf(ctx, r, scanConsentState, `SELECT `+consentStateColumns+` FROM consent_state WHERE subject = $1 ORDER BY purpose`, subject)
	if err != nil {
		return nil, fmt.Errorf("store: consent state: %w", err)
	}
	return out, nil
}

// ConsentStatesFor returns the current state for purpose of each of
// subjects that has a record, keyed by subject, in batches of at most 500
// subjects per query.
func (r *Reader) ConsentStatesFor(ctx context.Context, purpose string, subjects []string) (map[string]ConsentState, error) {
	out := make(map[string]ConsentState, len(subjects))
	err := eachRowIn(ctx, r, "subject", subjects, func(cond string) string {
		return `SELECT ` + consentStateColumns + ` FROM consent_state WHERE purpose = $1 AND ` + cond
	}, []any{purpose}, func(rows *sql.Rows) error {
		st, err := scanConsentState(rows)
		out[st.Subject] = st
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: consent state of %d subjects: %w", len(subjects), err)
	}
	return out, nil
}

func scanConsentState(rows *sql.Rows) (ConsentState, error) {
	var st ConsentState
	var given int
	var at int64
	if err := rows.Scan(&st.Subject, &st.Purpose, &given, &at, &st.NoticeHash, &st.RecordID); err != nil {
		return st, fmt.Errorf("store: scan consent state: %w", err)
	}
	st.Given = given == 1
	st.At = time.UnixMilli(at).UTC()
	return st, nil
}
