package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"steward/account"
	"steward/audit"
	"steward/erasure"
)

// SubjectEraser removes or anonymises the rows of the given subjects in one
// table keyed by subject (consents, newsletter sign-ups, requests,
// disclosures). It runs inside EraseSubjects's transaction and gets at most
// EraseChunk subjects at a time; it should be set-based, one statement per
// table with subject IN (...), so a retention batch of thousands costs a
// few statements (Tx.SubjectIn builds the condition). Code that can only
// work one subject at a time runs it for just the subjects that have rows,
// with Tx.EachSubjectIn. account is the plan's action on the account row.
type SubjectEraser func(ctx context.Context, tx *Tx, subjects []string, account erasure.Action) error

type namedEraser struct {
	name string
	fn   SubjectEraser
}

// subjectErasers lists, in the order they run, the erasers of every table
// keyed by subject that EraseSubjects does not handle itself. A new table
// that holds a subject's rows gets its eraser here, so a person's own
// erasure (rights) and a rule-driven one (retention) cannot forget it.
func subjectErasers() []namedEraser {
	return []namedEraser{
		{"lms_outbox", eraseLMSOutbox}, // before requests: links deletes to the erasure request
		{"requests", eraseRequests},
		{"disclosures", eraseDisclosures},
		{"consents", eraseConsents},
		{"newsletter_subscriptions", eraseSignups},
	}
}

// Erased says what EraseSubject did, for the caller's audit entry: the
// record kinds deleted, anonymised and kept (names only, G2).
type Erased struct {
	// Subject is the subject erased.
	Subject string
	// Pseudonym is the subject's audit pseudonym read before erasure; ""
	// when the subject had no account.
	Pseudonym  audit.Pseudonym
	Deleted    []string
	Anonymised []string
	Kept       []string
}

// add records that the plan did action to kind.
func (e *Erased) add(kind string, action erasure.Action) {
	switch action {
	case erasure.Keep:
		e.Kept = append(e.Kept, kind)
	case erasure.Anonymise:
		e.Anonymised = append(e.Anonymised, kind)
	default:
		e.Deleted = append(e.Deleted, kind)
	}
}

// EraseChunk is the most subjects one erasure statement names; longer
// lists are erased in chunks (both engines' parameter limits are far above).
const EraseChunk = 10000

// EraseSubject erases everything Steward holds about one subject in the
// caller's transaction: EraseSubjects with one id. The rights desk's
// erasure (Art. 17, Z9 "deleting an account anonymises it at once") calls
// it; the retention runner calls EraseSubjects with a batch.
func (tx *Tx) EraseSubject(ctx context.Context, plan erasure.Plan, subject string) (Erased, error) {
	es, err := tx.EraseSubjects(ctx, plan, []string{subject})
	if err != nil {
		return Erased{Subject: subject}, err
	}
	return es[0], nil
}

// EraseSubjects carries out an erasure plan (erasure.ForSubject,
// erasure.ForRule) on whole subjects in the caller's transaction,
// set-based: one statement per table for up to EraseChunk subjects. It is
// the one erasure path: a person's own erasure (rights, through
// EraseSubject) and the retention runner's batches (R9, R10, Z9) both run
// it, so a rule-driven deletion and a person's own can never differ. It
// returns one Erased per subject, in the order given.
//
// Each subject's account row gets plan.Account. Every other record gets
// its kind's entry in the plan: delete, anonymise, or keep (an order's
// bookkeeping; the runner removes it when the keep period ends). The
// subjects' outbox mails, profile values, sessions, tokens, staff views and
// retention warnings go too, and every subjectErasers table is erased. A
// subject without an account (a visitor, a newsletter sign-up) is fine.
// The caller writes the audit entries.
func (tx *Tx) EraseSubjects(ctx context.Context, plan erasure.Plan, subjects []string) ([]Erased, error) {
	if plan.Account != erasure.Delete && plan.Account != erasure.Anonymise {
		return nil, fmt.Errorf("store: erase subjects: the plan's account action is %q, not delete or anonymise", plan.Account)
	}
	out := make([]Erased, 0, len(subjects))
	for len(subjects) > 0 {
		n := min(len(subjects), EraseChunk)
		c := newEraseChunk(tx, plan, subjects[:n])
		if err := c.run(ctx); err != nil {
			if n == 1 {
				return nil, fmt.Errorf("store: erase subject %s: %w", subjects[0], err)
			}
			return nil, fmt.Errorf("store: erase %d subjects: %w", n, err)
		}
		out = append(out, c.out...)
		subjects = subjects[n:]
	}
	return out, nil
}

