// Package runner carries out the retention engine's decisions against the
// store (R9, R10, Z9, G2, G3): it plans (changing nothing) and runs, in
// batches of one transaction each with their audit entries, warning first
// where the policy asks, skipping subjects on legal hold, with one runner
// at a time across processes (a lease in the database).
//
// A run is resumable and idempotent without any bookkeeping of its own:
// every batch commits its actions, warnings and audit entries together, and
// what a batch did takes its subjects out of the next scan (deleted,
// anonymised, or warned with the warning row in place). Kill it anywhere
// and run it again: each subject is handled exactly once.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"steward"
	"steward/audit"
	"steward/clock"
	"steward/policy"
	"steward/retention"
	"steward/store"
)

// Outcome is what the runner does (or, in a plan, would do) with a target.
type Outcome string

// The outcomes, as plans and summaries name them.
const (
	Warn      Outcome = "warn"
	Delete    Outcome = "delete"
	Anonymise Outcome = "anonymise"
	// Wait: due, but the warning is not out long enough yet, or its mail
	// has not been sent (Z9: a failed mail postpones the action).
	Wait Outcome = "wait"
	// Held: on legal hold (restriction or open request), skipped.
	Held Outcome = "held"
)

// Item is one target in a plan: what happens, under which rule, and why.
type Item struct {
	Rule    string
	Kind    string
	Target  string
	Subject string
	Outcome Outcome
	DueDate time.Time
	// WarnDate is when the warning is (or was) due; zero without warning.
	WarnDate time.Time
	// WarnedAt is when a warning mail was enqueued, SentAt when it went
	// out; zero when none.
	WarnedAt, SentAt time.Time
	// Reason is the engine's reason, with the hold or the warning's state
	// as notes; Reason.Words writes it in a language.
	Reason retention.Reason
}

// Counts are per-rule totals.
type Counts struct {
	Warn      int `json:"warn"`
	Delete    int `json:"delete"`
	Anonymise int `json:"anonymise"`
	Wait      int `json:"wait"`
	Held      int `json:"held"`
}

// Total is the number of targets counted.
func (c Counts) Total() int { return c.Warn + c.Delete + c.Anonymise + c.Wait + c.Held }

func (c *Counts) add(o Outcome) {
	switch o {
	case Warn:
		c.Warn++
	case Delete:
		c.Delete++
	case Anonymise:
		c.Anonymise++
	case Wait:
		c.Wait++
	case Held:
		c.Held++
	}
}

// Report is a plan or the summary of a run.
type Report struct {
	AsOf time.Time
	// Rules lists the rules evaluated, in policy order.
	Rules []string
	// PerRule counts outcomes per rule id.
	PerRule map[string]*Counts
	// Items lists every target with an outcome (plans; a run keeps only
	// the held ones, to report them).
	Items []Item
	// Batches is the number of transactions a run committed.
	Batches int
	// Scanned is the number of candidates looked at.
	Scanned int64
}

// Total sums the counts of every rule.
func (r *Report) Total() Counts {
	var t Counts
	for _, c := range r.PerRule {
		t.Warn += c.Warn
		t.Delete += c.Delete
		t.Anonymise += c.Anonymise
		t.Wait += c.Wait
		t.Held += c.Held
	}
	return t
}

// ErrBusy means another runner holds the lease.
var ErrBusy = steward.Errorf(steward.ECONFLICT, "error.retention_run_in_progress")

// Runner plans and runs retention. Fields without a default must be set.
type Runner struct {
	Store  *store.Store
	Engine *retention.Engine
	Clock  clock.Clock
	// Audit records retention.warn, retention.delete and
	// retention.anonymise in each batch's transaction (G2).
	Audit *audit.Log
	// Holds finds legal holds; nil means none can exist.
	Holds retention.Holds
	// Batch is the number of candidates per transaction; 0 is BatchSize's
	// default for the store.
	Batch int
	// Rules limits the run or plan to these rule ids; empty means all.
	Rules []string
	// LeaseTTL is how long the lease lasts between renewals; default 5m.
	LeaseTTL time.Duration
	// Progress, when set, is told after every batch how many candidates
	// were scanned out of how many.
	Progress func(done, total int64)
	// AfterBatch, when set, runs after each committed batch; an error stops
	// the run (tests use it to kill a run after k batches).
	AfterBatch func(n int) error
	// Log gets ids and counts only, never personal values.
	Log *slog.Logger
	// holder names this runner in the lease.
	holder string
}

