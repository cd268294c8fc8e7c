package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"steward/account"
	"steward/audit"
	"steward/policy"
)

// EraseMode says what erasure does to the subject's account row: delete it,
// or anonymise it so it still counts in statistics with nothing left that
// links it to the person (Z9).
type EraseMode string

// The erase modes, named as the policy names the actions.
const (
	EraseDelete    EraseMode = EraseMode(policy.ActionDelete)
	EraseAnonymise EraseMode = EraseMode(policy.ActionAnonymise)
)

// SubjectEraser removes or anonymises a subject's rows in tables another
// part of Steward owns (consents, newsletter sign-ups, requests). It runs
// inside EraseSubject's transaction.
type SubjectEraser func(ctx context.Context, tx *Tx, subject string, mode EraseMode) error

var (
	erasersMu sync.Mutex
	erasers   []namedEraser
)

type namedEraser struct {
	name string
	fn   SubjectEraser
}

// RegisterSubjectEraser adds an eraser for a table EraseSubject does not
// know itself. Call it from an init function in the file that owns the
// table, so that a person's own erasure (rights) and a rule-driven one
// (retention) cannot forget it.
func RegisterSubjectEraser(name string, fn SubjectEraser) {
	erasersMu.Lock()
	defer erasersMu.Unlock()
	erasers = append(erasers, namedEraser{name, fn})
}

// Erased says what EraseSubject did, for the caller's audit entry: the
// record kinds deleted, anonymised and kept (names only, G2).
type Erased struct {
	// Pseudonym is the subject's audit pseudonym read before erasure; ""
	// when the subject had no account.
	Pseudonym  audit.Pseudonym
	Deleted    []string
	Anonymised []string
	Kept       []string
}

