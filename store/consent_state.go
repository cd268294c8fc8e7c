package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
func ConsentStates(ctx context.Context, q ConsentReader, subject string) ([]ConsentState, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+consentStateColumns+` FROM consent_state WHERE subject = $1 ORDER BY purpose`, subject)
	if err != nil {
		return nil, fmt.Errorf("store: consent state: %w", err)
	}
	return scanConsentStates(rows)
}

// ConsentStatesFor returns the current state for purpose of each of
// subjects that has a record, keyed by subject, in batches of at most 500
// subjects per query.
func ConsentStatesFor(ctx context.Context, q ConsentReader, purpose string, subjects []string) (map[string]ConsentState, error) {
	out := make(map[string]ConsentState, len(subjects))
	for len(subjects) > 0 {
		n := min(len(subjects), 500)
		part := subjects[:n]
		subjects = subjects[n:]
		args := make([]any, 1, n+1)
		args[0] = purpose
		var ph strings.Builder
		for i, s := range part {
			if i > 0 {
				ph.WriteByte(',')
			}
			args = append(args, s)
			fmt.Fprintf(&ph, "$%d", len(args))
		}
		rows, err := q.QueryContext(ctx, `SELECT `+consentStateColumns+` FROM consent_state
			WHERE purpose = $1 AND subject IN (`+ph.String()+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: consent state of %d subjects: %w", n, err)
		}
		states, err := scanConsentStates(rows)
		if err != nil {
			return nil, err
		}
		for _, st := range states {
			out[st.Subject] = st
		}
	}
	return out, nil
}

func scanConsentStates(rows *sql.Rows) ([]ConsentState, error) {
	defer rows.Close()
	var out []ConsentState
	for rows.Next() {
		var st ConsentState
		var given int
		var at int64
		if err := rows.Scan(&st.Subject, &st.Purpose, &given, &at, &st.NoticeHash, &st.RecordID); err != nil {
			return nil, fmt.Errorf("store: scan consent state: %w", err)
		}
		st.Given = given == 1
		st.At = time.UnixMilli(at).UTC()
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read consent state: %w", err)
	}
	return out, nil
}
