package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"steward"
	"steward/account"
	"steward/policy"
)

// anchorExpr is the SQL of each anchor, matching retention.Facts.Anchor and
// the expression indexes of migration 0006 (accounts_due_*, records_due_*)
// character for character, so the due scans use them.
var anchorExpr = map[policy.Anchor]string{
	policy.SinceCreated:      `created_at`,
	policy.SinceLastLogin:    `COALESCE(last_login_at, created_at)`,
	policy.SinceLastActivity: `COALESCE(last_activity_at, last_login_at, created_at)`,
}

// recordAnchorExpr is anchorExpr with the columns of the records table
// qualified as r.*, for the join with accounts.
var recordAnchorExpr = map[policy.Anchor]string{
	policy.SinceCreated:      `r.created_at`,
	policy.SinceLastLogin:    `COALESCE(r.last_login_at, r.created_at)`,
	policy.SinceLastActivity: `COALESCE(r.last_activity_at, r.last_login_at, r.created_at)`,
}

// NewsletterRecord is the policy record kind of a newsletter sign-up (R2),
// consent.NewsletterRecord; the sign-ups live in the consent issue's
// newsletter_subscriptions table, not in records, and the retention scans
// read them there. newsletterPurpose is the purpose its consent is for.
const (
	NewsletterRecord  = "newsletter_subscription"
	newsletterPurpose = "newsletter"
)

// DueCursor is where a due scan stopped: keyset pagination on (anchor, id).
type DueCursor struct {
	Anchor int64
	ID     string
}

// DueQuery asks for one page of the targets of a kind whose anchor is at or
// before Cutoff: the candidates of a retention rule. The engine decides
// which of them are really due (conditions, overrides).
type DueQuery struct {
	Kind   string
	Since  policy.Anchor
	Cutoff time.Time
	After  DueCursor
	Limit  int
	// Confirmed, when set, keeps only targets confirmed (true) or never
	// confirmed (false): the rule's own confirmed condition pushed into the
	// scan, so a rule on unconfirmed rows reads only those. Targets it
	// leaves out are ones the rule does not apply to, which the runner
	// would pass by anyway.
	Confirmed *bool
	// Kept, for a record kind, keeps only records whose subject has no
	// account left (deleted or anonymised): the records an erasure kept
	// for a legal obligation (erasure: keep), which the runner removes
	// when their keep period has passed.
	Kept bool
}

// DueTarget is one record a retention rule may act on, as the due scans
// read it: the facts the retention engine decides on (retention.Facts),
// except the contract overrides, which the caller adds (Store.Overrides).
type DueTarget struct {
	// Subject is the account id of the person the target belongs to.
	Subject string
	// Kind is the policy record kind of the target ("account", "lms_account").
	Kind string
	// Target is the id of the target record; for an account, its id.
	Target string
	// CreatedAt, LastLoginAt and LastActivityAt are the target's anchors;
	// the last two are zero when unknown.
	CreatedAt, LastLoginAt, LastActivityAt time.Time
	// Confirmed reports whether the subject confirmed the target.
	Confirmed bool
	// WithdrawnAt is when a newsletter sign-up's consent was withdrawn
	// (its unsubscribe); zero while it stands, and for other kinds.
	WithdrawnAt time.Time
	// Counts holds the number of records of each kind the subject has; a
	// missing kind (or a nil map: no records at all) counts as zero.
	Counts map[string]int
	// Organisation is the subject's organisation id, "" for none.
	Organisation string
}

