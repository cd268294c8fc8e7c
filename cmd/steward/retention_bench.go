package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"steward"
	"steward/clock"
	"steward/retention"
	"steward/store"
)

// runRetentionBench seeds --accounts website accounts of which --due are
// idle (due under the IVM rule website_account_inactive as of 2024-06-01),
// times plan and run, then seeds the same number of due rows again and times
// the hand-written DELETE that removes them. Kept out of the test runs: it
// is a command an operator starts on an empty database.
func runRetentionBench(ctx context.Context, a *app, args []string) error {
	fs := a.flags("retention bench", "--db DSN [--accounts N] [--due M] [--batch N]",
		"Seeds accounts into an EMPTY database and times retention plan, run and a bare\nSQL DELETE of the same due rows. Prints one line per measurement.")
	db := a.dbFlag(fs)
	pol := a.policyFlag(fs)
	total := fs.Int("accounts", 1000000, "accounts to seed")
	due := fs.Int("due", 100000, "of which due")
	batch := fs.Int("batch", 0, "subjects per transaction (default: the runner's for the database)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of plan and run to this file (go tool pprof)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *due > *total || *due < 0 {
		return steward.FieldError("due", "error.must_be_between_0")
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	e, err := retention.New(p)
	if err != nil {
		return err
	}
	if _, err := e.Rule("website_account_inactive"); err != nil {
		return err
	}
	s, err := a.openScratch(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := useScratchAuditKey(s); err != nil {
		return err
	}
	var n int64
	if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil || n > 0 {
		return steward.Errorf(steward.EINVALID, "error.retention_bench_needs_empty", "n", n)
	}
	asOf := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	t0 := time.Now()
	if err := benchSeed(ctx, s, "a", *total-*due, asOf.AddDate(0, -1, 0)); err != nil {
		return err
	}
	if err := benchSeed(ctx, s, "d", *due, asOf.AddDate(-3, 0, 0)); err != nil {
		return err
	}
	// PostgreSQL plans by its statistics, which autovacuum keeps current
	// on a table that grows as sites do; after a bulk load of a million
	// rows they still describe an empty table until it gets round to it.
	if err := benchAnalyze(ctx, s); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: seeded %d accounts (%d due) in %s\n", s.Dialect(), *total, *due, time.Since(t0).Round(time.Millisecond))

	r, err := newRetentionRunner(s, p, clock.NewFixed(asOf), []string{"website_account_inactive"})
	if err != nil {
		return err
	}
	r.Batch = *batch
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return steward.Errorf(steward.EINVALID, "error.cpuprofile", "err", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("retention bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	t0 = time.Now()
	plan, err := r.Plan(ctx, asOf)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: plan: %d to delete in %s\n", s.Dialect(), plan.Total().Delete, time.Since(t0).Round(time.Millisecond))
	t0, cpu0 := time.Now(), processCPU()
	rep, err := r.RunAsOf(ctx, asOf)
	if err != nil {
		return err
	}
	runTime, runCPU := time.Since(t0), processCPU()-cpu0
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Fprintf(a.stdout, "%s: run: %d deleted with audit entries in %d batches of %d in %s (%.0f rows/s), %s CPU\n", s.Dialect(),
		rep.Total().Delete, rep.Batches, r.BatchSize(), runTime.Round(time.Millisecond), float64(rep.Total().Delete)/runTime.Seconds(),
		runCPU.Round(time.Millisecond))

	if err := benchSeed(ctx, s, "e", *due, asOf.AddDate(-3, 0, 0)); err != nil {
		return err
	}
	if err := benchAnalyze(ctx, s); err != nil {
		return err
	}
	cut := asOf.AddDate(-1, 0, 0).UnixMilli()
	t0, cpu0 = time.Now(), processCPU()
	var deleted int64
	err = s.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE anonymised_at IS NULL AND role = ''
			AND COALESCE(last_login_at, created_at) <= $1
			AND NOT EXISTS (SELECT 1 FROM records r WHERE r.subject_id = accounts.id AND r.kind IN ('order', 'download'))
			AND NOT EXISTS (SELECT 1 FROM newsletter_subscriptions n WHERE n.email_key = accounts.email_key AND n.confirmed_at IS NOT NULL)`, cut)
		if err != nil {
			return err
		}
		deleted, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("retention bench: bare delete: %w", err)
	}
	bare, bareCPU := time.Since(t0), processCPU()-cpu0
	// On SQLite the database runs in this process, so the CPU ratio is the
	// whole work's; on PostgreSQL the server does the DELETE's work, and
	// a ratio of the client's CPU would mean nothing.
	cpuRatio := ""
	if s.Dialect() == store.SQLite {
		cpuRatio = fmt.Sprintf(", CPU %.1fx", runCPU.Seconds()/max(bareCPU.Seconds(), 1e-9))
	}
	fmt.Fprintf(a.stdout, "%s: bare SQL DELETE: %d deleted in %s, %s CPU (run/bare = %.1fx%s)\n", s.Dialect(), deleted,
		bare.Round(time.Millisecond), bareCPU.Round(time.Millisecond), runTime.Seconds()/bare.Seconds(), cpuRatio)
	return nil
}

// benchSeed inserts n accounts with ids prefix+number, last login at login,
// in transactions of 50,000 rows generated by the database itself.
func benchSeed(ctx context.Context, s *store.Store, prefix string, n int, login time.Time) error {
	const chunk = 50000
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		series := `WITH RECURSIVE seq(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < $2) SELECT i FROM seq`
		pad := `printf('%032d', i)`
		if s.Dialect() == store.Postgres {
			series = `SELECT i FROM generate_series($1::bigint, $2::bigint - 1) AS i`
			pad = `lpad(i::text, 32, '0')`
		}
		q := `INSERT INTO accounts (id, email, email_key, pseudonym, created_at, confirmed_at, last_login_at, last_activity_at)
			SELECT '` + prefix + `_' || i, '` + prefix + `' || i || '@example.org', '` + prefix + `' || i || '@example.org',
				'ps_` + prefix + `' || substr(` + pad + `, 2), $3, $3, $4, $4 FROM (` + series + `) AS s`
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, q, start, end, login.AddDate(-1, 0, 0).UnixMilli(), login.UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("retention bench: seed: %w", err)
		}
	}
	return nil
}

// benchAnalyze brings PostgreSQL's statistics up to date after seeding, as
// autovacuum would; SQLite plans by its indexes alone and is left as is.
func benchAnalyze(ctx context.Context, s *store.Store) error {
	if s.Dialect() != store.Postgres {
		return nil
	}
	if _, err := s.Read().ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("retention bench: analyze: %w", err)
	}
	return nil
}
