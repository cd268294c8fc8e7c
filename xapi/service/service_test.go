package service_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/apikey"
	apiservice "steward/apikey/service"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/learning"
	learnservice "steward/learning/service"
	"steward/policy"
	"steward/store"
	"steward/xapi"
	"steward/xapi/service"
)

const issuer = "https://steward.example"

// TestRequestsStoredTogetherAnswerEachOnItsOwn (issue 16): requests that
// arrive together are stored in one transaction, and each is still all
// or nothing and answered as if it had come alone, in turn. Bob's request
// fails on its second statement (an unknown course): nothing of it stays,
// not even the accreditation its first statement earned, so his later
// pass in the same batch earns it. Anna's second request repeats her
// first request's statement (sent again, not stored twice) and passes the
// course again (no second accreditation); a request reusing that id with
// other content is a conflict. A result for a course Anna is not
// enrolled in is refused. Only what was stored has audit entries,
// and the statements' ids are kept for exactly those (both stores).
func TestRequestsStoredTogetherAnswerEachOnItsOwn(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		svc, key, lmsID, people, now := f.svc, f.key, f.lmsID, f.people, f.now
		st := func(id, who, verb, activity string) xapi.Statement {
			return xapi.Statement{ID: id, HomePage: issuer, Name: lmsID[who], Verb: verb, Activity: activity, Timestamp: now}
		}
		moodle := "https://moodle.example/course/view.php?id=42"
		ids := []string{xapi.NewID(), xapi.NewID(), xapi.NewID(), xapi.NewID(), xapi.NewID()}
		since := testkit.AuditHead(t, s)
		got := svc.Statements.AcceptTogether(ctx, &key.Key,
			[]xapi.Statement{st(ids[0], "a-anna", "passed", moodle)},
			[]xapi.Statement{st(ids[1], "a-bob", "passed", moodle), st(ids[2], "a-bob", "passed", "https://moodle.example/course/view.php?id=999")},
			[]xapi.Statement{st(ids[0], "a-anna", "passed", moodle), st(ids[3], "a-anna", "passed", moodle)},
			[]xapi.Statement{st(ids[0], "a-anna", "failed", moodle)},
			[]xapi.Statement{st(ids[4], "a-bob", "passed", moodle)},
			[]xapi.Statement{st(xapi.NewID(), "a-anna", "passed", "https://moodle.example/course/view.php?id=43")},
		)
		for i, want := range []struct {
			stored int
			code   string
			key    string
		}{{1, "", ""}, {0, steward.EINVALID, "error.xapi_unknown_course"}, {1, "", ""}, {0, steward.ECONFLICT, "error.xapi_conflict"}, {1, "", ""},
			{0, steward.EINVALID, "error.xapi_not_enrolled"}} {
			r := got[i]
			if r.Retry || steward.ErrorCode(r.Err) != want.code && r.Err != nil || want.code != "" && steward.ErrorKey(r.Err) != want.key {
				t.Fatalf("request %d: %+v, want %s %s", i, r, want.code, want.key)
			}
			if want.code == "" && (r.Err != nil || r.Out.Stored != want.stored) {
				t.Fatalf("request %d stored %+v, %v; want %d", i, r.Out, r.Err, want.stored)
			}
		}
		for who, want := range map[string][2]int{"a-anna": {2, 1}, "a-bob": {1, 1}} {
			if n, m := len(testkit.RecordsOfKind(t, s, who, service.ResultKind)), len(testkit.RecordsOfKind(t, s, who, service.AccreditationKind)); n != want[0] || m != want[1] {
				t.Errorf("%s has %d results and %d accreditations, want %v", who, n, m, want)
			}
		}
		had, err := s.StatementHashes(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{true, false, false, true, true} {
			if _, ok := had[ids[i]]; ok != want {
				t.Errorf("statement %d kept: %v, want %v", i, ok, want)
			}
		}
		by := audit.System("xapi." + key.Key.ID)
		anna, bob := audit.Pseudonym(people["a-anna"].Pseudonym), audit.Pseudonym(people["a-bob"].Pseudonym)
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.LearningResultCreate, Actor: by, ObjectKind: service.ResultKind, Subject: anna},
			testkit.AuditWant{Action: audit.AccreditationCreate, Actor: by, ObjectKind: service.AccreditationKind, Subject: anna},
			testkit.AuditWant{Action: audit.LearningResultCreate, Actor: by, ObjectKind: service.ResultKind, Subject: anna},
			testkit.AuditWant{Action: audit.LearningResultCreate, Actor: by, ObjectKind: service.ResultKind, Subject: bob},
			testkit.AuditWant{Action: audit.AccreditationCreate, Actor: by, ObjectKind: service.AccreditationKind, Subject: bob},
		)
	})
}

