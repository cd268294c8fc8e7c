package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"steward"
	"steward/internal/wiring"
	"steward/policy"
	"steward/retention"
	"steward/retention/runner"
	"steward/store"
)

// retentionEnv is what the retention commands share: store, policy, runner.
type retentionEnv struct {
	store  *store.Store
	policy *policy.Policy
	runner *runner.Runner
	asOf   time.Time
}

// retentionFlags adds the flags plan and run share.
type retentionFlags struct {
	db, policy, asOf, rule *string
}

func (a *app) retentionFlags(fs *flag.FlagSet) retentionFlags {
	return retentionFlags{
		db:     a.dbFlag(fs),
		policy: a.policyFlag(fs),
		asOf:   fs.String("as-of", "", "evaluate as of this date (YYYY-MM-DD, start of day UTC); default now"),
		rule:   fs.String("rule", "", "only this retention rule: its id in the policy, or keep:KIND for records kept for a legal obligation (keep:invoice)"),
	}
}

// openRetention checks the flags before it touches the database (G3: bad
// input changes nothing), then opens store (with open), policy and runner.
func openRetention(ctx context.Context, a *app, open opener, f retentionFlags) (*retentionEnv, error) {
	asOf := a.clock.Now()
	if *f.asOf != "" {
		t, err := time.Parse(time.DateOnly, *f.asOf)
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.as_of_not_a_date", "as_of", *f.asOf)
		}
		asOf = t
	}
	p, err := loadPolicy(*f.policy)
	if err != nil {
		return nil, err
	}
	e, err := retention.New(p)
	if err != nil {
		return nil, err
	}
	var rules []string
	if *f.rule != "" {
		if err := runner.CheckRule(e, *f.rule); err != nil {
			return nil, err
		}
		rules = []string{*f.rule}
	}
	s, err := open(ctx, *f.db)
	if err != nil {
		return nil, err
	}
	// The rules of the policy in force as of the date (issue 20): a
	// version announced for later is followed from its effective date.
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock, At: asOf})
	if err == nil && *f.rule != "" {
		err = runner.CheckRule(svc.Retention.Engine, *f.rule)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return &retentionEnv{store: s, policy: svc.Policy, asOf: asOf, runner: svc.Retention.ForRules(rules...)}, nil
}

func runRetentionPlan(ctx context.Context, a *app, args []string) error {
	fs := a.flags("retention plan", "[--as-of YYYY-MM-DD] [--rule ID] [--format table|json]",
		"Shows what 'retention run' would do as of a date: per rule the number of\n"+
			"subjects to warn, delete, anonymise, waiting for a warning, and on legal hold;\n"+
			"then one line per subject with the reason. Changes nothing.")
	f := a.retentionFlags(fs)
	format := formatFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if err := format.check(); err != nil {
		return err
	}
	env, err := openRetention(ctx, a, a.openStore, f)
	if err != nil {
		return err
	}
	defer env.store.Close()
	rep, err := env.runner.Plan(ctx, env.asOf)
	if err != nil {
		return err
	}
	// The staff page's default order, so both list the plan alike.
	rep.Sort(runner.ByDue)
	if format.json() {
		return writePlanJSON(a.stdout, rep, env.policy)
	}
	writePlanTable(a.stdout, rep, env.policy, true)
	return nil
}

func runRetentionRun(ctx context.Context, a *app, args []string) error {
	fs := a.flags("retention run", "[--as-of YYYY-MM-DD] [--rule ID] [--batch N]",
		"Carries out the retention rules: warns first where the policy asks (Z9),\n"+
			"deletes and anonymises through the same erasure as a person's own request,\n"+
			"in batches of one transaction each with their audit entries. Stop it any\n"+
			"time; the next run continues. Only one run at a time across processes.")
	f := a.retentionFlags(fs)
	batch := fs.Int("batch", 0, fmt.Sprintf("subjects per transaction (default %d on SQLite, %d on PostgreSQL)", runner.DefaultBatchSQLite, runner.DefaultBatchPostgres))
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	gcPercentUnlessSet(batchGCPercent)
	if *batch < 0 || *batch > 10000 {
		return steward.FieldError("batch", "error.must_be_pool_size")
	}
	// A run acts on what is due now; as of a later date it would delete
	// before the policy's periods end and cut the warnings short (Z9).
	// Looking ahead is what plan is for.
	if *f.asOf != "" {
		if t, err := time.Parse(time.DateOnly, *f.asOf); err == nil && t.After(a.clock.Now()) {
			return steward.Errorf(steward.EINVALID, "error.as_of_in_future", "as_of", *f.asOf)
		}
	}
	env, err := openRetention(ctx, a, a.openStoreToChange, f)
	if err != nil {
		return err
	}
	defer env.store.Close()
	env.runner.Batch = *batch
	progress, finish := progressWriter(a.stderr)
	env.runner.Progress = progress
	rep, err := env.runner.RunAsOf(ctx, env.asOf)
	finish()
	if rep != nil {
		writePlanTable(a.stdout, rep, env.policy, false)
		fmt.Fprintf(a.stdout, "%d batches, %d candidates scanned\n", rep.Batches, rep.Scanned)
	}
	return err
}