// EraseSubject erases everything Steward holds about a subject in the
// caller's transaction. It is the one erasure path: the rights issue's
// erasure request (Art. 17, Z9 "deleting an account anonymises it at once")
// and the retention runner (R9, R10, Z9) both call it, so a rule-driven
// deletion and a person's own can never differ.
//
// The subject's account row is deleted or anonymised according to mode.
// Every other record follows its kind's erasure in the policy: delete,
// anonymise, or keep for a legal obligation (an order's bookkeeping). The
// outbox mails, profile values, sessions, tokens and staff views of the
// subject go with the account (DeleteAccount), retention warnings with it,
// and every registered SubjectEraser runs. A subject without an account
// (a visitor) is fine. The caller writes the audit entry.
func EraseSubject(ctx context.Context, tx *Tx, p *policy.Policy, subject string, mode EraseMode, now time.Time) (Erased, error) {
	var e Erased
	var ps string
	err := tx.QueryRowContext(ctx, `SELECT pseudonym FROM accounts WHERE id = $1 AND anonymised_at IS NULL`, subject).Scan(&ps)
	hasAccount := err == nil
	if err != nil && !isNoRows(err) {
		return e, fmt.Errorf("store: erase subject %s: %w", subject, err)
	}
	e.Pseudonym = audit.Pseudonym(ps)
	kinds, err := subjectKinds(ctx, tx, subject)
	if err != nil {
		return e, fmt.Errorf("store: erase subject %s: %w", subject, err)
	}
	for _, k := range kinds {
		if err := eraseKind(ctx, tx, p, subject, k, now, &e); err != nil {
			return e, fmt.Errorf("store: erase subject %s: %w", subject, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM retention_warnings WHERE subject_id = $1`, subject); err != nil {
		return e, fmt.Errorf("store: erase subject %s: warnings: %w", subject, err)
	}
	erasersMu.Lock()
	list := append([]namedEraser(nil), erasers...)
	erasersMu.Unlock()
	for _, er := range list {
		if err := er.fn(ctx, tx, subject, mode); err != nil {
			return e, fmt.Errorf("store: erase subject %s: %s: %w", subject, er.name, err)
		}
	}
	if _, err := DropOutboxFor(ctx, tx, subject); err != nil {
		return e, err
	}
	if !hasAccount {
		return e, nil
	}
	if mode == EraseAnonymise {
		if err := anonymiseAccount(ctx, tx, subject, now); err != nil {
			return e, err
		}
		e.Anonymised = append(e.Anonymised, account.RecordID)
		return e, nil
	}
	if err := tx.DeleteAccount(ctx, subject); err != nil {
		return e, err
	}
	e.Deleted = append(e.Deleted, account.RecordID)
	return e, nil
}

// EraseRecords erases a subject's records of the given kinds, each by its
// kind's erasure in the policy, except that the kind named target gets
// action instead (the rule's own action on the record it matched). The
// retention runner uses it for rules on a system's own account kind (IVM's
// LMS account, R10): acting on it erases the subject in that system only.
func EraseRecords(ctx context.Context, tx *Tx, p *policy.Policy, subject string, kinds []string, target string, action policy.Action, now time.Time) (Erased, error) {
	var e Erased
	var ps string
	if err := tx.QueryRowContext(ctx, `SELECT pseudonym FROM accounts WHERE id = $1`, subject).Scan(&ps); err != nil && !isNoRows(err) {
		return e, fmt.Errorf("store: erase %s records of %s: %w", target, subject, err)
	}
	e.Pseudonym = audit.Pseudonym(ps)
	for _, k := range kinds {
		erasure := policy.Erasure("")
		if k == target {
			erasure = policy.Erasure(action)
		}
		if err := eraseKindAs(ctx, tx, p, subject, k, erasure, now, &e); err != nil {
			return e, fmt.Errorf("store: erase %s records of %s: %w", target, subject, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM retention_warnings WHERE subject_id = $1 AND target_kind = $2`, subject, target); err != nil {
		return e, fmt.Errorf("store: erase %s records of %s: warnings: %w", target, subject, err)
	}
	return e, nil
}

// subjectKinds lists the kinds of the subject's records that still name them.
func subjectKinds(ctx context.Context, tx *Tx, subject string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT kind FROM records WHERE subject_id = $1 ORDER BY kind`, subject)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func eraseKind(ctx context.Context, tx *Tx, p *policy.Policy, subject, kind string, now time.Time, e *Erased) error {
	return eraseKindAs(ctx, tx, p, subject, kind, "", now, e)
}

// eraseKindAs erases the subject's records of one kind by erasure, or by
// the kind's policy erasure when erasure is "". A kind the policy no
// longer declares is deleted: nothing undeclared is kept (R4).
func eraseKindAs(ctx context.Context, tx *Tx, p *policy.Policy, subject, kind string, erasure policy.Erasure, now time.Time, e *Erased) error {
	if erasure == "" {
		erasure = policy.EraseDelete
		if rec := p.Record(kind); rec != nil {
			erasure = rec.Erasure
		}
	}
	switch erasure {
	case policy.EraseKeep:
		// A legal obligation (e.g. bookkeeping, Art. 52 AWR) outweighs
		// erasure for the Keep period (Art. 17(3)(b) GDPR).
		e.Kept = append(e.Kept, kind)
		return nil
	case policy.EraseAnonymise:
		if _, err := tx.ExecContext(ctx, `DELETE FROM record_values WHERE record_id IN (
				SELECT id FROM records WHERE subject_id = $1 AND kind = $2)`, subject, kind); err != nil {
			return fmt.Errorf("anonymise %s: %w", kind, err)
		}
		// Each record gets its own random subject, so anonymised records
		// cannot even be grouped back into one person.
		rows, err := tx.QueryContext(ctx, `SELECT id FROM records WHERE subject_id = $1 AND kind = $2`, subject, kind)
		if err != nil {
			return fmt.Errorf("anonymise %s: %w", kind, err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("anonymise %s: %w", kind, err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE records SET subject_id = $1, anonymised_at = $2,
					created_at = $3, confirmed_at = NULL, last_login_at = NULL, last_activity_at = NULL WHERE id = $4`,
				anonymousID(), now.UnixMilli(), monthOf(now.UnixMilli()), id); err != nil {
				return fmt.Errorf("anonymise %s: %w", kind, err)
			}
		}
		e.Anonymised = append(e.Anonymised, kind)
		return nil
	default:
		if _, err := tx.ExecContext(ctx, `DELETE FROM record_values WHERE record_id IN (
				SELECT id FROM records WHERE subject_id = $1 AND kind = $2)`, subject, kind); err != nil {
			return fmt.Errorf("delete %s: %w", kind, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM records WHERE subject_id = $1 AND kind = $2`, subject, kind); err != nil {
			return fmt.Errorf("delete %s: %w", kind, err)
		}
		e.Deleted = append(e.Deleted, kind)
		return nil
	}
}

// anonymiseAccount keeps the account row for statistics (Z9) and removes
// everything that could link it to the person: address, password,
// pseudonym (so the audit log's entries no longer lead to anyone),
// organisation, exact times, profile values, sessions, tokens, staff views.
func anonymiseAccount(ctx context.Context, tx *Tx, id string, now time.Time) error {
	for _, q := range []string{
		`DELETE FROM profile_values WHERE account_id = $1`,
		`DELETE FROM sessions WHERE account_id = $1`,
		`DELETE FROM account_tokens WHERE account_id = $1`,
		`DELETE FROM staff_views WHERE subject_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("store: anonymise account %s: %w", id, err)
		}
	}
	var created int64
	if err := tx.QueryRowContext(ctx, `SELECT created_at FROM accounts WHERE id = $1`, id).Scan(&created); err != nil {
		return fmt.Errorf("store: anonymise account %s: %w", id, err)
	}
	// Statistics keep the month the account was made, not the moment.
	_, err := tx.ExecContext(ctx, `UPDATE accounts SET email = '', email_key = $1, password_hash = '', pseudonym = $2,
			organisation_id = '', created_at = $3, confirmed_at = NULL, last_login_at = NULL, last_activity_at = NULL,
			anonymised_at = $4
		WHERE id = $5`,
		"anonymised:"+id, string(audit.NewPseudonym()), monthOf(created), now.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: anonymise account %s: %w", id, err)
	}
	return nil
}

// monthOf returns the first moment of the UTC month of ms.
func monthOf(ms int64) int64 {
	t := time.UnixMilli(ms).UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
}

// anonymousID is a random subject for an anonymised record: it names nobody.
func anonymousID() string {
	var b [12]byte
	rand.Read(b[:])
	return "anon_" + hex.EncodeToString(b[:])
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func init() {
	// Consents and newsletter deliveries follow the account (Art. 17, Z9):
	// deleted with it, or re-keyed to a subject that names nobody when the
	// account is anonymised, so they still count in statistics.
	RegisterSubjectEraser("consents", func(ctx context.Context, tx *Tx, subject string, mode EraseMode) error {
		replacement := ""
		if mode == EraseAnonymise {
			replacement = anonymousID()
		}
		_, err := EraseConsentsFor(ctx, tx, subject, replacement)
		return err
	})
	// A newsletter sign-up without an account (R2) is its own subject: the
	// retention rule newsletter_unconfirmed (and a sign-up's own erasure)
	// erases it through this path, which removes the sign-up row; its
	// consents and mails go with the erasers above.
	RegisterSubjectEraser("newsletter_subscriptions", func(ctx context.Context, tx *Tx, subject string, _ EraseMode) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM newsletter_subscriptions WHERE id = $1`, subject)
		return err
	})
}