// The default batch sizes. SQLite has one writer: a batch of 1,000 holds
// it for tens of milliseconds, which a sign-up or login waiting behind it
// hardly notices. PostgreSQL locks only the rows a batch touches, and
// every statement is a round trip, so larger batches cost less per row.
const (
	DefaultBatchSQLite   = 1000
	DefaultBatchPostgres = 5000
)

// BatchSize is the number of candidates per transaction: Batch, or the
// default for the store's database.
func (r *Runner) BatchSize() int {
	switch {
	case r.Batch > 0:
		return r.Batch
	case r.Store.Dialect() == store.Postgres:
		return DefaultBatchPostgres
	}
	return DefaultBatchSQLite
}

func (r *Runner) batch() int { return r.BatchSize() }

func (r *Runner) leaseTTL() time.Duration {
	if r.LeaseTTL <= 0 {
		return 5 * time.Minute
	}
	return r.LeaseTTL
}

func (r *Runner) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// rules returns the rules to evaluate — the policy's, then the keep rules
// (keep.go) — checking --rule ids.
func (r *Runner) rules() ([]rule, error) {
	all := allRules(r.Engine)
	if len(r.Rules) == 0 {
		return all, nil
	}
	var out []rule
	for _, id := range r.Rules {
		if err := CheckRule(r.Engine, id); err != nil {
			return nil, err
		}
		for _, ru := range all {
			if ru.ID == id {
				out = append(out, ru)
			}
		}
	}
	return out, nil
}

// Plan reports what a run as of asOf would do, changing nothing: it reads
// outside any transaction, takes no lease, and explains every item.
func (r *Runner) Plan(ctx context.Context, asOf time.Time) (*Report, error) {
	sc, err := r.newScan(ctx, asOf)
	if err != nil {
		return nil, err
	}
	for i := range sc.rules {
		ru := &sc.rules[i]
		err := sc.eachPage(ctx, r, i, func(q store.DueQuery) (int, store.DueCursor, error) {
			page, next, err := r.Store.DueTargets(ctx, q)
			if err != nil {
				return 0, next, err
			}
			return len(page), next, r.planPage(ctx, sc, ru, page)
		}, nil)
		if err != nil {
			return sc.rep, err
		}
	}
	return sc.rep, nil
}

// Run carries out retention as of the clock's now; it is the hook 'serve
// --retention-interval' calls. It returns ErrBusy when another runner holds
// the lease.
func (r *Runner) Run(ctx context.Context) (*Report, error) {
	return r.RunAsOf(ctx, r.Clock.Now())
}

// RunAsOf carries out retention as of asOf: under the lease, each page of
// candidates is one transaction that renews the lease, carries the
// decisions out and writes their audit entries.
func (r *Runner) RunAsOf(ctx context.Context, asOf time.Time) (*Report, error) {
	var b [8]byte
	rand.Read(b[:])
	r.holder = "runner-" + hex.EncodeToString(b[:])
	ok, err := r.Store.AcquireLease(ctx, store.RetentionLeaseName, r.holder, r.Clock.Now(), r.leaseTTL())
	if err != nil {
		return nil, fmt.Errorf("retention: run: %w", err)
	}
	if !ok {
		return nil, ErrBusy
	}
	defer func() {
		// Release with a fresh context: a cancelled run still frees the lease.
		if err := r.Store.ReleaseLease(context.WithoutCancel(ctx), store.RetentionLeaseName, r.holder); err != nil {
			r.log().Error("retention: release lease", "err", err)
		}
	}()
	sc, err := r.newScan(ctx, asOf)
	if err != nil {
		return nil, err
	}
	for i := range sc.rules {
		ru := &sc.rules[i]
		err := sc.eachPage(ctx, r, i, func(q store.DueQuery) (n int, next store.DueCursor, err error) {
			err = r.Store.InErasureTx(ctx, func(tx *store.Tx) error {
				ok, err := tx.RenewLease(ctx, store.RetentionLeaseName, r.holder, r.Clock.Now(), r.leaseTTL())
				if err != nil {
					return err
				}
				if !ok {
					return errLeaseLost
				}
				page, nx, err := tx.DueTargets(ctx, q)
				if err != nil {
					return err
				}
				n, next = len(page), nx
				return r.runPage(ctx, tx, sc, ru, page)
			})
			return n, next, err
		}, func() error {
			sc.rep.Batches++
			if r.AfterBatch != nil {
				return r.AfterBatch(sc.rep.Batches)
			}
			return nil
		})
		if err != nil {
			return sc.rep, err
		}
	}
	// The total counted each rule's candidates up front; a subject that
	// is a candidate of two rules (IVM: an account without orders is one
	// of website_account_inactive and website_account_newsletter_only
	// until the facts decide) is erased by the first and gone for the
	// second. A finished run says so: 100% of what it scanned.
	if r.Progress != nil && sc.rep.Scanned < sc.total {
		r.Progress(sc.rep.Scanned, sc.rep.Scanned)
	}
	return sc.rep, nil
}