// DueTargets returns the next page of candidates in (anchor, id) order with
// their facts (counts included; overrides are the caller's), and the cursor
// of the next page. An empty page means the scan is done. Accounts are the
// kind "account"; any other kind is read from records. Staff and
// anonymised rows are never candidates. In a transaction (tx.DueTargets) a
// batch acts on exactly what it read.
func (r *Reader) DueTargets(ctx context.Context, q DueQuery) ([]DueTarget, DueCursor, error) {
	query, args, err := dueQuery(r.dialect, q)
	if err != nil {
		return nil, q.After, err
	}
	rows, err := r.hotRows(ctx, query, args...)
	if err != nil {
		return nil, q.After, fmt.Errorf("store: due %s targets: %w", q.Kind, err)
	}
	out := make([]DueTarget, 0, min(max(q.Limit, 0), 1<<14))
	next := q.After
	for rows.Next() {
		var f DueTarget
		var created, anchor int64
		var confirmed, login, activity, withdrawn sql.NullInt64
		var id any = new(string)
		if q.Kind != account.RecordID && q.Kind != NewsletterRecord {
			id = new(int64)
		}
		if err := rows.Scan(id, &f.Subject, &f.Organisation, &created, &confirmed, &login, &activity, &anchor, &withdrawn); err != nil {
			rows.Close()
			return nil, q.After, fmt.Errorf("store: due %s targets: %w", q.Kind, err)
		}
		switch v := id.(type) {
		case *string:
			f.Target = *v
		case *int64:
			f.Target = strconv.FormatInt(*v, 10)
		}
		f.Kind = q.Kind
		f.CreatedAt = time.UnixMilli(created).UTC()
		f.Confirmed = confirmed.Valid
		f.LastLoginAt = fromNullMillis(login)
		f.LastActivityAt = fromNullMillis(activity)
		f.WithdrawnAt = fromNullMillis(withdrawn)
		out = append(out, f)
		next = DueCursor{Anchor: anchor, ID: f.Target}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, q.After, fmt.Errorf("store: due %s targets: %w", q.Kind, err)
	}
	if err := r.fillCounts(ctx, out); err != nil {
		return nil, q.After, err
	}
	return out, next, nil
}

// CountDue counts the candidates of a due scan (for the progress
// percentage); it uses the same index as DueTargets.
func (s *Store) CountDue(ctx context.Context, q DueQuery) (int64, error) {
	q.Limit, q.After = 1<<62, DueCursor{Anchor: -1 << 62}
	query, args, err := dueQuery(s.dialect, q)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+query+`) AS due`, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count due %s: %w", q.Kind, err)
	}
	return n, nil
}

// dueQuery is the SQL of one page of a due scan, keyset on (anchor, id)
// (keysetPage), so page n does not walk pages 1..n-1 again. It reads
// accounts for the kind "account", newsletter sign-ups (their own table,
// R2) for NewsletterRecord, and records for any other kind.
func dueQuery(d Dialect, q DueQuery) (string, []any, error) {
	if _, ok := anchorExpr[q.Since]; !ok && (q.Since != policy.SinceWithdrawn || q.Kind != NewsletterRecord) {
		return "", nil, steward.Errorf(steward.EINVALID, "error.unknown_anchor", "since", q.Since)
	}
	confirmed := func(col string) string {
		switch {
		case q.Confirmed == nil:
			return ""
		case *q.Confirmed:
			return ` AND ` + col + ` IS NOT NULL`
		default:
			return ` AND ` + col + ` IS NULL`
		}
	}
	switch q.Kind {
	case account.RecordID:
		expr := anchorExpr[q.Since]
		cols := `id, id, organisation_id, created_at, confirmed_at, last_login_at, last_activity_at, ` + expr + `, NULL`
		where := `anonymised_at IS NULL AND role = ''` + confirmed("confirmed_at")
		return keysetPage(d, cols, `accounts`, where, expr, `id`, 1),
			[]any{q.Cutoff.UnixMilli(), q.After.Anchor, q.After.ID, q.Limit}, nil
	case NewsletterRecord:
		// A sign-up without an account (R2) is its own subject: its id is
		// the subject of its consent records and outbox mails. It has no
		// login, so every anchor but the withdrawal is its creation.
		if q.Since == policy.SinceWithdrawn {
			// R2: an unsubscribed sign-up, by the time of its unsubscribe.
			// No index serves the order yet (one on consent_state
			// (purpose, at) WHERE given = 0 would, in a migration of its
			// own); withdrawn sign-ups are few next to the rest.
			cols := `n.id, n.id, '', n.created_at, n.confirmed_at, NULL, NULL, c.at, c.at`
			from := `newsletter_subscriptions n JOIN consent_state c ON c.subject = n.id AND c.purpose = '` + newsletterPurpose + `' AND c.given = 0`
			return keysetPage(d, cols, from, `1 = 1`+confirmed("n.confirmed_at"), `c.at`, `n.id`, 1),
				[]any{q.Cutoff.UnixMilli(), q.After.Anchor, q.After.ID, q.Limit}, nil
		}
		cols := `id, id, '', created_at, confirmed_at, NULL, NULL, created_at,
			(SELECT c.at FROM consent_state c WHERE c.subject = newsletter_subscriptions.id AND c.purpose = '` + newsletterPurpose + `' AND c.given = 0)`
		where := `1 = 1` + confirmed("confirmed_at")
		return keysetPage(d, cols, `newsletter_subscriptions`, where, `created_at`, `id`, 1),
			[]any{q.Cutoff.UnixMilli(), q.After.Anchor, q.After.ID, q.Limit}, nil
	}
	after := int64(0)
	if q.After.ID != "" {
		after, _ = strconv.ParseInt(q.After.ID, 10, 64)
	}
	rx := recordAnchorExpr[q.Since]
	where := `r.kind = $5 AND r.anonymised_at IS NULL` + confirmed("r.confirmed_at")
	if q.Kept {
		where += ` AND (a.id IS NULL OR a.anonymised_at IS NOT NULL)`
	}
	cols := `r.id, r.subject_id, COALESCE(a.organisation_id, ''), r.created_at, r.confirmed_at, r.last_login_at, r.last_activity_at, ` + rx + `, NULL`
	return keysetPage(d, cols, `records r LEFT JOIN accounts a ON a.id = r.subject_id`, where, rx, `r.id`, 1),
		[]any{q.Cutoff.UnixMilli(), q.After.Anchor, after, q.Limit, q.Kind}, nil
}

