package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"steward"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

// entry returns a valid entry number i, varied enough that every column
// takes part in the hash.
func entry(i int) audit.Entry {
	acts := []audit.Action{audit.ProfileUpdate, audit.ConsentWithdraw, audit.StaffView, audit.RetentionAnonymise}
	return audit.Entry{
		Time:          t0.Add(time.Duration(i) * time.Second),
		Actor:         audit.Staff("s" + strconv.Itoa(i%3)),
		Action:        acts[i%len(acts)],
		ObjectKind:    "account",
		ObjectID:      "a_" + strconv.Itoa(i),
		Subject:       audit.Pseudonym(fmt.Sprintf("ps_%032x", i%7)),
		Fields:        []string{"last_name", "first_name"},
		PolicyVersion: "2024-02-08",
		RequestID:     "req-" + strconv.Itoa(i),
	}
}

func appendN(t testing.TB, s *store.Store, from, n int) {
	t.Helper()
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		for i := from; i < from+n; i++ {
			if err := tx.AppendAudit(entry(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func verify(t testing.TB, s *store.Store, signer *audit.Signer, opt audit.VerifyOptions) *audit.Report {
	t.Helper()
	if signer != nil {
		opt.Key = signer.Public()
	}
	r, err := audit.Verify(context.Background(), s.Audit(), opt)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

func TestAuditAppendsAChainThatVerifies(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		signer := testkit.AuditSigner(t, s, 4)
		r := verify(t, s, signer, audit.VerifyOptions{CheckpointEvery: 4})
		if r.Broken != nil || r.Checked != 0 {
			t.Fatalf("empty log: %+v, want intact with 0 checked", r)
		}
		appendN(t, s, 1, 3)
		since := testkit.AuditHead(t, s)
		appendN(t, s, 4, 7)
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.ProfileUpdate, ObjectKind: "account", ObjectID: "a_4", Fields: []string{"last_name", "first_name"}},
			testkit.AuditWant{Action: audit.ConsentWithdraw},
			testkit.AuditWant{Action: audit.StaffView, Actor: audit.Staff("s0")},
			testkit.AuditWant{Action: audit.RetentionAnonymise},
			testkit.AuditWant{Action: audit.ProfileUpdate},
			testkit.AuditWant{Action: audit.ConsentWithdraw},
			testkit.AuditWant{Action: audit.StaffView, Subject: audit.Pseudonym(fmt.Sprintf("ps_%032x", 10%7))},
		)
		r = verify(t, s, signer, audit.VerifyOptions{CheckpointEvery: 4})
		if r.Broken != nil || r.Checked != 10 || r.Head.Seq != 10 || r.Checkpoints != 2 {
			t.Fatalf("got %+v (broken %v), want 10 checked, head 10, 2 checkpoints, intact", r, r.Broken)
		}
		r = verify(t, s, signer, audit.VerifyOptions{From: 6})
		if r.Broken != nil || r.Checked != 5 {
			t.Fatalf("--from 6: got %+v, want 5 checked", r)
		}
	})
}

func TestAuditEntryAndChangeCommitOrRollBackTogether(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		testkit.AuditSigner(t, s, 0)
		boom := errors.New("boom")
		change := func(tx *store.Tx, site string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (site_id, version, dated, sha256, first_seen) VALUES ($1, '1', '2024-01-01', 'h', 1)`, site)
			return err
		}
		// The transaction fails after both the change and its entry.
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := change(tx, "x"); err != nil {
				return err
			}
			if err := tx.AppendAudit(entry(1)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		// An invalid entry fails the transaction that made the change.
		bad := entry(2)
		bad.Action = "profile.updated"
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if err := change(tx, "y"); err != nil {
				return err
			}
			return tx.AppendAudit(bad)
		})
		if steward.ErrorCode(err) != steward.EINVALID {
			t.Fatalf("unknown action: err = %v, want invalid", err)
		}
		// Linking fails at commit (entry 1 is already taken): the change goes too.
		if _, err := s.Read().ExecContext(ctx, `SELECT 1`); err != nil {
			t.Fatal(err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (`+
				`seq, at, actor, action, object_kind, object_id, subject, fields, policy_version, request_id, format, prev_hash, hash)`+
				` VALUES (1, 0, '', '', '', '', '', '', '', '', 1, $1, $1)`, make([]byte, 32))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if err := change(tx, "z"); err != nil {
				return err
			}
			return tx.AppendAudit(entry(3))
		})
		if err == nil {
			t.Fatal("append over an existing entry 1 committed")
		}
		for _, site := range []string{"x", "y", "z"} {
			if got, _ := s.PolicyVersions(ctx, site); len(got) != 0 {
				t.Errorf("site %s: the change committed without its audit entry", site)
			}
		}
		var n int
		if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audit_log has %d rows (%v), want only the planted one", n, err)
		}
	})
}