// errLeaseLost stops a run whose lease another runner took over.
var errLeaseLost = errors.New("retention: the lease was lost to another runner; stopping")

// scan is what a plan or run shares across its rules: the rules, each
// one's candidate cutoff, the contract overrides by organisation, and the
// report being filled.
type scan struct {
	asOf    time.Time
	rules   []rule
	cutoffs []time.Time
	byOrg   map[string][]retention.Override
	// total is the number of candidates of every rule, for Progress.
	total int64
	rep   *Report
}

// newScan reads the overrides and bounds each rule's candidates; with
// Progress set it counts them first.
func (r *Runner) newScan(ctx context.Context, asOf time.Time) (*scan, error) {
	rules, err := r.rules()
	if err != nil {
		return nil, err
	}
	stored, err := r.Store.Overrides(ctx, store.OverrideFilter{})
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	overrides := Overrides(stored)
	sc := &scan{asOf: asOf, rules: rules, cutoffs: make([]time.Time, len(rules)), byOrg: map[string][]retention.Override{},
		rep: &Report{AsOf: asOf, PerRule: map[string]*Counts{}}}
	for _, o := range overrides {
		sc.byOrg[o.Organisation] = append(sc.byOrg[o.Organisation], o)
	}
	for i, ru := range rules {
		sc.rep.Rules = append(sc.rep.Rules, ru.ID)
		sc.rep.PerRule[ru.ID] = &Counts{}
		sc.cutoffs[i] = candidateCutoff(ru.Rule, overrides, asOf)
		if r.Progress != nil {
			n, err := r.Store.CountDue(ctx, sc.query(i, 0))
			if err != nil {
				return nil, fmt.Errorf("retention: %w", err)
			}
			sc.total += n
		}
	}
	return sc, nil
}

// query is the scan of rule i's candidates, limit at a time.
func (sc *scan) query(i, limit int) store.DueQuery {
	ru := &sc.rules[i]
	return store.DueQuery{Kind: ru.Record, Since: ru.Since, Cutoff: sc.cutoffs[i], Limit: limit,
		After: store.DueCursor{Anchor: -1 << 62}, Confirmed: ru.Where.Confirmed, Kept: ru.Kept != nil}
}

// eachPage walks rule i's candidates in keyset pages: fetch reads (and, in
// a run, carries out) one page and returns its size and where it ended;
// committed, when set, runs after each page of a run that committed.
func (sc *scan) eachPage(ctx context.Context, r *Runner, i int, fetch func(store.DueQuery) (int, store.DueCursor, error), committed func() error) error {
	rep := sc.rep
	q := sc.query(i, r.batch())
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("retention: stopped after %d batches, %d candidates: %w", rep.Batches, rep.Scanned, err)
		}
		n, next, err := fetch(q)
		if err != nil {
			return fmt.Errorf("retention: rule %s: batch %d failed after %d candidates (the next run continues from here): %w",
				sc.rules[i].ID, rep.Batches+1, rep.Scanned, err)
		}
		if n == 0 {
			return nil
		}
		rep.Scanned += int64(n)
		if r.Progress != nil {
			r.Progress(rep.Scanned, sc.total)
		}
		if committed != nil {
			if err := committed(); err != nil {
				return err
			}
		}
		q.After = next
		if n < q.Limit {
			return nil
		}
	}
}

