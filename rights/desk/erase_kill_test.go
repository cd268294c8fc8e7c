package desk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/policy"
	"steward/rights/desk"
	"steward/store"
)

// The child process of TestEraseKilledHalfway is this test binary run again
// with eraseChildEnv set (as Go's os/exec tests re-exec themselves): it
// opens the same database, erases one person and is killed with SIGKILL by
// the parent at some point of that.
const (
	eraseChildEnv = "STEWARD_ERASE_CHILD" // the mode: "delay" or "hook"
	eraseDSNEnv   = "STEWARD_ERASE_DSN"
	eraseSiteEnv  = "STEWARD_ERASE_SITE"
	eraseWhoEnv   = "STEWARD_ERASE_SUBJECT"
	eraseKeyEnv   = "STEWARD_ERASE_AUDIT_KEY"
)

// TestEraseKilledHalfwayChild is the child's side; it does nothing in a
// normal test run.
func TestEraseKilledHalfwayChild(t *testing.T) {
	mode := os.Getenv(eraseChildEnv)
	if mode == "" {
		t.Skip("helper process of TestEraseKilledHalfway")
	}
	ctx := context.Background()
	s, err := store.Open(ctx, os.Getenv(eraseDSNEnv))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	signer, _, err := audit.LoadOrCreateKey(os.Getenv(eraseKeyEnv))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	s.SetAuditSigner(signer, 0)
	f := &fixture{s: s}
	f.clk = killClock()
	f.d = &desk.Desk{Store: s, Policy: testkit.Policy(t, os.Getenv(eraseSiteEnv)), Clock: f.clk, Zone: time.UTC}
	subject := os.Getenv(eraseWhoEnv)
	a, err := s.AccountByID(ctx, subject)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	actor := audit.SubjectActor(audit.Pseudonym(a.Pseudonym))
	switch mode {
	case "delay":
		// The parent kills at a random moment after this line.
		fmt.Println("ready")
		_, err = f.d.Erase(ctx, subject, actor)
	case "hook":
		// Every write of the erasure is done and the transaction is
		// still open when the parent is told, and kills.
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := f.d.EraseInTx(ctx, tx, subject, actor); err != nil {
				return err
			}
			fmt.Println("in-tx")
			select {}
		})
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("done")
	select {} // wait for the kill, as a real server would keep running
}

func killClock() *clock.Fixed { return clock.NewFixed(day("2026-03-10").Add(12 * time.Hour)) }

// TestEraseKilledHalfway kills an erasure with SIGKILL (G3: no crash
// half-applies data) — inside its transaction after every write, and at
// random moments — and checks on both stores that the person is either
// fully intact or fully erased/anonymised in every table, and that the
// audit log still verifies (G2).
func TestEraseKilledHalfway(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			for _, site := range []string{"ivm", "zorginspirator"} {
				t.Run(site, func(t *testing.T) {
					outcomes := map[string]int{}
					for trial := range 4 {
						mode := "delay"
						if trial == 0 {
							mode = "hook"
						}
						outcomes[killTrial(t, backend, site, mode)]++
					}
					t.Logf("outcomes after SIGKILL: %v", outcomes)
				})
			}
		})
	}
}