// keysetPage is the SQL of one page of a due scan in (anchor, id) order
// after the cursor, with the parameters $n cutoff, $n+1 cursor anchor,
// $n+2 cursor id and $n+3 limit: the rest of the cursor's anchor (anchor
// equal, id after it), then the anchors after it up to the cutoff, each
// arm an index seek. A single "(anchor, id) > (cursor)" is no seek on
// SQLite, and with "anchor >= cursor" as the seek every page walked again
// over all rows of the cursor's anchor before it — quadratic where many
// accounts share one (a bulk import, or the benchmark's seed), which was
// most of a plan's time at 100,000 due. The select list's first column is
// the id and its eighth the anchor.
//
// Every row of the first arm comes before every row of the second (its
// anchor is the cursor's, theirs later), and each arm is read in order
// from its index. SQLite runs a UNION ALL's arms one after the other, so
// there the arms' order is the page's and the page is not sorted again
// (an ORDER BY over the two made SQLite sort each arm's rows in a
// temporary b-tree for a merge, on every page). PostgreSQL keeps the
// ORDER BY: a parallel Append may return its arms' rows interleaved.
func keysetPage(d Dialect, cols, from, where, anchor, id string, n int) string {
	p := func(i int) string { return "$" + strconv.Itoa(n+i) }
	order := ``
	if d != SQLite {
		order = ` ORDER BY 8, 1`
	}
	return `SELECT * FROM (SELECT ` + cols + ` FROM ` + from + `
			WHERE ` + where + ` AND ` + anchor + ` = ` + p(1) + ` AND ` + anchor + ` <= ` + p(0) + ` AND ` + id + ` > ` + p(2) + `
			ORDER BY ` + id + ` LIMIT ` + p(3) + `) AS due_at_cursor
		UNION ALL
		SELECT * FROM (SELECT ` + cols + ` FROM ` + from + `
			WHERE ` + where + ` AND ` + anchor + ` > ` + p(1) + ` AND ` + anchor + ` <= ` + p(0) + `
			ORDER BY ` + anchor + `, ` + id + ` LIMIT ` + p(3) + `) AS due_after_cursor` + order + `
		LIMIT ` + p(3)
}