// progressWriter reports a run's progress on w: on a terminal one line
// redrawn in place at every percent; elsewhere (cron, a log file) a line
// at every tenth, so a log is not filled with carriage returns. finish
// ends the line.
func progressWriter(w io.Writer) (progress func(done, total int64), finish func()) {
	tty := isTerminal(w)
	step := 10
	if tty {
		step = 1
	}
	last := -1
	progress = func(done, total int64) {
		pct := 100
		if total > 0 {
			pct = int(min(100, done*100/total))
		}
		if last >= 0 && pct/step == last/step {
			return
		}
		last = pct
		if tty {
			fmt.Fprintf(w, "\rretention: %3d%% (%d of %d candidates)", pct, done, total)
		} else {
			fmt.Fprintf(w, "retention: %3d%% (%d of %d candidates)\n", pct, done, total)
		}
	}
	finish = func() {
		if tty && last >= 0 {
			fmt.Fprintln(w)
		}
	}
	return progress, finish
}

// isTerminal tells whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// writePlanTable prints the counts per rule and, with items, one line per
// subject (a run lists only the subjects it skipped for a legal hold),
// its reason as the rule's id and the catalogue's English words.
func writePlanTable(w io.Writer, rep *runner.Report, p *policy.Policy, items bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "as of %s\nRULE\tWARN\tDELETE\tANONYMISE\tWAITING\tHELD\n", rep.AsOf.Format(time.DateOnly))
	for _, id := range rep.Rules {
		c := rep.PerRule[id]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", id, c.Warn, c.Delete, c.Anonymise, c.Wait, c.Held)
	}
	t := rep.Total()
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\n", t.Warn, t.Delete, t.Anonymise, t.Wait, t.Held)
	tw.Flush()
	if len(rep.Items) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OUTCOME\tKIND\tTARGET\tSUBJECT\tDUE\tREASON")
	for _, it := range rep.Items {
		if !items && it.Outcome != runner.Held {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.Outcome, it.Kind, it.Target, it.Subject, it.DueDate.Format(time.DateOnly), planReason(&it, p))
	}
	tw.Flush()
}

// planJSON is the JSON form of a plan, stable for scripts.
type planJSON struct {
	AsOf    string                   `json:"as_of"`
	PerRule map[string]runner.Counts `json:"per_rule"`
	Items   []planItemJSON           `json:"items"`
}

type planItemJSON struct {
	Rule     string `json:"rule"`
	Outcome  string `json:"outcome"`
	Kind     string `json:"kind"`
	Target   string `json:"target"`
	Subject  string `json:"subject"`
	Due      string `json:"due"`
	Warn     string `json:"warn,omitempty"`
	WarnedAt string `json:"warned_at,omitempty"`
	Reason   string `json:"reason"`
}

// planReason is an item's reason as the CLI prints it: the rule's id,
// then the reason in English from the catalogue.
func planReason(it *runner.Item, p *policy.Policy) string {
	return it.Rule + ": " + it.Reason.Words("en", p)
}

func writePlanJSON(w io.Writer, rep *runner.Report, p *policy.Policy) error {
	out := planJSON{AsOf: rep.AsOf.Format(time.DateOnly), PerRule: map[string]runner.Counts{}, Items: []planItemJSON{}}
	for id, c := range rep.PerRule {
		out.PerRule[id] = *c
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	for _, it := range rep.Items {
		out.Items = append(out.Items, planItemJSON{Rule: it.Rule, Outcome: string(it.Outcome), Kind: it.Kind, Target: it.Target,
			Subject: it.Subject, Due: day(it.DueDate), Warn: day(it.WarnDate), WarnedAt: day(it.WarnedAt), Reason: planReason(&it, p)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("retention plan: %w", err)
	}
	return nil
}