// killTrial populates a person on a fresh database, starts the child,
// kills it and checks the person; it returns "intact" or "erased".
func killTrial(t *testing.T, backend, site, mode string) string {
	t.Helper()
	ctx := context.Background()
	dsn := testkit.SQLiteDSN(t)
	if backend == "postgres" {
		dsn = testkit.PostgresDSN(t)
	}
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(t.TempDir(), "audit.key")
	signer, _, err := audit.LoadOrCreateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	s.SetAuditSigner(signer, 0)
	f := newFixture(t, s, site, "2026-03-10")
	values := f.populate(t)
	bulk(t, f, 1500) // enough rows that a random kill can land mid-way
	before := snapshot(t, f)

	cmd := exec.Command(os.Args[0], "-test.run=^TestEraseKilledHalfwayChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), eraseChildEnv+"="+mode, eraseDSNEnv+"="+dsn, eraseSiteEnv+"="+site,
		eraseWhoEnv+"="+f.person.ID, eraseKeyEnv+"="+keyPath)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	wait := func(want string) {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok || l != want {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child said %q (open %v), want %q", l, ok, want)
			}
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child never said %q", want)
		}
	}
	switch mode {
	case "hook":
		wait("in-tx")
	case "delay":
		wait("ready")
		time.Sleep(time.Duration(rand.IntN(60_000)) * time.Microsecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v", err)
	}

	// Read the database afresh, as a restarted server would.
	s.Close()
	s, err = store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetAuditSigner(signer, 0)
	f.s, f.d.Store = s, s
	testkit.AssertAuditVerifies(t, s, signer)

	var st store.SubjectState
	err = s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		st, err = tx.SubjectState(ctx, f.person.ID)
		return err
	})
	if err == nil && !st.Erased {
		if after := snapshot(t, f); after != before {
			t.Fatalf("after SIGKILL the person is neither intact nor erased:\nbefore %s\nafter  %s", before, after)
		}
		if n := erasureEntries(t, s); n != 0 {
			t.Fatalf("person intact but %d erasure entries in the audit log", n)
		}
		return "intact"
	}
	if err != nil && steward.ErrorCode(err) != steward.ENOTFOUND {
		t.Fatal(err)
	}
	if mode == "hook" {
		t.Fatal("killed before commit, yet the erasure is there")
	}
	// Erased: every table is free of the person's values, except what the
	// policy keeps for a legal obligation (IVM orders), and the audit log
	// holds its one entry.
	needles := []string{f.person.Email, f.person.Pseudonym}
	kept := map[string]bool{}
	for _, r := range f.d.Policy.Records {
		if r.Erasure == policy.EraseKeep {
			kept["rec-"+r.ID+"-"] = true
		}
	}
	for _, v := range values {
		keep := false
		for prefix := range kept {
			keep = keep || strings.HasPrefix(v, prefix)
		}
		if !keep {
			needles = append(needles, v)
		}
	}
	if len(kept) == 0 {
		needles = append(needles, f.person.ID)
	}
	scanAllTables(t, s, needles, map[string]bool{
		"accounts.id": true, "accounts.email_key": true,
		"audit_log.object_id": true, "audit_log.subject": true, "audit_log.actor": true,
		"requests.subject_pseudonym": true,
		// So does a disclosure: proof of what went where (R7, Art. 5(2)).
		"disclosures.subject_pseudonym": true,
		// The policy's generalised statistics fields, linked to no one (Z9).
		"anonymised_statistics.stat_attributes": true,
	})
	var mails int
	if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE subject_id = $1`, f.person.ID).Scan(&mails); err != nil {
		t.Fatal(err)
	}
	if mails != 0 {
		t.Errorf("erased, yet %d mails for the person remain in the outbox", mails)
	}
	if n := erasureEntries(t, s); n != 1 {
		t.Fatalf("erased with %d erasure entries in the audit log, want 1", n)
	}
	return "erased"
}

// bulk adds n records of the policy's account kinds to the person.
func bulk(t *testing.T, f *fixture, n int) {
	t.Helper()
	profile := map[string]bool{}
	for _, r := range account.ProfileRecords(f.d.Policy) {
		profile[r.ID] = true
	}
	var kinds []string
	for _, r := range f.d.Policy.Records {
		if r.Subject == policy.SubjectAccount && r.ID != "account" && r.ID != "consent" && !profile[r.ID] {
			kinds = append(kinds, r.ID)
		}
	}
	err := f.s.InTx(context.Background(), func(tx *store.Tx) error {
		for i := range n {
			k := kinds[i%len(kinds)]
			if err := tx.InsertRecord(context.Background(), f.d.Policy, &store.Record{Subject: f.person.ID, Kind: k, CreatedAt: f.clk.Now().AddDate(0, 0, -i%300)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot is everything the person's "My data" shows, plus their mails in
// the outbox and live sessions: equal snapshots mean an intact person.
func snapshot(t *testing.T, f *fixture) string {
	t.Helper()
	ctx := context.Background()
	ov, err := f.d.Collect(ctx, f.person.ID, desk.CollectOptions{})
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	b, err := json.Marshal(ov)
	if err != nil {
		t.Fatal(err)
	}
	var mails int
	if err := f.s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE subject_id = $1`, f.person.ID).Scan(&mails); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("outbox=%d %s", mails, b)
}

// erasureEntries counts the account erasure entries in the audit log.
func erasureEntries(t *testing.T, s *store.Store) int {
	t.Helper()
	n := 0
	for _, e := range testkit.AuditSince(t, s, 0) {
		if e.Action == audit.AccountErase || e.Action == audit.AccountAnonymise {
			n++
		}
	}
	return n
}