// fixture is a site with the IVM policy: a course with points that Anna
// and Bob are enrolled in, another without, and a key for the LMS.
type fixture struct {
	svc    *wiring.Services
	key    *apiservice.Created
	lmsID  map[string]string
	people map[string]*account.Account
	now    time.Time
}

func newFixture(t *testing.T, s *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, "ivm"), Store: s, Clock: clock.NewFixed(now), BaseURL: issuer})
	if err != nil {
		t.Fatal(err)
	}
	po := audit.Staff("a-po")
	course := learning.Course{Slug: "medicatiebewaking", Title: policy.Text{NL: "Medicatiebewaking", EN: "Medication monitoring"},
		LMSCourseID: "42", Points: []learning.Points{{Register: "knmp", Points: 2}}, Published: true}
	other := learning.Course{Slug: "polyfarmacie", Title: policy.Text{NL: "Polyfarmacie", EN: "Polypharmacy"}, LMSCourseID: "43", Published: true}
	if _, err := svc.Learning.Import(ctx, po, []learning.Course{course, other}); err != nil {
		t.Fatal(err)
	}
	lmsID := map[string]string{}
	people := map[string]*account.Account{}
	for _, id := range []string{"a-anna", "a-bob"} {
		a := &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: now, ConfirmedAt: now}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Learning.Enrol(ctx, a, course.Slug, learnservice.Source{Kind: learnservice.Free}); err != nil {
			t.Fatal(err)
		}
		people[id] = a
		lmsID[id] = strconv.FormatInt(testkit.RecordsOfKind(t, s, id, service.LMSAccountKind)[0].ID, 10)
	}
	key, err := svc.APIKeys.Create(ctx, po, "avetica", apikey.ScopeXAPI, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, key: key, lmsID: lmsID, people: people, now: now}
}

// TestConcurrentRequestsStoreEachStatementOnce (issue 16): many requests
// at once, stored in combined transactions (and some each on its own
// again after a statement id sent by two requests failed theirs), store
// every statement once, a statement sent by several requests once, one
// accreditation however often the course is passed, and leave an audit
// log that verifies (both stores).
func TestConcurrentRequestsStoreEachStatementOnce(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		signer := testkit.AuditSigner(t, s, 16)
		f := newFixture(t, s)
		st := f.scored
		shared := xapi.NewID()
		const n = 48
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				sts := []xapi.Statement{st(xapi.NewID(), "a-anna", "scored"), st(xapi.NewID(), "a-bob", "scored")}
				if i%6 == 0 {
					sts = append(sts, st(xapi.NewID(), "a-anna", "passed"))
				}
				if i%8 == 0 {
					sts = append(sts, st(shared, "a-bob", "scored"))
				}
				if _, err := f.svc.Statements.Accept(ctx, &f.key.Key, sts); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for who, want := range map[string][2]int{"a-anna": {n + n/6, 1}, "a-bob": {n + 1, 0}} {
			if r, a := len(testkit.RecordsOfKind(t, s, who, service.ResultKind)), len(testkit.RecordsOfKind(t, s, who, service.AccreditationKind)); r != want[0] || a != want[1] {
				t.Errorf("%s has %d results and %d accreditations, want %v", who, r, a, want)
			}
		}
		testkit.AssertAuditVerifies(t, s, signer)
	})
}

