package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"steward"
	"steward/audit"
	"steward/store"
)

const auditBenchAbout = `Measures the audit log on a scratch database: appending in batches, appending
one entry per transaction, and verifying everything appended. Without --db it
uses a new SQLite file in a temporary directory, removed afterwards. A --db
must have an empty audit log: the benchmark never writes into a real one.
Issue 5's goals on SQLite: 50,000 entries/s batched, 5,000/s single, and
1,000,000 entries verified in under a second.`

func runAuditBench(ctx context.Context, a *app, args []string) error {
	fs := a.flags("audit bench", "--entries N [--batch B] [--single M] [--db DSN]", auditBenchAbout)
	entries := fs.Int("entries", 100_000, "entries appended in batches (then verified)")
	batch := fs.Int("batch", 1000, "entries per transaction when batched")
	single := fs.Int("single", 5000, "entries appended one per transaction")
	db := fs.String("db", "", "scratch database (default: a temporary SQLite file)")
	subjects := fs.Int("subjects", 10_000, "distinct subjects the entries are about (0: a new one for every entry, the worst case for the subject index)")
	cpuProfile := fs.String("cpuprofile", "", "write CPU profiles of the single appends and of verify to this path with .single and .verify added (go tool pprof)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *entries < 0 || *single < 0 || *batch < 1 || *subjects < 0 {
		return steward.FieldError("entries", "error.entries_single_and_subjects")
	}
	// As 'audit verify' runs.
	gcPercentUnlessSet(batchGCPercent)
	dir, err := os.MkdirTemp("", "steward-audit-bench-")
	if err != nil {
		return fmt.Errorf("audit bench: %w", err)
	}
	defer os.RemoveAll(dir)
	dsn := *db
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(dir, "bench.db")
	}
	s, err := a.openScratch(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	if h, err := s.Audit().Head(ctx); err != nil {
		return err
	} else if h.Seq != 0 {
		return steward.Errorf(steward.ECONFLICT, "error.already_has_audit_entries", "redacted", s.Redacted(), "seq", h.Seq)
	}
	signer, err := useScratchAuditKey(s)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "audit bench on %s\n", s.Redacted())

	now := a.clock.Now()
	pool := make([]audit.Pseudonym, *subjects)
	for i := range pool {
		pool[i] = audit.NewPseudonym()
	}
	mk := func(i int) audit.Entry {
		subject := audit.NewPseudonym()
		if len(pool) > 0 {
			subject = pool[i%len(pool)]
		}
		return audit.Entry{Time: now, Actor: audit.System("bench"), Action: audit.ProfileUpdate,
			ObjectKind: "account", ObjectID: "a_" + strconv.Itoa(i), Subject: subject,
			Fields: []string{"first_name", "last_name"}, PolicyVersion: "bench", RequestID: "bench-" + strconv.Itoa(i)}
	}
	appendTx := func(from, n int) error {
		return s.InTx(ctx, func(tx *store.Tx) error {
			for i := from; i < from+n; i++ {
				if err := tx.AppendAudit(mk(i)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	// Each phase reports the CPU this process used too (user and system,
	// both cores): on a shared machine the wall clock moves with the
	// neighbours' load, the CPU an entry costs much less. On PostgreSQL
	// the server's CPU is not in it.
	var cpu time.Duration
	report := func(what string, n int, took time.Duration) {
		used := processCPU() - cpu
		fmt.Fprintf(a.stdout, "%-34s %9d entries in %8s = %9.0f entries/s, %6.1f CPU-µs each\n", what, n, took.Round(time.Millisecond),
			float64(n)/took.Seconds(), float64(used.Microseconds())/float64(max(n, 1)))
	}

	start, cpu := time.Now(), processCPU()
	for i := 0; i < *entries; i += *batch {
		if err := appendTx(i, min(*batch, *entries-i)); err != nil {
			return err
		}
	}
	report(fmt.Sprintf("append, %d per transaction", *batch), *entries, time.Since(start))

	stop, err := startProfile(*cpuProfile, ".single")
	if err != nil {
		return err
	}
	start, cpu = time.Now(), processCPU()
	// Each entry in a transaction of its own with nothing else in it, as
	// an export's download or a staff view of no one's record is
	// audited: store.AppendAudit, InTx with only the entry.
	for i := range *single {
		if err := s.AppendAudit(ctx, mk(*entries+i)); err != nil {
			return err
		}
	}
	report("append, 1 per transaction", *single, time.Since(start))
	stop()

	if stop, err = startProfile(*cpuProfile, ".verify"); err != nil {
		return err
	}
	defer stop()
	start, cpu = time.Now(), processCPU()
	r, err := audit.Verify(ctx, s.Audit(), audit.VerifyOptions{Key: signer.Public(), CheckpointEvery: audit.DefaultCheckpointEvery})
	if err != nil {
		return err
	}
	if r.Broken != nil {
		return fmt.Errorf("audit bench: the log it wrote is broken at %s", r.Broken)
	}
	report("verify", int(r.Checked), time.Since(start))
	return nil
}

// startProfile starts a CPU profile written to path+suffix, and returns
// what stops it; without a path it does nothing.
func startProfile(path, suffix string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path + suffix)
	if err != nil {
		return nil, steward.Errorf(steward.EINVALID, "error.cpuprofile", "err", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit bench: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// useScratchAuditKey makes s sign its audit checkpoints with a new key held
// only in memory: a benchmark's entries are thrown away, and it must not
// write (or need) the site's key file.
func useScratchAuditKey(s *store.Store) (*audit.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("bench: audit key: %w", err)
	}
	signer := audit.NewSigner(priv)
	s.SetAuditSigner(signer, audit.DefaultCheckpointEvery)
	return signer, nil
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