// accountTables hold rows of an account that go with it whether it is
// deleted or anonymised (R12 sessions and tokens, R1 profile, staff views,
// pending e-mail changes, sign-ins to the LMS through Steward's OpenID
// provider): anonymisation deletes them; deleting the account takes them
// along by ON DELETE CASCADE. Every table with a foreign key to accounts
// is here (TestAccountTablesAreEveryTableReferencingAccounts): the
// anonymised row gets a new id, which a row left behind would refuse.
var accountTables = []struct{ table, column string }{
	{"profile_values", "account_id"},
	{"sessions", "account_id"},
	{"account_tokens", "account_id"},
	{"email_changes", "account_id"},
	{"staff_views", "subject_id"},
	{"second_factors", "account_id"},
	{"recovery_codes", "account_id"},
	{"policy_notice_dismissals", "account_id"},
	{"login_challenges", "account_id"},
	{"organisation_invitations", "account_id"},
	{"oidc_tokens", "account_id"},
	{"oidc_grants", "account_id"},
}

// eraseChunk is one statement's worth of subjects being erased, with what
// each step found for the next.
type eraseChunk struct {
	tx       *Tx
	plan     erasure.Plan
	subjects []string
	out      []Erased
	at       map[string]int
	// accts are the subjects' accounts, with what anonymisation keeps.
	accts []erasedAccount
	// signups are the newsletter sign-ups that go with the accounts.
	signups []string
}

type erasedAccount struct {
	id      string
	created int64
}

func newEraseChunk(tx *Tx, plan erasure.Plan, subjects []string) *eraseChunk {
	c := &eraseChunk{tx: tx, plan: plan, subjects: subjects, out: make([]Erased, len(subjects)), at: make(map[string]int, len(subjects))}
	for i, s := range subjects {
		c.out[i].Subject = s
		c.at[s] = i
	}
	return c
}

// run erases the chunk step by step: the account rows (deleting) or their
// look-up (anonymising) and, anonymising, the statistics they leave (Z9),
// the records kind by kind, the tables keyed by
// subject, then the anonymisation of the account rows.
func (c *eraseChunk) run(ctx context.Context) error {
	if err := c.takeAccounts(ctx); err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	if c.plan.Account == erasure.Anonymise {
		if err := c.keepStatistics(ctx); err != nil {
			return err
		}
	}
	if err := c.eraseRecords(ctx); err != nil {
		return err
	}
	if err := c.eraseSubjectTables(ctx); err != nil {
		return err
	}
	if len(c.accts) == 0 {
		return nil
	}
	if c.plan.Account == erasure.Anonymise {
		return c.anonymiseAccounts(ctx)
	}
	for _, a := range c.accts {
		c.out[c.at[a.id]].Deleted = append(c.out[c.at[a.id]].Deleted, account.RecordID)
	}
	return nil
}