// TestLargeRequestsSideBySideStoreEachStatementOnce (issue 16): requests
// of many statements are stored by transactions side by side on
// PostgreSQL (Beside); sent at once, sharing statements and passing the
// same course, every request is told it was stored, each statement is
// stored once, the course earns one accreditation, and the audit log
// verifies (both stores).
func TestLargeRequestsSideBySideStoreEachStatementOnce(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		signer := testkit.AuditSigner(t, s, 64)
		f := newFixture(t, s)
		st := f.scored
		shared := []string{xapi.NewID(), xapi.NewID(), xapi.NewID()}
		const n, each = 16, 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				var sts []xapi.Statement
				for range each {
					sts = append(sts, st(xapi.NewID(), "a-bob", "scored"))
				}
				if i%2 == 0 {
					sts = append(sts, st(shared[i%3], "a-bob", "scored"))
				}
				if i%5 == 0 {
					sts = append(sts, st(xapi.NewID(), "a-anna", "passed"))
				}
				out, err := f.svc.Statements.Accept(ctx, &f.key.Key, sts)
				if err != nil {
					errs <- err
				} else if len(out.IDs) != len(sts) {
					errs <- fmt.Errorf("request %d: %d ids for %d statements", i, len(out.IDs), len(sts))
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for who, want := range map[string][2]int{"a-bob": {n*each + 3, 0}, "a-anna": {(n + 4) / 5, 1}} {
			if r, a := len(testkit.RecordsOfKind(t, s, who, service.ResultKind)), len(testkit.RecordsOfKind(t, s, who, service.AccreditationKind)); r != want[0] || a != want[1] {
				t.Errorf("%s has %d results and %d accreditations, want %v", who, r, a, want)
			}
		}
		testkit.AssertAuditVerifies(t, s, signer)
	})
}

// scored is a statement with id, scored 75 in course 42, by who's LMS
// account, with verb.
func (f *fixture) scored(id, who, verb string) xapi.Statement {
	return xapi.Statement{ID: id, HomePage: issuer, Name: f.lmsID[who], Verb: verb,
		Activity: "https://moodle.example/course/view.php?id=42", Timestamp: f.now, Score: 75, HasScore: true}
}

// TestKeyReadAgainInTheTransaction (issue 16): a request's key is read
// again in the transaction that stores it, so a key let in from memory
// (apikey/service's Recognise) that has since been revoked or rotated —
// by this process or another — stores nothing and is EUNAUTHORIZED,
// while a request with a working key stored together with it is stored
// (both stores).
func TestKeyReadAgainInTheTransaction(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		po := audit.Staff("a-po")
		st := func(who string) xapi.Statement {
			return xapi.Statement{ID: xapi.NewID(), HomePage: issuer, Name: f.lmsID[who], Verb: "completed",
				Activity: "https://moodle.example/course/view.php?id=42", Timestamp: f.now}
		}
		revoked, err := f.svc.APIKeys.Create(ctx, po, "avetica", apikey.ScopeXAPI, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		rotated, err := f.svc.APIKeys.Create(ctx, po, "avetica", apikey.ScopeXAPI, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.APIKeys.Revoke(ctx, po, revoked.Key.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.APIKeys.Rotate(ctx, po, rotated.Key.ID); err != nil {
			t.Fatal(err)
		}
		// The keys as they were when let in: before the revocation and
		// the rotation.
		for _, k := range []*apikey.Key{&revoked.Key, &rotated.Key} {
			got := f.svc.Statements.AcceptTogether(ctx, k, []xapi.Statement{st("a-bob")})
			if steward.ErrorCode(got[0].Err) != steward.EUNAUTHORIZED || got[0].Retry {
				t.Errorf("key %s changed since: %+v, want EUNAUTHORIZED", k.ID, got[0])
			}
			if _, err := f.svc.Statements.Accept(ctx, k, []xapi.Statement{st("a-bob")}); steward.ErrorCode(err) != steward.EUNAUTHORIZED {
				t.Errorf("key %s changed since, Accept: %v", k.ID, err)
			}
		}
		mixed := f.svc.Statements.AcceptWithKeys(ctx, []*apikey.Key{&f.key.Key, &revoked.Key, &f.key.Key, &rotated.Key},
			[]xapi.Statement{st("a-anna")}, []xapi.Statement{st("a-bob")}, []xapi.Statement{st("a-anna")}, []xapi.Statement{st("a-bob")})
		for i, want := range []string{"", steward.EUNAUTHORIZED, "", steward.EUNAUTHORIZED} {
			if r := mixed[i]; steward.ErrorCode(r.Err) != want && r.Err != nil || want == "" && (r.Err != nil || r.Out.Stored != 1) || want != "" && r.Err == nil {
				t.Errorf("stored together, request %d: %+v, want %q", i, r, want)
			}
		}
		if n := len(testkit.RecordsOfKind(t, s, "a-bob", service.ResultKind)); n != 0 {
			t.Errorf("changed keys stored %d results", n)
		}
		if n := len(testkit.RecordsOfKind(t, s, "a-anna", service.ResultKind)); n != 2 {
			t.Errorf("the working key stored %d results, want 2", n)
		}
	})
}