func TestAuditRejectsValuesAndUnknownActions(t *testing.T) {
	bad := map[string]func(*audit.Entry){
		"unknown_action":           func(e *audit.Entry) { e.Action = "account.delete" },
		"empty_action":             func(e *audit.Entry) { e.Action = "" },
		"email_as_object_id":       func(e *audit.Entry) { e.ObjectID = "jan@example.nl" },
		"name_as_object_id":        func(e *audit.Entry) { e.ObjectID = "Jan Jansen" },
		"value_in_field_names":     func(e *audit.Entry) { e.Fields = []string{"first_name=Jan"} },
		"capitalised_field_name":   func(e *audit.Entry) { e.Fields = []string{"Postcode"} },
		"email_as_subject":         func(e *audit.Entry) { e.Subject = "jan@example.nl" },
		"email_as_staff_actor":     func(e *audit.Entry) { e.Actor = "staff:piet@ivm.nl" },
		"email_as_subject_actor":   func(e *audit.Entry) { e.Actor = "subject:jan@example.nl" },
		"unknown_actor_kind":       func(e *audit.Entry) { e.Actor = "user:1" },
		"space_in_request_id":      func(e *audit.Entry) { e.RequestID = "req 1" },
		"accent_in_object_id":      func(e *audit.Entry) { e.ObjectID = "José" },
		"tab_in_policy_version":    func(e *audit.Entry) { e.PolicyVersion = "1\t2" },
		"object_id_without_kind":   func(e *audit.Entry) { e.ObjectKind = "" },
		"overlong_object_id":       func(e *audit.Entry) { e.ObjectID = strings.Repeat("a", 129) },
		"no_time":                  func(e *audit.Entry) { e.Time = time.Time{} },
		"system_job_with_spaces":   func(e *audit.Entry) { e.Actor = "system:nightly run" },
		"newline_in_request_id":    func(e *audit.Entry) { e.RequestID = "a\nb" },
		"email_in_field_with_dots": func(e *audit.Entry) { e.Fields = []string{"jan@example.nl"} },
	}
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		for name, spoil := range bad {
			t.Run(name, func(t *testing.T) {
				e := entry(1)
				spoil(&e)
				err := s.InTx(context.Background(), func(tx *store.Tx) error { return tx.AppendAudit(e) })
				if steward.ErrorCode(err) != steward.EINVALID {
					t.Fatalf("err = %v, want invalid", err)
				}
			})
		}
		if h := testkit.AuditHead(t, s); h != 0 {
			t.Fatalf("rejected entries left %d entries", h)
		}
	})
}

func TestAuditListFiltersAndPages(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		appendN(t, s, 1, 40)
		subj := audit.Pseudonym(fmt.Sprintf("ps_%032x", 3))
		var seqs []uint64
		page := audit.Page{Limit: 2}
		for {
			got, next, err := s.Audit().List(ctx, audit.Filter{Subject: subj}, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range got {
				if e.Subject != subj {
					t.Fatalf("entry %d has subject %s", e.Seq, e.Subject)
				}
				seqs = append(seqs, e.Seq)
			}
			if next.Before == 0 {
				break
			}
			page = next
		}
		want := []uint64{38, 31, 24, 17, 10, 3}
		if fmt.Sprint(seqs) != fmt.Sprint(want) {
			t.Fatalf("pages of subject 3: %v, want %v", seqs, want)
		}
		got, _, err := s.Audit().List(ctx, audit.Filter{Action: audit.StaffView, Actor: audit.Staff("s0"),
			From: t0.Add(10 * time.Second), To: t0.Add(30 * time.Second)}, audit.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		seqs = nil
		for _, e := range got {
			seqs = append(seqs, e.Seq)
		}
		// staff.view: i%4==2; actor s0: i%3==0; time in [10s,30s): seq 10..29.
		if fmt.Sprint(seqs) != "[18]" {
			t.Fatalf("filtered list: %v, want [18]", seqs)
		}
	})
}

