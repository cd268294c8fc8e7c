package store_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/learning"
	"steward/policy"
	"steward/store"
)

// TestWriteXAPI: a combined xAPI transaction (Store.WriteXAPI; on
// PostgreSQL two round trips, the second ending in COMMIT) writes what
// decide returns — records with their values, the statements' ids, and
// audit entries naming their records — all or nothing, from two stores
// on one database as two processes:
//   - when the other store moved the audit head meanwhile, PostgreSQL's
//     attempt fails as a whole and the transaction is decided again from
//     facts read again, and stored once;
//   - a decision that fails, and a write that fails (a statement id taken
//     already), leave no record, statement or entry, and the next write
//     links after the head as before;
//   - every entry names its record, and the log verifies.
func TestWriteXAPI(t *testing.T) {
	forEachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, b := openMigrated(t, dsn), openMigrated(t, dsn)
		signer := testkit.AuditSigner(t, a, 0)
		b.SetAuditSigner(signer, 0)
		x := newXAPIFixture(t, a)
		p, ann, lms := x.p, x.ann, x.lms
		entries := 0
		write := func(ids ...string) (int, error) { return x.write(a, ids...) }
		mustWrite := func(want int, ids ...string) {
			t.Helper()
			calls, err := write(ids...)
			if err != nil {
				t.Fatalf("write %v: %v", ids, err)
			}
			if calls != want {
				t.Fatalf("write %v decided %d times, want %d", ids, calls, want)
			}
			entries += len(ids)
		}
		mustWrite(1, "s-1", "s-2")
		mustWrite(1, "s-3")
		// b moves the head: a's attempt on PostgreSQL finds it gone and is
		// decided again by InTx.
		appendN(t, b, 100, 2)
		entries += 2
		again := 1
		if a.Dialect() == store.Postgres {
			again = 2
		}
		mustWrite(again, "s-4", "s-5")
		// Sent again: nothing new to write.
		mustWrite(1, "s-4")
		entries--

		before, head := learningResults(t, a), testkit.AuditHead(t, a)
		if before != 5 {
			t.Fatalf("%d learning results, want 5", before)
		}
		refused := errors.New("refused")
		q := store.XAPIQuery{StatementIDs: []string{"s-6"}, Actors: []int64{lms.ID}, ActorKind: "lms_account", Field: "course", NewRecords: 1}
		if err := a.WriteXAPI(ctx, p, q, func(*store.XAPIFacts) (*store.XAPIWrite, error) { return nil, refused }); !errors.Is(err, refused) {
			t.Fatalf("decide failing: err = %v", err)
		}
		// s-1 is taken: its INSERT fails, and the records and entries sent
		// with it are not kept.
		err := a.WriteXAPI(ctx, p, q, func(*store.XAPIFacts) (*store.XAPIWrite, error) {
			return &store.XAPIWrite{
				Records:    []*store.Record{{Subject: ann.ID, Kind: "learning_result", CreatedAt: acctT0, Values: map[string]string{"course": "a-course"}}},
				Statements: []store.Statement{{ID: "s-1", KeyID: "ak_1", ContentHash: "other", Verb: "scored", StoredAt: acctT0}},
				Entries:    []audit.Entry{{Time: acctT0, Actor: audit.System("xapi.ak_1"), Action: audit.LearningResultCreate, ObjectKind: "learning_result", Fields: []string{"learning_result.course"}}},
			}, nil
		})
		if err == nil {
			t.Fatal("a statement id stored twice was accepted")
		}
		if n, h := learningResults(t, a), testkit.AuditHead(t, a); n != before || h != head {
			t.Fatalf("after two failed writes: %d learning results and head %d, want %d and %d", n, h, before, head)
		}
		for i := range 5 {
			mustWrite(1, "s-"+strconv.Itoa(7+i))
		}
		r := verify(t, a, signer, audit.VerifyOptions{})
		if r.Broken != nil || r.Checked != uint64(entries) {
			t.Fatalf("checked %d of %d entries, broken: %v", r.Checked, entries, r.Broken)
		}
		// Each learning result's entry names it.
		rows, err := a.Read().QueryContext(ctx, `SELECT r.id FROM records r WHERE r.kind = 'learning_result'
			AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.object_kind = 'learning_result' AND l.object_id = CAST(r.id AS TEXT))`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			t.Errorf("learning result %d has no audit entry naming it", id)
		}
	})
}

// xapiFixture is a person with an LMS account and a course, for
// WriteXAPI's tests.
type xapiFixture struct {
	t   *testing.T
	p   *policy.Policy
	ann *account.Account
	lms *store.Record
}

