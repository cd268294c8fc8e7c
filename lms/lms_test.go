package lms_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/learning"
	"steward/learning/service"
	"steward/lms"
	"steward/policy"
	"steward/store"
)

// fixture is a person enrolled in a course — so they have their
// learning environment's account record, whose id is the OIDC subject —
// and their user in the test Moodle.
type fixture struct {
	s      *store.Store
	p      *policy.Policy
	clk    *clock.Fixed
	svc    *wiring.Services
	moodle *testkit.MoodleServer
	d      *lms.Dispatcher
	anna   *account.Account
	sub    string
	user   int64
}

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, s *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{s: s, p: testkit.Policy(t, "ivm"), clk: clock.NewFixed(start), moodle: testkit.NewMoodle(t)}
	sealer, err := account.NewSealer(bytes.Repeat([]byte{7}, account.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	f.svc, err = wiring.New(wiring.Config{Policy: f.p, Store: s, Clock: f.clk, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Learning.Import(ctx, audit.Staff("a-po"), []learning.Course{{Slug: "medicatiebewaking",
		Title: policy.Text{NL: "Medicatiebewaking", EN: "Medication monitoring"}, LMSCourseID: "42", Published: true}}); err != nil {
		t.Fatal(err)
	}
	f.anna = &account.Account{ID: "a-anna", Email: "anna@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: start, ConfirmedAt: start}
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, f.anna) }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Accounts.UpdateProfile(ctx, f.anna, map[string]map[string]string{"lms_account": {
		"email": "anna@example.org", "first_name": "Anna", "last_name": "Jansen", "register_number": "12345678901"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Learning.Enrol(ctx, f.anna, "medicatiebewaking", service.Source{Kind: service.Free}); err != nil {
		t.Fatal(err)
	}
	id, err := s.RecordOfKind(ctx, f.anna.ID, "lms_account")
	if err != nil || id == 0 {
		t.Fatalf("no lms_account record: %d, %v", id, err)
	}
	f.sub = fmt.Sprint(id)
	// Anna signs in to Moodle through Steward: Moodle's OAuth 2 issuer
	// maps the sub claim to idnumber.
	f.user = f.moodle.AddUser(f.sub, "anna@example.org", "Anna", "Jansen")
	f.moodle.AddCourse(42)
	f.d = lms.NewDispatcher(s, lms.NewClient(lms.Config{URL: f.moodle.URL, Token: f.moodle.Token}, nil), f.svc.LMSValues, f.clk, f.svc.Audit,
		lms.Options{FirstRetry: time.Minute})
	// Her enrolment's own row (issue 17 item 4) enrols the user Moodle
	// has for her in the course; the confirmed row is pruned, so each
	// test starts from an empty outbox.
	f.deliver(t, lms.Report{Done: 1})
	if role, ok := f.moodle.Enrolled(42, f.user); !ok || role != 5 {
		t.Fatalf("the enrolment did not reach Moodle: role %d, %v", role, ok)
	}
	if _, err := s.PruneLMS(ctx, f.clk.Now().Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) deliver(t *testing.T, want lms.Report) {
	t.Helper()
	r, err := f.d.DeliverDue(context.Background())
	if err != nil || r != want {
		t.Fatalf("deliver: %+v, %v; want %+v", r, err, want)
	}
}

func (f *fixture) messages(t *testing.T) []store.LMSMessage {
	t.Helper()
	ms, err := f.s.LMSMessages(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestLMSCorrectionReachesMoodle (issue 16 item 5, Art. 19): before the
// enrolment the person has no LMS account and nothing is told; a
// correction of a field the LMS holds afterwards writes one update naming
// the fields (no value in the outbox), delivered by
// core_user_update_users to the Moodle user found by the OIDC subject
// with the current values — the register number opened only now, into
// Moodle's custom profile field. A failing Moodle (its error object) is
// retried after the back-off; a field the LMS does not hold is not told;
// every confirmation is audited without values (both stores).
func TestLMSCorrectionReachesMoodle(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		if ms := f.messages(t); len(ms) != 0 {
			t.Fatalf("the profile set before any enrolment was told to the LMS: %+v", ms)
		}
		since := testkit.AuditHead(t, s)
		if _, err := f.svc.Accounts.UpdateProfile(ctx, f.anna, map[string]map[string]string{
			"lms_account": {"last_name": "de Vries", "register_number": "98765432109"}, "account": {"job_title": "Apotheker"}}); err != nil {
			t.Fatal(err)
		}
		// A second edit before sending joins the same message.
		if _, err := f.svc.Accounts.UpdateProfile(ctx, f.anna, map[string]map[string]string{"lms_account": {"first_name": "Anne"}}); err != nil {
			t.Fatal(err)
		}
		ms := f.messages(t)
		if len(ms) != 1 || ms[0].Op != store.LMSUpdate || ms[0].LMSSubject != f.sub || ms[0].SubjectID != f.anna.ID ||
			strings.Join(ms[0].Fields, ",") != "first_name,last_name,register_number" || ms[0].Status != store.LMSPending {
			t.Fatalf("outbox: %+v", ms)
		}
		testkit.AssertNoPersonalValues(t, s, "de Vries", "98765432109", "Anne")

		f.moodle.FailNext("servicenotavailable")
		f.deliver(t, lms.Report{Retrying: 1})
		if ms := f.messages(t); ms[0].Attempts != 1 || ms[0].LastError != "moodle: moodle_exception: servicenotavailable" {
			t.Fatalf("after a failure: %+v", ms[0])
		}
		f.deliver(t, lms.Report{}) // not due before the back-off
		f.clk.Advance(time.Minute)
		f.deliver(t, lms.Report{Done: 1})
		u := f.moodle.User(f.user)
		if u.FirstName != "Anne" || u.LastName != "de Vries" || u.CustomFields["register_number"] != "98765432109" || u.Email != "anna@example.org" {
			t.Fatalf("the Moodle user: %+v", u)
		}
		up := f.moodle.CallsOf("core_user_update_users")
		if len(up) != 1 || up[0].Params.Get("users[0][id]") != fmt.Sprint(f.user) || up[0].Params.Has("users[0][email]") ||
			up[0].Params.Get("users[0][customfields][0][type]") != "register_number" {
			t.Fatalf("update calls: %+v", up)
		}
		if lk := f.moodle.CallsOf("core_user_get_users_by_field"); len(lk) == 0 || lk[0].Params.Get("field") != "idnumber" || lk[0].Params.Get("values[0]") != f.sub {
			t.Fatalf("look-up calls: %+v", lk)
		}
		if ms := f.messages(t); ms[0].Status != store.LMSDone || !ms[0].DoneAt.Equal(f.clk.Now()) {
			t.Fatalf("after delivery: %+v", ms[0])
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.ProfileUpdate},
			testkit.AuditWant{Action: audit.ProfileUpdate},
			testkit.AuditWant{Action: audit.LMSUpdate, Actor: audit.System("lms"), ObjectKind: "lms_account", ObjectID: f.sub,
				Subject: audit.Pseudonym(f.anna.Pseudonym), Fields: []string{"update", "first_name", "last_name", "register_number"}})
		testkit.AssertNoPersonalValues(t, s, "de Vries", "98765432109", "Anne")

		// A field the LMS does not hold (the website's job title) is not
		// told.
		if _, err := f.svc.Accounts.UpdateProfile(ctx, f.anna, map[string]map[string]string{"account": {"sector": "Zorg"}}); err != nil {
			t.Fatal(err)
		}
		if ms := f.messages(t); len(ms) != 1 {
			t.Fatalf("a field the LMS does not hold was told: %+v", ms)
		}
	})
}

// TestLMSDeleteReachesMoodle (issue 16 item 5, Art. 17(2)): the person's
// own erasure writes a delete in its transaction, unlinked from the
// erased account; the dispatcher is killed after claiming it (nothing
// recorded) and a second one takes it over after the lease; Moodle fails
// twice (an error object, then HTTP 503) and the delete is retried with a
// doubling back-off, then core_user_delete_users deletes the user found
// by the OIDC subject. Sending the same delete again (idempotency) finds
// no user and confirms without a second delete call; an invalid token is
// retried, not lost (both stores).
func TestLMSDeleteReachesMoodle(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		since := testkit.AuditHead(t, s)
		if _, err := f.svc.Desk.Erase(ctx, f.anna.ID, audit.SubjectActor(audit.Pseudonym(f.anna.Pseudonym))); err != nil {
			t.Fatal(err)
		}
		ms := f.messages(t)
		if len(ms) != 1 || ms[0].Op != store.LMSDelete || ms[0].LMSSubject != f.sub || ms[0].SubjectID != "" || len(ms[0].Fields) != 0 {
			t.Fatalf("outbox after erasure: %+v", ms)
		}
		// A dispatcher claims it and dies before sending.
		if c, err := s.ClaimDueLMS(ctx, f.clk.Now(), 5*time.Minute, 10); err != nil || len(c.Messages) != 1 {
			t.Fatalf("claim: %+v, %v", c, err)
		}
		f.deliver(t, lms.Report{})
		f.clk.Advance(5 * time.Minute)
		f.moodle.FailNext("servicenotavailable", "http503")
		f.deliver(t, lms.Report{Retrying: 1})
		f.clk.Advance(time.Minute)
		f.deliver(t, lms.Report{Retrying: 1})
		f.clk.Advance(time.Minute)
		f.deliver(t, lms.Report{}) // the second retry waits two minutes
		f.clk.Advance(time.Minute)
		f.deliver(t, lms.Report{Done: 1})
		if u := f.moodle.User(f.user); !u.Deleted {
			t.Fatalf("the Moodle user was not deleted: %+v", u)
		}
		del := f.moodle.CallsOf("core_user_delete_users")
		if len(del) != 1 || del[0].Params.Get("userids[0]") != fmt.Sprint(f.user) {
			t.Fatalf("delete calls: %+v", del)
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.AccountErase},
			testkit.AuditWant{Action: audit.LMSDelete, Actor: audit.System("lms"), ObjectKind: "lms_account", ObjectID: f.sub, Fields: []string{"delete"}})

		// The same delete again: Moodle has no such user any more.
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE lms_outbox SET status = 'pending', next_attempt_at = 0`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		f.deliver(t, lms.Report{Done: 1})
		if del := f.moodle.CallsOf("core_user_delete_users"); len(del) != 1 {
			t.Fatalf("a second delete call: %+v", del)
		}

		// A wrong token is Moodle's invalidtoken: retried, then given up
		// after MaxAttempts, never silently dropped.
		bad := lms.NewDispatcher(s, lms.NewClient(lms.Config{URL: f.moodle.URL, Token: "wrong"}, nil), f.svc.LMSValues, f.clk, f.svc.Audit,
			lms.Options{MaxAttempts: 2})
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE lms_outbox SET status = 'pending', next_attempt_at = 0, attempts = 0`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if r, err := bad.DeliverDue(ctx); err != nil || r != (lms.Report{Retrying: 1}) {
			t.Fatalf("bad token: %+v, %v", r, err)
		}
		f.clk.Advance(time.Hour)
		if r, err := bad.DeliverDue(ctx); err != nil || r != (lms.Report{Failed: 1}) {
			t.Fatalf("bad token, last attempt: %+v, %v", r, err)
		}
		if ms := f.messages(t); ms[0].Status != store.LMSFailed || ms[0].LastError != "moodle: moodle_exception: invalidtoken" {
			t.Fatalf("after giving up: %+v", ms[0])
		}
	})
}