// candidateCutoff is the latest anchor a candidate of rule ru can have as
// of asOf: the rule's period or the shortest override in force, moved
// forward by the warning period for rules that warn, plus a day of margin
// for calendar clamping. The engine decides exactly; this only bounds the
// index scan, so its cost follows the due rows, not the table.
func candidateCutoff(ru *policy.Rule, overrides []retention.Override, asOf time.Time) time.Time {
	until := asOf
	if !ru.WarnBefore.IsZero() {
		until = ru.WarnBefore.AddTo(asOf)
	}
	cut := ru.Period.SubFrom(until)
	if ru.ContractOverride {
		for _, o := range overrides {
			if o.Rule == ru.ID && o.ValidAt(asOf) {
				if c := o.Period.SubFrom(until); c.After(cut) {
					cut = c
				}
			}
		}
	}
	return cut.AddDate(0, 0, 1)
}

// candidate is a target rule ru acts on or warns about now, with the
// decision that says so.
type candidate struct {
	f retention.Facts
	d retention.Decision
}

// outcome is what happens to a candidate: its plan item, and the warning
// already sent about it, if any.
type outcome struct {
	// *candidate points into the page's candidates: an outcome per
	// candidate without a copy of its facts and decision.
	*candidate
	it Item
	w  *store.Warning
}

// planPage decides one page of rule ru's candidates and adds every item,
// with its reason, to the plan.
func (r *Runner) planPage(ctx context.Context, sc *scan, ru *rule, page []store.DueTarget) error {
	cands, subjects := r.due(ru, page, sc, true)
	os, err := r.outcomes(ctx, r.Store, sc, ru, cands, subjects)
	if err != nil {
		return err
	}
	for _, o := range os {
		sc.rep.Items = append(sc.rep.Items, o.it)
	}
	return nil
}

// runPage decides one page of rule ru's candidates and carries the
// outcomes out in the page's transaction.
func (r *Runner) runPage(ctx context.Context, tx *store.Tx, sc *scan, ru *rule, page []store.DueTarget) error {
	// A run needs reasons only for what it reports (the held), so it
	// decides without words and explains the few it reports.
	cands, subjects := r.due(ru, page, sc, false)
	os, err := r.outcomes(ctx, tx, sc, ru, cands, subjects)
	if err != nil {
		return err
	}
	return r.act(ctx, tx, ru, os, sc.asOf)
}

// due decides each target of the page and keeps the ones rule ru itself
// acts on or warns about now, with their subjects; reasons says whether to
// explain each decision.
func (r *Runner) due(ru *rule, page []store.DueTarget, sc *scan, reasons bool) ([]candidate, []string) {
	cands := make([]candidate, 0, len(page))
	subjects := make([]string, 0, len(page))
	seen := make(map[string]bool, len(page))
	for _, t := range page {
		var d retention.Decision
		ok := true
		var f retention.Facts
		if ru.Kept != nil {
			f = Facts(t, nil)
			d = keepDecision(ru, &f, sc.asOf, reasons)
		} else {
			f = Facts(t, sc.byOrg[t.Organisation])
			d, ok = r.Engine.Decisive(&f, sc.asOf)
			if ok && reasons {
				d.Explain()
			}
		}
		// Another rule acts first on this target: its own scan handles it,
		// so a target is counted and acted on under one rule only.
		if !ok || d.Rule.ID != ru.ID || !(d.Due || d.WarnDue) {
			continue
		}
		cands = append(cands, candidate{f, d})
		if !seen[f.Subject] {
			seen[f.Subject] = true
			subjects = append(subjects, f.Subject)
		}
	}
	return cands, subjects
}

// pageReader reads what a page's outcomes depend on, the warnings sent
// about its targets and its subjects' legal holds: the store for a plan,
// the page's transaction for a run (which reads the holds from the table
// of the page's subjects its record counts filled,
// store.Reader.RestrictedSubjects).
type pageReader interface {
	retention.HoldFacts
	WarningsFor(ctx context.Context, kind string, targets []string) (map[string]map[string]store.Warning, error)
}