// TestAuditListBySubjectAcrossEpochs: audit_log_subject leads with the
// entry's epoch of 4096 entries (migration 0011); a person's entries
// spread over several epochs, mixed with thousands of others, still come
// newest first, page by page, with the other filters applied.
func TestAuditListBySubjectAcrossEpochs(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		anna := audit.NewPseudonym()
		var want, wantViews []uint64
		const n = 10_000
		for from := 0; from < n; from += 2500 {
			err := s.InTx(ctx, func(tx *store.Tx) error {
				for i := from; i < from+2500; i++ {
					e := entry(i)
					e.Subject = audit.NewPseudonym()
					// Anna at both sides of every epoch boundary and in between.
					if i%4096 == 4095 || i%4096 == 0 || i%1000 == 502 {
						e.Subject = anna
						want = append(want, uint64(i+1))
						if e.Action == audit.StaffView {
							wantViews = append(wantViews, uint64(i+1))
						}
					}
					if err := tx.AppendAudit(e); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Batches of 2500 are written as INSERTs of 256, 128, 64 and 4 rows.
		if r := verify(t, s, nil, audit.VerifyOptions{}); r.Broken != nil || r.Checked != n {
			t.Fatalf("verify: %+v", r)
		}
		slices.Reverse(want)
		slices.Reverse(wantViews)
		list := func(f audit.Filter, limit int) []uint64 {
			t.Helper()
			var got []uint64
			page := audit.Page{Limit: limit}
			for range 100 {
				entries, next, err := s.Audit().List(ctx, f, page)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					got = append(got, e.Seq)
				}
				if next.Before == 0 {
					return got
				}
				page = next
			}
			t.Fatal("paging does not end")
			return nil
		}
		for _, limit := range []int{1, 3, 50} {
			if got := list(audit.Filter{Subject: anna}, limit); !slices.Equal(got, want) {
				t.Fatalf("pages of %d: %v, want %v", limit, got, want)
			}
		}
		if got := list(audit.Filter{Subject: anna, Action: audit.StaffView}, 2); !slices.Equal(got, wantViews) || len(wantViews) == 0 {
			t.Fatalf("staff views of anna: %v, want %v", got, wantViews)
		}
		if got := list(audit.Filter{Subject: audit.NewPseudonym()}, 10); len(got) != 0 {
			t.Fatalf("a stranger has entries %v", got)
		}
		if got, _, _ := s.Audit().List(ctx, audit.Filter{Subject: anna}, audit.Page{Before: 4097, Limit: 500}); len(got) == 0 || got[0].Seq != 4096 {
			t.Fatalf("before the second epoch: %v", got)
		}
	})
}

// TestAuditConcurrentAppendsStayLinear appends from many goroutines through
// two separately opened Stores and from a second process, all on the same
// database, and checks the chain has no gap and no fork (issue 5).
func TestAuditConcurrentAppendsStayLinear(t *testing.T) {
	const goroutines, txs, perTx = 8, 15, 3
	forEachDSN(t, func(t *testing.T, dsn string) {
		s := openMigrated(t, dsn)
		key := t.TempDir() + "/audit.key"
		signer, _, err := audit.LoadOrCreateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		s.SetAuditSigner(signer, 10)
		other, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		other.SetAuditSigner(signer, 10)

		child := exec.Command(os.Args[0], "-test.run=^TestAuditHelperProcess$", "-test.count=1")
		child.Env = append(os.Environ(), "STEWARD_AUDIT_HELPER_DSN="+dsn, "STEWARD_AUDIT_HELPER_KEY="+key)
		var out strings.Builder
		child.Stdout, child.Stderr = &out, &out
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*goroutines)
		for g := range 2 * goroutines {
			st := s
			if g%2 == 1 {
				st = other
			}
			wg.Go(func() {
				for i := range txs {
					err := st.InTx(context.Background(), func(tx *store.Tx) error {
						for j := range perTx {
							if err := tx.AppendAudit(entry(g*1000 + i*10 + j)); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if err := child.Wait(); err != nil {
			t.Fatalf("second process: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "helper appended") {
			t.Fatalf("second process did not append:\n%s", out.String())
		}
		want := uint64(2*goroutines*txs*perTx + helperEntries)
		r := verify(t, s, signer, audit.VerifyOptions{CheckpointEvery: 10})
		if r.Broken != nil || r.Checked != want {
			t.Fatalf("checked %d of %d entries, broken: %v", r.Checked, want, r.Broken)
		}
		var n, maxSeq int64
		if err := s.Read().QueryRowContext(context.Background(), `SELECT COUNT(*), MAX(seq) FROM audit_log`).Scan(&n, &maxSeq); err != nil {
			t.Fatal(err)
		}
		if uint64(n) != want || uint64(maxSeq) != want {
			t.Fatalf("%d rows up to seq %d, want %d without gaps", n, maxSeq, want)
		}
	})
}

const helperEntries = 4 * 20

// TestAuditHelperProcess is the second process of
// TestAuditConcurrentAppendsStayLinear; on its own it does nothing.
func TestAuditHelperProcess(t *testing.T) {
	dsn := os.Getenv("STEWARD_AUDIT_HELPER_DSN")
	if dsn == "" {
		t.Skip("runs only as the second process of TestAuditConcurrentAppendsStayLinear")
	}
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	signer, err := audit.LoadKey(os.Getenv("STEWARD_AUDIT_HELPER_KEY"))
	if err != nil {
		t.Fatal(err)
	}
	s.SetAuditSigner(signer, 10)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range helperEntries / 4 {
				if err := s.InTx(context.Background(), func(tx *store.Tx) error {
					return tx.AppendAudit(entry(100000 + g*1000 + i))
				}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	fmt.Println("helper appended", helperEntries)
}

// forEachDSN is testkit.ForEachStore for tests that open the database
// more than once.
func forEachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, testkit.SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, testkit.PostgresDSN(t)) })
}

func openMigrated(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAuditKeyIsLoadedAtTheFirstAppend: a store given SetAuditKey never
// asks for the key to read or to commit without entries; the first
// commit with entries loads it, and if that fails the transaction changes
// nothing and the next one tries again (G3).
func TestAuditKeyIsLoadedAtTheFirstAppend(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		signer, _, err := audit.LoadOrCreateKey(t.TempDir() + "/audit.key")
		if err != nil {
			t.Fatal(err)
		}
		loads, fail := 0, true
		s.SetAuditKey(func() (*audit.Signer, error) {
			loads++
			if fail {
				return nil, steward.Errorf(steward.EINVALID, "error.not_logged_in")
			}
			return signer, nil
		}, 0)
		if _, _, err := s.Audit().List(ctx, audit.Filter{}, audit.Page{}); err != nil {
			t.Fatal(err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, `SELECT 1`); return err }); err != nil {
			t.Fatal(err)
		}
		if loads != 0 {
			t.Fatalf("key loaded %d times without an append", loads)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (site_id, version, dated, sha256, first_seen) VALUES ('x', '1', '2026-01-01', 'ab', 0)`); err != nil {
				return err
			}
			return tx.AppendAudit(entry(1))
		})
		if steward.ErrorCode(err) != steward.EINVALID || loads != 1 {
			t.Fatalf("append without a key: %v (loads %d), want the load's error", err, loads)
		}
		var n int
		s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_versions`).Scan(&n)
		if h := testkit.AuditHead(t, s); h != 0 || n != 0 {
			t.Fatalf("a failed key load left %d entries and %d rows", h, n)
		}
		fail = false
		appendN(t, s, 1, 3)
		appendN(t, s, 4, 3)
		if loads != 2 {
			t.Fatalf("key loaded %d times, want once more after the failure", loads)
		}
		if r := verify(t, s, signer, audit.VerifyOptions{}); r.Broken != nil || r.Checked != 6 {
			t.Fatalf("verify: %+v", r)
		}
	})
}

// TestAuditLinksAfterAHeadMovedElsewhere: a store links after the head it
// last committed only while the database still holds exactly that head
// (issue 15). Another process appending, or the head row changed behind
// its back, makes it read the head again, so the chain neither forks nor
// links to a head the database does not hold.
func TestAuditLinksAfterAHeadMovedElsewhere(t *testing.T) {
	forEachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a := openMigrated(t, dsn)
		b := openMigrated(t, dsn)
		signer := testkit.AuditSigner(t, a, 0)
		b.SetAuditSigner(signer, 0)
		appendN(t, a, 0, 3) // a remembers head 3
		appendN(t, b, 3, 2) // the head moves to 5 without a knowing
		appendN(t, a, 5, 1) // must link after 5, not 3
		if r := verify(t, a, signer, audit.VerifyOptions{}); r.Broken != nil || r.Checked != 6 {
			t.Fatalf("after another store appended: checked %d of 6, broken: %v", r.Checked, r.Broken)
		}
		// The head row is set back to entry 4 (as a cut would): a's cached
		// head (6) no longer matches, so it links after what the row says,
		// and verify reports the entries the head no longer covers.
		var h4 []byte
		if err := a.Read().QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE seq = 4`).Scan(&h4); err != nil {
			t.Fatal(err)
		}
		tamperSQL(t, b, `DELETE FROM audit_log WHERE seq > 4`)
		tamperSQL(t, b, `UPDATE audit_head SET seq = 4, hash = $1 WHERE id = 1`, h4)
		appendN(t, a, 6, 1)
		var seq int64
		var prev []byte
		if err := a.Read().QueryRowContext(ctx, `SELECT seq, prev_hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev); err != nil {
			t.Fatal(err)
		}
		if seq != 5 || !bytes.Equal(prev, h4) {
			t.Fatalf("appended entry %d after a head set back to 4, linked to %x, want 5 linked to %x", seq, prev, h4)
		}
	})
}
