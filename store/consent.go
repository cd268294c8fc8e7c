package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"steward"
)

// ConsentRecord is one row of the append-only consent history (Art. 7(1)
// GDPR): who, for which purpose, given or withdrawn, where, when, and the
// hash of the exact words shown.
type ConsentRecord struct {
	ID            int64
	Subject       string
	Purpose       string
	Given         bool
	Channel       string
	NoticeHash    string
	At            time.Time
	PolicyVersion string
}

// ConsentNotice is one wording consent was asked with.
type ConsentNotice struct {
	Hash      string
	Lang      string
	Text      string
	FirstSeen time.Time
}

// SaveConsentNotice keeps the wording under its hash; a wording already
// kept is left as it is (the hash fixes the text).
func (tx *Tx) SaveConsentNotice(ctx context.Context, n ConsentNotice) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO consent_notices (hash, lang, text, first_seen) VALUES ($1, $2, $3, $4)
		ON CONFLICT (hash) DO NOTHING`, n.Hash, n.Lang, n.Text, n.FirstSeen.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save consent notice %s: %w", n.Hash, err)
	}
	return nil
}

// AppendConsent adds r to the history and returns its id. There is no
// function that updates a record: a change of mind is a new record. In the
// same transaction it makes r the subject's current state for the purpose
// (consent_state), so the state never lags the history it is derived
// from.
func (tx *Tx) AppendConsent(ctx context.Context, r ConsentRecord) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO consent_records (subject, purpose, given, channel, notice_hash, at, policy_version)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		r.Subject, r.Purpose, boolInt(r.Given), r.Channel, r.NoticeHash, r.At.UnixMilli(), r.PolicyVersion).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: append consent for purpose %s: %w", r.Purpose, err)
	}
	// Ids grow with time, so the newest record wins; the guard keeps that
	// true whatever order two writers commit in.
	_, err = tx.ExecContext(ctx, `INSERT INTO consent_state (subject, purpose, given, at, notice_hash, record_id)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (subject, purpose) DO UPDATE SET given = excluded.given, at = excluded.at,
			notice_hash = excluded.notice_hash, record_id = excluded.record_id
		WHERE consent_state.record_id < excluded.record_id`,
		r.Subject, r.Purpose, boolInt(r.Given), r.At.UnixMilli(), r.NoticeHash, id)
	if err != nil {
		return 0, fmt.Errorf("store: consent state for purpose %s: %w", r.Purpose, err)
	}
	return id, nil
}

const consentColumns = `id, subject, purpose, given, channel, notice_hash, at, policy_version`

// ConsentHistory returns every record of subject, oldest first.
func (r *Reader) ConsentHistory(ctx context.Context, subject string) ([]ConsentRecord, error) {
	out, err := rowsOf(ctx, r, scanConsentRecord, `SELECT `+consentColumns+` FROM consent_records WHERE subject = $1 ORDER BY id`, subject)
	if err != nil {
		return nil, fmt.Errorf("store: consent history: %w", err)
	}
	return out, nil
}

// ConsentLatest returns the newest record of subject for each purpose,
// ordered by purpose: the subject's current consent state.
func (r *Reader) ConsentLatest(ctx context.Context, subject string) ([]ConsentRecord, error) {
	out, err := rowsOf(ctx, r, scanConsentRecord, `SELECT `+consentColumns+` FROM consent_records c
		WHERE subject = $1 AND id = (SELECT MAX(id) FROM consent_records m WHERE m.subject = c.subject AND m.purpose = c.purpose)
		ORDER BY purpose`, subject)
	if err != nil {
		return nil, fmt.Errorf("store: consent state: %w", err)
	}
	return out, nil
}

// ConsentLatestFor returns the newest record for purpose of each of
// subjects that has one, keyed by subject, derived from the history: the
// batch form of ConsentLatest. The gate and newsletter sending read the
// same answer from ConsentStatesFor.
func (r *Reader) ConsentLatestFor(ctx context.Context, purpose string, subjects []string) (map[string]ConsentRecord, error) {
	out := make(map[string]ConsentRecord, len(subjects))
	err := eachRowIn(ctx, r, "subject", subjects, func(cond string) string {
		return `SELECT ` + consentColumns + ` FROM consent_records c WHERE purpose = $1 AND ` + cond + `
			AND id = (SELECT MAX(id) FROM consent_records m WHERE m.purpose = c.purpose AND m.subject = c.subject)`
	}, []any{purpose}, func(rows *sql.Rows) error {
		rec, err := scanConsentRecord(rows)
		out[rec.Subject] = rec
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: consent records of %d subjects: %w", len(subjects), err)
	}
	return out, nil
}

// ConsentSubjectsGiven returns up to limit subjects, in keyset order after
// `after`, whose newest record for purpose gives consent (read from
// consent_state). It is the candidate list of a newsletter run or panel
// export; the purpose gate still decides for each one.
func (r *Reader) ConsentSubjectsGiven(ctx context.Context, purpose, after string, limit int) ([]string, error) {
	out, err := rowsOf(ctx, r, scanString, `SELECT subject FROM consent_state
		WHERE purpose = $1 AND given = 1 AND subject > $2
		ORDER BY subject LIMIT $3`, purpose, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: subjects consenting to %s: %w", purpose, err)
	}
	return out, nil
}

func scanString(rows *sql.Rows) (string, error) {
	var s string
	err := rows.Scan(&s)
	return s, err
}

// ConsentNotices returns the wordings with the given hashes, keyed by hash;
// a hash with no kept wording is an ENOTFOUND error.
func (r *Reader) ConsentNotices(ctx context.Context, hashes []string) (map[string]ConsentNotice, error) {
	out := map[string]ConsentNotice{}
	for _, h := range hashes {
		if _, done := out[h]; done {
			continue
		}
		var n ConsentNotice
		var first int64
		err := r.q.QueryRowContext(ctx, `SELECT hash, lang, text, first_seen FROM consent_notices WHERE hash = $1`, h).
			Scan(&n.Hash, &n.Lang, &n.Text, &first)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, steward.Errorf(steward.ENOTFOUND, "error.consent_notice_not_kept", "h", h)
		}
		if err != nil {
			return nil, fmt.Errorf("store: consent notice %s: %w", h, err)
		}
		n.FirstSeen = time.UnixMilli(first).UTC()
		out[h] = n
	}
	return out, nil
}

// EraseConsentsFor handles a subject's consent history at erasure (Art. 17,
// Z9; called by the rights engine in its transaction). With replacement
// empty the records are deleted (IVM: erasure "delete"); otherwise the
// subject id is replaced by replacement, a pseudonym that links to no one,
// so the history still counts in statistics and still proves what was
// agreed to (Zorginspirator: erasure "anonymise"). It is the only path
// that changes consent records. Newsletter deliveries of the subject go
// the same way. It returns the number of records changed.
func (tx *Tx) EraseConsentsFor(ctx context.Context, subject, replacement string) (int64, error) {
	var res sql.Result
	var err error
	if replacement == "" {
		res, err = tx.ExecContext(ctx, `DELETE FROM consent_records WHERE subject = $1`, subject)
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM consent_state WHERE subject = $1`, subject)
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM newsletter_deliveries WHERE subject = $1`, subject)
		}
	} else {
		res, err = tx.ExecContext(ctx, `UPDATE consent_records SET subject = $2 WHERE subject = $1`, subject, replacement)
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE consent_state SET subject = $2 WHERE subject = $1`, subject, replacement)
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE newsletter_deliveries SET subject = $2 WHERE subject = $1`, subject, replacement)
		}
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM processing_limits WHERE subject = $1`, subject)
	}
	if err != nil {
		return 0, fmt.Errorf("store: erase consents: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// AccountPseudonym returns the audit pseudonym of the account with id
// subject, or "" when subject is no account (a visitor or a newsletter
// sign-up without an account, whose audit entries name no subject).
func (r *Reader) AccountPseudonym(ctx context.Context, subject string) (string, error) {
	var p string
	err := r.q.QueryRowContext(ctx, `SELECT pseudonym FROM accounts WHERE id = $1`, subject).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: account pseudonym: %w", err)
	}
	return p, nil
}

func scanConsentRecord(rows *sql.Rows) (ConsentRecord, error) {
	var r ConsentRecord
	var given int
	var at int64
	if err := rows.Scan(&r.ID, &r.Subject, &r.Purpose, &given, &r.Channel, &r.NoticeHash, &at, &r.PolicyVersion); err != nil {
		return r, fmt.Errorf("store: scan consent record: %w", err)
	}
	r.Given = given == 1
	r.At = time.UnixMilli(at).UTC()
	return r, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ProcessingLimit is a restriction (Art. 18) or objection (Art. 21) that
// stops processing of a subject's data for a purpose ("*": every purpose).
type ProcessingLimit struct {
	Subject string
	Kind    string // "restriction" or "objection"
	Purpose string
	Since   time.Time
	Reason  string
}

// SetProcessingLimit records a limit; setting it again keeps the first
// date and reason.
func (tx *Tx) SetProcessingLimit(ctx context.Context, l ProcessingLimit) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO processing_limits (subject, kind, purpose, since, reason) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (subject, kind, purpose) DO NOTHING`, l.Subject, l.Kind, l.Purpose, l.Since.UnixMilli(), l.Reason)
	if err != nil {
		return fmt.Errorf("store: set %s for purpose %s: %w", l.Kind, l.Purpose, err)
	}
	return nil
}

// LiftProcessingLimit removes a limit (a dispute resolved, an objection
// upheld for the controller); it reports whether there was one.
func (tx *Tx) LiftProcessingLimit(ctx context.Context, subject, kind, purpose string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM processing_limits WHERE subject = $1 AND kind = $2 AND purpose = $3`, subject, kind, purpose)
	if err != nil {
		return false, fmt.Errorf("store: lift %s for purpose %s: %w", kind, purpose, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ProcessingLimits returns the subject's limits.
func (r *Reader) ProcessingLimits(ctx context.Context, subject string) ([]ProcessingLimit, error) {
	out, err := rowsOf(ctx, r, scanLimit, `SELECT `+limitColumns+` FROM processing_limits WHERE subject = $1 ORDER BY kind, purpose`, subject)
	if err != nil {
		return nil, fmt.Errorf("store: processing limits: %w", err)
	}
	return out, nil
}

// ProcessingLimitsBetween returns the limits of every subject after
// `after` up to and including `last`, keyed by subject: one range scan of
// the primary key for a keyset batch of candidates (newsletter planning),
// where limits are rare and an IN list of every candidate would cost more
// than the rows it finds.
func (r *Reader) ProcessingLimitsBetween(ctx context.Context, after, last string) (map[string][]ProcessingLimit, error) {
	out := map[string][]ProcessingLimit{}
	err := r.eachRow(ctx, `SELECT `+limitColumns+` FROM processing_limits
		WHERE subject > $1 AND subject <= $2`, []any{after, last}, func(rows *sql.Rows) error {
		l, err := scanLimit(rows)
		out[l.Subject] = append(out[l.Subject], l)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: processing limits in a range: %w", err)
	}
	return out, nil
}

// ProcessingLimitsFor returns the limits of each of subjects that has any,
// the batch form the newsletter run uses.
func (r *Reader) ProcessingLimitsFor(ctx context.Context, subjects []string) (map[string][]ProcessingLimit, error) {
	out := map[string][]ProcessingLimit{}
	err := eachRowIn(ctx, r, "subject", subjects, func(cond string) string {
		return `SELECT ` + limitColumns + ` FROM processing_limits WHERE ` + cond
	}, nil, func(rows *sql.Rows) error {
		l, err := scanLimit(rows)
		out[l.Subject] = append(out[l.Subject], l)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: processing limits of %d subjects: %w", len(subjects), err)
	}
	return out, nil
}

const limitColumns = `subject, kind, purpose, since, reason`

func scanLimit(rows *sql.Rows) (ProcessingLimit, error) {
	var l ProcessingLimit
	var since int64
	err := rows.Scan(&l.Subject, &l.Kind, &l.Purpose, &since, &l.Reason)
	l.Since = time.UnixMilli(since).UTC()
	return l, err
}