func newXAPIFixture(t *testing.T, s *store.Store) *xapiFixture {
	ctx := context.Background()
	x := &xapiFixture{t: t, p: testkit.Policy(t, "ivm"), ann: newAccount("ann@example.nl")}
	x.lms = &store.Record{Subject: x.ann.ID, Kind: "lms_account", CreatedAt: acctT0}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.PutCourse(ctx, &learning.Course{Slug: "a-course", LMSCourseID: "42"}, acctT0); err != nil {
			return err
		}
		if err := tx.InsertAccount(ctx, x.ann); err != nil {
			return err
		}
		return tx.InsertRecords(ctx, x.p, []*store.Record{x.lms})
	})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// write stores through s one learning result per id not stored yet, and
// returns how many times it was decided.
func (x *xapiFixture) write(s *store.Store, ids ...string) (int, error) {
	calls := 0
	q := store.XAPIQuery{StatementIDs: ids, Actors: []int64{x.lms.ID}, ActorKind: "lms_account", Field: "course",
		LMSIDs: []string{"42"}, NewRecords: len(ids)}
	err := s.WriteXAPI(context.Background(), x.p, q, func(f *store.XAPIFacts) (*store.XAPIWrite, error) {
		calls++
		if f.Actors[x.lms.ID].Subject != x.ann.ID || f.ByLMSID["42"] == nil {
			return nil, fmt.Errorf("facts: actors %v, courses %v", f.Actors, f.ByLMSID)
		}
		w := &store.XAPIWrite{}
		for _, id := range ids {
			if _, ok := f.Hashes[id]; ok {
				continue
			}
			w.Records = append(w.Records, &store.Record{Subject: x.ann.ID, Kind: "learning_result", CreatedAt: acctT0,
				Values: map[string]string{"course": "a-course", "score": "80"}})
			w.Statements = append(w.Statements, store.Statement{ID: id, KeyID: "ak_1", ContentHash: "h-" + id, Verb: "scored", StoredAt: acctT0})
			w.Entries = append(w.Entries, audit.Entry{Time: acctT0, Actor: audit.System("xapi.ak_1"), Action: audit.LearningResultCreate,
				ObjectKind: "learning_result", Subject: audit.Pseudonym(x.ann.Pseudonym), Fields: []string{"learning_result.course", "learning_result.score"}})
		}
		return w, nil
	})
	return calls, err
}

// learningResults counts the learning results stored.
func learningResults(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	if err := s.Read().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM records WHERE kind = 'learning_result'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWriteXAPISideBySide (PostgreSQL, where WriteXAPI pipelines): while
// another transaction of the process links and commits, one sends its
// INSERT and waits to link after it; one that would write a statement id
// that one is writing waits for it to end and fails as stored meanwhile,
// changing nothing, and stores nothing twice when run again.
func TestWriteXAPISideBySide(t *testing.T) {
	forEachDSN(t, func(t *testing.T, dsn string) {
		a := openMigrated(t, dsn)
		if a.Dialect() != store.Postgres {
			return // SQLite's one writer runs them one after the other.
		}
		signer := testkit.AuditSigner(t, a, 0)
		x := newXAPIFixture(t, a)
		// Two by InTx: the head is then known and the genesis sealed,
		// and the next is pipelined.
		for _, id := range []string{"s-0", "s-00"} {
			if _, err := x.write(a, id); err != nil {
				t.Fatal(err)
			}
		}
		waiting := make(chan string, 4)
		release := a.HoldXAPITurn(func(what string) { waiting <- what })
		first := make(chan error, 1)
		go func() {
			_, err := x.write(a, "s-1", "s-2", "s-3")
			first <- err
		}()
		if w := <-waiting; w != "turn" { // s-1..s-3 inserted, waiting to link
			t.Fatalf("the first waits for %s, want the turn", w)
		}
		second := make(chan error, 1)
		go func() {
			_, err := x.write(a, "s-3", "s-4")
			second <- err
		}()
		// s-3 is being written by the first: the second waits for it,
		// having sent nothing.
		if w := <-waiting; w != "claim" {
			t.Fatalf("the second waits for %s, want the first to end", w)
		}
		release()
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if err := <-second; !errors.Is(err, store.ErrStatementStoredMeanwhile) {
			t.Fatalf("the second: %v, want stored meanwhile", err)
		}
		if n := learningResults(t, a); n != 5 {
			t.Fatalf("%d learning results after the first, want 5", n)
		}
		if calls, err := x.write(a, "s-3", "s-4"); err != nil || calls != 1 {
			t.Fatalf("the second again: %v, decided %d times", err, calls)
		}
		if n := learningResults(t, a); n != 6 {
			t.Fatalf("%d learning results, want 6", n)
		}
		if r := verify(t, a, signer, audit.VerifyOptions{}); r.Broken != nil || r.Checked != 6 {
			t.Fatalf("checked %d of 6 entries, broken: %v", r.Checked, r.Broken)
		}
	})
}