// outcomes decides what happens to each candidate: held subjects are
// skipped (and reported), a rule that warns follows its warning's state
// (warnState), the rest get the rule's action. Each outcome is counted
// under the rule; candidates with nothing to do yet are left out.
func (r *Runner) outcomes(ctx context.Context, wr pageReader, sc *scan, ru *rule, cands []candidate, subjects []string) ([]outcome, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	held := map[string]retention.Hold{}
	if r.Holds != nil {
		h, err := r.Holds.Held(ctx, wr, subjects)
		if err != nil {
			return nil, err
		}
		held = h
	}
	var warnings map[string]map[string]store.Warning
	if !ru.WarnBefore.IsZero() {
		targets := make([]string, len(cands))
		for i, c := range cands {
			targets[i] = c.f.Target
		}
		var err error
		if warnings, err = wr.WarningsFor(ctx, ru.Record, targets); err != nil {
			return nil, err
		}
	}
	counts := sc.rep.PerRule[ru.ID]
	out := make([]outcome, 0, len(cands))
	for i := range cands {
		c := &cands[i]
		it := Item{Rule: ru.ID, Kind: c.f.Kind, Target: c.f.Target, Subject: c.f.Subject,
			DueDate: c.d.DueDate, WarnDate: c.d.WarnDate, Reason: c.d.Reason}
		if why, ok := held[c.f.Subject]; ok {
			if it.Reason.IsZero() {
				it.Reason = explain(ru, &c.d)
			}
			it.Outcome = Held
			it.Reason = it.Reason.Note(retention.ReasonHeld, "hold", why)
			counts.add(Held)
			sc.rep.Items = append(sc.rep.Items, it)
			continue
		}
		it.Outcome = Outcome(ru.Action)
		var w *store.Warning
		if ww, ok := warnings[c.f.Target][ru.ID]; ok {
			w = &ww
			it.WarnedAt, it.SentAt = ww.WarnedAt, ww.SentAt
		}
		if !ru.WarnBefore.IsZero() {
			it.Outcome, it.Reason = warnState(ru.Rule, c.d, w, sc.asOf, it.Reason)
		} else if !c.d.Due {
			continue
		}
		if it.Outcome == "" {
			continue
		}
		counts.add(it.Outcome)
		out = append(out, outcome{c, it, w})
	}
	return out, nil
}

// act carries a page's outcomes out in its transaction. Erasures of whole
// subjects are gathered and carried out set-based: one EraseSubjects and
// one audit append per page; so are a keep rule's deletions.
func (r *Runner) act(ctx context.Context, tx *store.Tx, ru *rule, os []outcome, asOf time.Time) error {
	var erase, kept []retention.Facts
	if ru.Kept != nil {
		kept = make([]retention.Facts, 0, len(os))
	} else {
		erase = make([]retention.Facts, 0, len(os))
	}
	for _, o := range os {
		switch {
		case ru.Kept != nil:
			kept = append(kept, o.f)
		case (o.it.Outcome == Delete || o.it.Outcome == Anonymise) && erasesSubject(o.f.Kind):
			erase = append(erase, o.f)
		default:
			if err := r.carryOut(ctx, tx, ru.Rule, o.f, o.d, o.w, o.it.Outcome, asOf); err != nil {
				return fmt.Errorf("%s %s: %w", o.f.Kind, o.f.Target, err)
			}
		}
	}
	if len(kept) > 0 {
		return r.deleteKept(ctx, tx, kept)
	}
	if len(erase) > 0 {
		return r.eraseSubjects(ctx, tx, ru.Rule, erase, asOf)
	}
	return nil
}

// warnState decides a rule that warns first (Z9). The action happens only
// when a warning about the current anchor was sent at least WarnBefore
// before; a login moves the anchor and makes an old warning stale; a
// warning whose mail failed or vanished unsent is sent again, so a failed
// mail postpones the action and never skips the warning.
func warnState(ru *policy.Rule, d retention.Decision, w *store.Warning, asOf time.Time, reason retention.Reason) (Outcome, retention.Reason) {
	fresh := w != nil && w.AnchorAt.UnixMilli() == d.Anchor.UnixMilli()
	switch {
	case !fresh || w.MailStatus == store.MailFailed || (w.SentAt.IsZero() && w.MailStatus == ""):
		if !d.WarnDue {
			return "", reason
		}
		if fresh {
			return Warn, reason.Note(retention.ReasonWarnAgain)
		}
		return Warn, reason
	case w.SentAt.IsZero():
		return Wait, reason.Note(retention.ReasonWaitMail)
	}
	actAt := ru.WarnBefore.AddTo(w.SentAt)
	if actAt.Before(d.DueDate) {
		actAt = d.DueDate
	}
	if actAt.After(asOf) {
		return Wait, reason.Note(retention.ReasonWarned, "warned", w.SentAt, "acts", actAt)
	}
	return Outcome(ru.Action), reason
}