// takeAccounts finds the subjects' accounts and the newsletter sign-ups
// that go with them; deleting, it deletes the accounts in the same
// statement.
//
// Art. 17: a person who is forgotten is forgotten whole. Their newsletter
// sign-up under the account's address (a separate row and subject, R2)
// goes with the account, with its consents and mails — but only when the
// account's address was confirmed: otherwise whoever made the account never
// showed it is theirs, and erasing it must not end the address owner's
// subscription.
//
// Deleting, the accounts go first, in one statement that returns what the
// audit entries and the sign-ups need: a second look-up of every account
// by id cost as much as a tenth of a retention run. Their sessions,
// tokens, profile values, pending e-mail changes and staff views go by
// their foreign keys' ON DELETE CASCADE (Open turns foreign keys on for
// every SQLite connection; PostgreSQL always enforces them). Anonymising,
// the row stays and is rewritten by anonymiseAccounts.
func (c *eraseChunk) takeAccounts(ctx context.Context) error {
	q := `SELECT a.id, a.pseudonym, a.created_at, n.id FROM accounts a
		LEFT JOIN newsletter_subscriptions n ON n.email_key = a.email_key AND a.confirmed_at IS NOT NULL
		WHERE %s AND a.anonymised_at IS NULL`
	col := "a.id"
	if c.plan.Account != erasure.Anonymise {
		q = `DELETE FROM accounts WHERE %s AND anonymised_at IS NULL
			RETURNING id, pseudonym, created_at, (SELECT n.id FROM newsletter_subscriptions n
				WHERE n.email_key = accounts.email_key AND accounts.confirmed_at IS NOT NULL)`
		col = "id"
	}
	cond, args, err := c.tx.batchIn(ctx, col, 1, c.subjects)
	if err != nil {
		return err
	}
	rows, err := c.tx.hotRows(ctx, fmt.Sprintf(q, cond), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a erasedAccount
		var ps string
		var signup sql.NullString
		if err := rows.Scan(&a.id, &ps, &a.created, &signup); err != nil {
			return err
		}
		e := &c.out[c.at[a.id]]
		e.Pseudonym = audit.Pseudonym(ps)
		if signup.Valid {
			c.signups = append(c.signups, signup.String)
			e.Deleted = append(e.Deleted, NewsletterRecord)
		}
		c.accts = append(c.accts, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	return c.deletedAccountsGo(ctx)
}

// deletedAccountsGo deletes, in a transaction without foreign keys
// (InErasureTx), the rows that referred to the accounts takeAccounts
// deleted, as their keys' ON DELETE CASCADE does otherwise: one statement
// per table for the chunk, reading the ids from the batch table.
func (c *eraseChunk) deletedAccountsGo(ctx context.Context) error {
	if !c.tx.noForeignKeys || len(c.accts) == 0 || c.plan.Account == erasure.Anonymise {
		return nil
	}
	// Usually every subject had an account, and the batch table holds
	// them already.
	ids := c.subjects
	if len(c.accts) != len(c.subjects) {
		ids = make([]string, len(c.accts))
		for i, a := range c.accts {
			ids[i] = a.id
		}
	}
	if err := c.tx.loadBatchIDs(ctx, ids); err != nil {
		return err
	}
	return c.tx.unchecked(ctx, "accounts", `SELECT id FROM `+batchIDsTable, nil)
}

// eraseRecords erases the subjects' records kind by kind, each by its
// kind's entry in the plan.
func (c *eraseChunk) eraseRecords(ctx context.Context) error {
	byKind, err := subjectsByKind(ctx, c.tx, c.subjects)
	if err != nil {
		return fmt.Errorf("records: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		e := c.plan.Entry(k)
		if err := c.tx.eraseKind(ctx, e, byKind[k], c.plan.At); err != nil {
			return err
		}
		for _, s := range byKind[k] {
			c.out[c.at[s]].add(k, e.Action)
		}
	}
	return nil
}

// eraseSubjectTables erases the subjects' rows, and those of the sign-ups
// that go with them, in every table keyed by subject: retention warnings,
// the subjectErasers tables, and the outbox.
func (c *eraseChunk) eraseSubjectTables(ctx context.Context) error {
	all := c.subjects
	if len(c.signups) > 0 {
		all = append(slices.Clip(c.subjects), c.signups...)
	}
	cond, args, err := c.tx.batchIn(ctx, "subject_id", 1, all)
	if err != nil {
		return err
	}
	if _, err := c.tx.hotExec(ctx, `DELETE FROM retention_warnings WHERE `+cond, args...); err != nil {
		return fmt.Errorf("warnings: %w", err)
	}
	for _, er := range subjectErasers() {
		if err := er.fn(ctx, c.tx, all, c.plan.Account); err != nil {
			return fmt.Errorf("%s: %w", er.name, err)
		}
	}
	// The erasers use the same list (batchIn), so it is still the table's.
	if _, err := c.tx.hotExec(ctx, `DELETE FROM outbox WHERE `+cond, args...); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if _, err := c.tx.hotExec(ctx, `DELETE FROM policy_notice_mails WHERE `+cond, args...); err != nil {
		return fmt.Errorf("policy notice mails: %w", err)
	}
	return nil
}

// anonymiseAccounts rewrites the chunk's account rows (Z9): the row stays
// for statistics with nothing that links it to the person: id and
// pseudonym (fresh ones, so neither the audit log's entries, nor a copy of
// the person's export, nor an old log line leads to the row), address,
// password, organisation and exact times go; statistics keep the month the
// account was made. Every row that referred to the old id goes first
// (accountTables) or went with the erasers, so the key can change.
func (c *eraseChunk) anonymiseAccounts(ctx context.Context) error {
	aids := make([]string, len(c.accts))
	for i, a := range c.accts {
		aids[i] = a.id
	}
	if c.tx.noForeignKeys {
		list, arg := inList(c.tx.Dialect, 1, aids)
		if err := c.tx.unchecked(ctx, "accounts", list, []any{arg}); err != nil {
			return err
		}
	}
	for _, t := range accountTables {
		cond, arg := in(c.tx.Dialect, t.column, 1, aids)
		if _, err := c.tx.hotExec(ctx, `DELETE FROM `+t.table+` WHERE `+cond, arg); err != nil {
			return fmt.Errorf("%s: %w", t.table, err)
		}
	}
	args := make([]any, 0, 4*len(c.accts)+1)
	args = append(args, c.plan.At.UnixMilli())
	var vals strings.Builder
	for i, a := range c.accts {
		if i > 0 {
			vals.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&vals, "($%d, $%d, $%d, CAST($%d AS BIGINT))", n+1, n+2, n+3, n+4)
		args = append(args, a.id, anonymousID(), string(audit.NewPseudonym()), monthOf(a.created))
	}
	if _, err := c.tx.ExecContext(ctx, `WITH v (id, new_id, pseudonym, month) AS (VALUES `+vals.String()+`)
		UPDATE accounts SET id = v.new_id, email = '', email_key = 'anonymised:' || v.new_id, password_hash = '',
			pseudonym = v.pseudonym, organisation_id = '', created_at = v.month, confirmed_at = NULL, last_login_at = NULL,
			last_activity_at = NULL, anonymised_at = $1
		FROM v
		WHERE accounts.id = v.id`, args...); err != nil {
		return fmt.Errorf("anonymise accounts: %w", err)
	}
	for _, a := range c.accts {
		c.out[c.at[a.id]].add(account.RecordID, erasure.Anonymise)
	}
	return nil
}

// EraseRecords carries out a plan limited to record kinds
// (erasure.ForSystem) on one subject: each kind in plan.Kinds by its entry.
// The retention runner uses it for rules on a system's own account kind
// (IVM's LMS account, R10): acting on it erases the subject in that system
// only. target is the kind the rule acted on, whose warnings go. It shares
// eraseKind with EraseSubjects.
func (tx *Tx) EraseRecords(ctx context.Context, plan erasure.Plan, subject, target string) (Erased, error) {
	e := Erased{Subject: subject}
	var ps string
	if err := tx.QueryRowContext(ctx, `SELECT pseudonym FROM accounts WHERE id = $1`, subject).Scan(&ps); err != nil && !isNoRows(err) {
		return e, fmt.Errorf("store: erase %s records of %s: %w", target, subject, err)
	}
	e.Pseudonym = audit.Pseudonym(ps)
	for _, k := range plan.Kinds {
		if err := tx.eraseKind(ctx, k, []string{subject}, plan.At); err != nil {
			return e, fmt.Errorf("store: erase %s records of %s: %w", target, subject, err)
		}
		e.add(k.Kind, k.Action)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM retention_warnings WHERE subject_id = $1 AND target_kind = $2`, subject, target); err != nil {
		return e, fmt.Errorf("store: erase %s records of %s: warnings: %w", target, subject, err)
	}
	return e, nil
}

// DeleteRecords deletes the records with the given ids and their values,
// set-based (the ids as one parameter). The retention runner uses it for
// records kept for a legal obligation (erasure: keep) once their keep
// period has passed: each record goes on its own date, so not by subject.
func (tx *Tx) DeleteRecords(ctx context.Context, ids []int64) error {
	for len(ids) > 0 {
		n := min(len(ids), EraseChunk)
		cond, arg := in(tx.Dialect, "record_id", 1, ids[:n])
		if _, err := tx.hotExec(ctx, `DELETE FROM record_values WHERE `+cond, arg); err != nil {
			return fmt.Errorf("store: delete %d records: values: %w", n, err)
		}
		list, arg := inList(tx.Dialect, 1, ids[:n])
		if err := tx.unchecked(ctx, "records", list, []any{arg}, "record_values"); err != nil {
			return fmt.Errorf("store: delete %d records: %w", n, err)
		}
		cond, arg = in(tx.Dialect, "id", 1, ids[:n])
		if _, err := tx.hotExec(ctx, `DELETE FROM records WHERE `+cond, arg); err != nil {
			return fmt.Errorf("store: delete %d records: %w", n, err)
		}
		ids = ids[n:]
	}
	return nil
}

// subjectsByKind lists, per record kind, the subjects among subjects with
// records of that kind that still name them.
func subjectsByKind(ctx context.Context, tx *Tx, subjects []string) (map[string][]string, error) {
	cond, args, err := tx.batchIn(ctx, "subject_id", 1, subjects)
	if err != nil {
		return nil, err
	}
	rows, err := tx.hotRows(ctx, `SELECT DISTINCT kind, subject_id FROM records WHERE `+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var k, s string
		if err := rows.Scan(&k, &s); err != nil {
			return nil, err
		}
		out[k] = append(out[k], s)
	}
	return out, rows.Err()
}

// eraseKind carries out one plan entry on the subjects' records of its
// kind: nothing for Keep, else their values and the kind's own profile go,
// and the records are anonymised or deleted.
func (tx *Tx) eraseKind(ctx context.Context, e erasure.Entry, subjects []string, at time.Time) error {
	if e.Action == erasure.Keep {
		return nil
	}
	kind := e.Kind
	if e.Remote {
		// The LMS holds its own copy: tell it, in this transaction (Art.
		// 17(2), Art. 19), before the records and their ids go.
		if err := tx.enqueueLMSDeletes(ctx, kind, subjects, at); err != nil {
			return fmt.Errorf("%s %s: %w", e.Action, kind, err)
		}
	}
	cond, arg := in(tx.Dialect, "subject_id", 2, subjects)
	if _, err := tx.hotExec(ctx, `DELETE FROM record_values WHERE record_id IN (
			SELECT id FROM records WHERE kind = $1 AND `+cond+`)`, kind, arg); err != nil {
		return fmt.Errorf("%s %s: %w", e.Action, kind, err)
	}
	// A kind with an account's own profile (IVM's LMS account: name and
	// register number, R3, R10) keeps those values in profile_values under
	// its kind; they go with the record, whether it is deleted or
	// anonymised, or the person's name would outlive their LMS account.
	pcond, parg := in(tx.Dialect, "account_id", 2, subjects)
	if _, err := tx.hotExec(ctx, `DELETE FROM profile_values WHERE record = $1 AND `+pcond, kind, parg); err != nil {
		return fmt.Errorf("%s %s: profile: %w", e.Action, kind, err)
	}
	if e.Action == erasure.Anonymise {
		// Each record gets its own random subject, so anonymised records
		// cannot even be grouped back into one person; it keeps only the
		// month of the erasure (Z9: it still counts in statistics).
		_, err := tx.hotExec(ctx, `UPDATE records SET subject_id = `+tx.randomSubjectSQL()+`,
				anonymised_at = $3, created_at = $4, confirmed_at = NULL, last_login_at = NULL, last_activity_at = NULL
			WHERE kind = $1 AND `+cond, kind, arg, at.UnixMilli(), monthOf(at.UnixMilli()))
		if err != nil {
			return fmt.Errorf("anonymise %s: %w", kind, err)
		}
		return nil
	}
	if err := tx.unchecked(ctx, "records", `SELECT id FROM records WHERE kind = $1 AND `+cond, []any{kind, arg}, "record_values"); err != nil {
		return fmt.Errorf("delete %s: %w", kind, err)
	}
	if _, err := tx.hotExec(ctx, `DELETE FROM records WHERE kind = $1 AND `+cond, kind, arg); err != nil {
		return fmt.Errorf("delete %s: %w", kind, err)
	}
	return nil
}

// randomSubjectSQL is the dialect's expression of a fresh random subject
// for an anonymised record ("anon_" and 24 or 32 hex digits, from the
// engine's cryptographic random source): it names nobody.
func (tx *Tx) randomSubjectSQL() string {
	if tx.Dialect == Postgres {
		return `'anon_' || replace(gen_random_uuid()::text, '-', '')`
	}
	return `'anon_' || lower(hex(randomblob(12)))`
}

// EachSubjectIn runs fn for each of subjects that has a row in table with
// its id in column: one query for the whole batch, then fn only where
// there is something to erase. For erasers that work one subject at a time.
func (tx *Tx) EachSubjectIn(ctx context.Context, table, column string, subjects []string, fn func(subject string) error) error {
	if len(subjects) == 0 {
		return nil
	}
	cond, arg := in(tx.Dialect, column, 1, subjects)
	rows, err := tx.hotRows(ctx, `SELECT DISTINCT `+column+` FROM `+table+` WHERE `+cond, arg)
	if err != nil {
		return fmt.Errorf("store: subjects in %s: %w", table, err)
	}
	var have []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("store: subjects in %s: %w", table, err)
		}
		have = append(have, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: subjects in %s: %w", table, err)
	}
	for _, s := range have {
		if err := fn(s); err != nil {
			return err
		}
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

// eraseConsents erases consents (history and current state), newsletter
// deliveries and processing limits with the account (Art. 17, Z9): deleted
// with it in one statement per table; when the account is anonymised, its
// consents are re-keyed to a subject that names nobody (EraseConsentsFor),
// so they still count in statistics.
func eraseConsents(ctx context.Context, tx *Tx, subjects []string, acct erasure.Action) error {
	if acct == erasure.Anonymise {
		for _, t := range []string{"consent_records", "newsletter_deliveries", "processing_limits"} {
			err := tx.EachSubjectIn(ctx, t, "subject", subjects, func(s string) error {
				_, err := tx.EraseConsentsFor(ctx, s, anonymousID())
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
	cond, args, err := tx.batchIn(ctx, "subject", 1, subjects)
	if err != nil {
		return err
	}
	for _, t := range []string{"consent_records", "consent_state", "newsletter_deliveries", "processing_limits"} {
		if _, err := tx.hotExec(ctx, `DELETE FROM `+t+` WHERE `+cond, args...); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	return nil
}

// eraseSignups erases newsletter sign-ups: a sign-up without an account
// (R2) is its own subject; the retention rule newsletter_unconfirmed (and a
// sign-up's own erasure) erases it through this path, which removes the
// sign-up row; its consents and mails go with the other erasers.
func eraseSignups(ctx context.Context, tx *Tx, subjects []string, _ erasure.Action) error {
	cond, args, err := tx.batchIn(ctx, "id", 1, subjects)
	if err != nil {
		return err
	}
	_, err = tx.hotExec(ctx, `DELETE FROM newsletter_subscriptions WHERE `+cond, args...)
	return err
}