// fillCounts sets Counts on each target: the subject's records per kind
// that still name them (has_any / has_none, R9, R10), and the account's
// newsletter subscription, which lives in its own table. One query per
// page, whatever its size.
func (r *Reader) fillCounts(ctx context.Context, fs []DueTarget) error {
	if len(fs) == 0 {
		return nil
	}
	idx := make(map[string][]int, len(fs))
	var subjects []string
	for i := range fs {
		// A map only for a target with records (most candidates of a
		// run have none): a missing kind counts as zero.
		fs[i].Counts = nil
		if _, seen := idx[fs[i].Subject]; !seen {
			subjects = append(subjects, fs[i].Subject)
		}
		idx[fs[i].Subject] = append(idx[fs[i].Subject], i)
	}
	// R9: "accounts without newsletter subscription". The sign-ups live in
	// newsletter_subscriptions under their own subject id, so an account
	// has one when a confirmed sign-up carries its address (email_key, as
	// both tables store it) and its newsletter consent was not withdrawn
	// since, or when the account itself gave newsletter consent in its
	// settings and did not withdraw it. Either counts as one
	// newsletter_subscription record of the account. One statement (both
	// parts share the ids parameter): a round trip less per batch.
	cond, args, err := r.batchIn(ctx, "subject_id", 1, subjects)
	if err != nil {
		return fmt.Errorf("store: record counts: %w", err)
	}
	acond, _, _ := r.batchIn(ctx, "a.id", 1, subjects)
	rows, err := r.hotRows(ctx, `SELECT subject_id, kind, COUNT(*) FROM records
		WHERE `+cond+` AND anonymised_at IS NULL GROUP BY subject_id, kind
		UNION ALL
		SELECT a.id, '`+NewsletterRecord+`', 1 FROM accounts a
		WHERE `+acond+` AND (
			EXISTS (SELECT 1 FROM newsletter_subscriptions n
				WHERE n.email_key = a.email_key AND n.confirmed_at IS NOT NULL
				AND COALESCE((SELECT c.given FROM consent_records c WHERE c.subject = n.id AND c.purpose = '`+newsletterPurpose+`'
					ORDER BY c.id DESC LIMIT 1), 1) = 1)
			OR (SELECT c.given FROM consent_records c WHERE c.subject = a.id AND c.purpose = '`+newsletterPurpose+`'
				ORDER BY c.id DESC LIMIT 1) = 1)`, args...)
	if err != nil {
		return fmt.Errorf("store: record counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var subject, kind string
		var n int
		if err := rows.Scan(&subject, &kind, &n); err != nil {
			return fmt.Errorf("store: record counts: %w", err)
		}
		for _, i := range idx[subject] {
			if fs[i].Counts == nil {
				fs[i].Counts = map[string]int{}
			}
			fs[i].Counts[kind] += n
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: record counts: %w", err)
	}
	return nil
}

// TargetFacts returns the facts of one target, for the "My data" page to
// ask the engine when it will be deleted: the account with id target when
// kind is "account", else the record with that id. Its organisation's
// overrides are the caller's (Store.Overrides).
func (s *Store) TargetFacts(ctx context.Context, kind, target string) (DueTarget, error) {
	var err error
	var f DueTarget
	var created int64
	var confirmed, login, activity sql.NullInt64
	if kind == account.RecordID {
		err = s.read.QueryRowContext(ctx, `SELECT id, organisation_id, created_at, confirmed_at, last_login_at, last_activity_at
			FROM accounts WHERE id = $1 AND anonymised_at IS NULL`, target).
			Scan(&f.Subject, &f.Organisation, &created, &confirmed, &login, &activity)
	} else {
		err = s.read.QueryRowContext(ctx, `SELECT r.subject_id, COALESCE(a.organisation_id, ''), r.created_at, r.confirmed_at, r.last_login_at, r.last_activity_at
			FROM records r LEFT JOIN accounts a ON a.id = r.subject_id WHERE r.id = $1 AND r.kind = $2 AND r.anonymised_at IS NULL`, target, kind).
			Scan(&f.Subject, &f.Organisation, &created, &confirmed, &login, &activity)
	}
	if isNoRows(err) {
		return f, steward.Errorf(steward.ENOTFOUND, "error.no_such_target", "kind", kind, "target", target)
	}
	if err != nil {
		return f, fmt.Errorf("store: facts of %s %s: %w", kind, target, err)
	}
	f.Kind, f.Target = kind, target
	f.CreatedAt = time.UnixMilli(created).UTC()
	f.Confirmed = confirmed.Valid
	f.LastLoginAt = fromNullMillis(login)
	f.LastActivityAt = fromNullMillis(activity)
	fs := []DueTarget{f}
	if err := s.fillCounts(ctx, fs); err != nil {
		return f, err
	}
	return fs[0], nil
}
