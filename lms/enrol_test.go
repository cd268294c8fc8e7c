package lms_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/learning"
	"steward/learning/service"
	"steward/lms"
	"steward/policy"
	"steward/store"
)

// TestLMSEnrolmentProvisionsMoodle (issue 17 item 4, R8): every enrolment
// — free, by voucher, by order — writes an enrol row in its own
// transaction, holding ids only. Sent, it looks the person's OIDC subject
// up in Moodle; finding nobody, it creates the user
// (core_user_create_users: auth oauth2, the subject as idnumber, e-mail
// and name read from the profile now, nothing else) and enrols it as a
// student (enrol_manual_enrol_users) in the course's LMS course id; a
// second enrolment finds the user and only enrols. A failing Moodle is
// retried after the back-off, a course without an LMS course id waits
// for one, and a person who erases their account before the row is sent
// has nothing sent; confirmations are audited without values (both
// stores).
func TestLMSEnrolmentProvisionsMoodle(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		f.moodle.AddCourse(43)
		if _, err := f.svc.Learning.Import(ctx, audit.Staff("a-po"), []learning.Course{
			{Slug: "polyfarmacie", Title: policy.Text{NL: "Polyfarmacie", EN: "Polypharmacy"}, LMSCourseID: "43", PriceCents: 4500, Published: true},
			{Slug: "zonder-lms", Title: policy.Text{NL: "Zonder LMS", EN: "No LMS"}, Published: true}}); err != nil {
			t.Fatal(err)
		}
		person := func(id, first, last string) *account.Account {
			t.Helper()
			a := &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: start, ConfirmedAt: start}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Accounts.UpdateProfile(ctx, a, map[string]map[string]string{"lms_account": {
				"email": id + ".lms@example.org", "first_name": first, "last_name": last, "register_number": "55555555501"}}); err != nil {
				t.Fatal(err)
			}
			return a
		}
		dirk := person("a-dirk", "Dirk", "Bakker")
		since := testkit.AuditHead(t, s)

		// A free enrolment, and one an order pays for (EnrolTx inside the
		// order's own transaction): two rows of the same kind.
		if _, err := f.svc.Learning.Enrol(ctx, dirk, "medicatiebewaking", service.Source{Kind: service.Free}); err != nil {
			t.Fatal(err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := f.svc.Learning.EnrolTx(ctx, tx, dirk, "polyfarmacie", service.Source{Kind: service.Order, Ref: "o-1"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		sub := fmt.Sprint(mustRecord(t, s, dirk.ID, "lms_account"))
		ms := f.messages(t)
		if len(ms) != 2 || ms[0].Op != store.LMSEnrol || ms[1].Op != store.LMSEnrol || ms[0].LMSSubject != sub || ms[1].LMSSubject != sub ||
			ms[0].SubjectID != dirk.ID || ms[0].RecordID == 0 || ms[0].RecordID == ms[1].RecordID || len(ms[0].Fields) != 0 {
			t.Fatalf("outbox after two enrolments: %+v", ms)
		}
		testkit.AssertNoPersonalValues(t, s, "a-dirk.lms@example.org", "Bakker", "55555555501")

		// Moodle is down once: both rows wait for the back-off.
		f.moodle.FailNext("http503", "http503")
		f.deliver(t, lms.Report{Retrying: 2})
		f.deliver(t, lms.Report{})
		f.clk.Advance(time.Minute)
		f.deliver(t, lms.Report{Done: 2})

		created := f.moodle.CallsOf("core_user_create_users")
		if len(created) != 1 {
			t.Fatalf("create calls: %+v", created)
		}
		want := map[string]string{"users[0][auth]": "oauth2", "users[0][username]": "steward-" + sub, "users[0][idnumber]": sub,
			"users[0][email]": "a-dirk.lms@example.org", "users[0][firstname]": "Dirk", "users[0][lastname]": "Bakker"}
		if len(created[0].Params) != len(want) {
			t.Errorf("core_user_create_users sent %d parameters, want only %d: %v", len(created[0].Params), len(want), created[0].Params)
		}
		for k, v := range want {
			if got := created[0].Params.Get(k); got != v {
				t.Errorf("core_user_create_users %s = %q, want %q", k, got, v)
			}
		}
		u, ok := f.moodle.UserBy(sub)
		if !ok || u.Auth != "oauth2" || u.Email != "a-dirk.lms@example.org" {
			t.Fatalf("Moodle's user: %+v %v", u, ok)
		}
		for _, course := range []int64{42, 43} {
			if role, ok := f.moodle.Enrolled(course, u.ID); !ok || role != 5 {
				t.Errorf("course %d: role %d, enrolled %v", course, role, ok)
			}
		}
		enrols := f.moodle.CallsOf("enrol_manual_enrol_users")[1:] // the first is the fixture's
		if len(enrols) != 2 || enrols[0].Params.Get("enrolments[0][userid]") != fmt.Sprint(u.ID) || enrols[0].Params.Get("enrolments[0][roleid]") != "5" {
			t.Fatalf("enrol calls: %+v", enrols)
		}
		for _, m := range f.messages(t) {
			if m.Status != store.LMSDone || !m.DoneAt.Equal(f.clk.Now()) {
				t.Fatalf("after delivery: %+v", m)
			}
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.EnrolmentCreate, Subject: audit.Pseudonym(dirk.Pseudonym)},
			testkit.AuditWant{Action: audit.EnrolmentCreate, Subject: audit.Pseudonym(dirk.Pseudonym)},
			testkit.AuditWant{Action: audit.LMSEnrol, ObjectKind: "lms_account", ObjectID: sub, Subject: audit.Pseudonym(dirk.Pseudonym)},
			testkit.AuditWant{Action: audit.LMSEnrol, ObjectKind: "lms_account", ObjectID: sub, Subject: audit.Pseudonym(dirk.Pseudonym)})

		// A course with no LMS course id yet waits for one, and is
		// retried with a reason that names no value.
		if _, err := f.svc.Learning.Enrol(ctx, dirk, "zonder-lms", service.Source{Kind: service.Free}); err != nil {
			t.Fatal(err)
		}
		f.deliver(t, lms.Report{Retrying: 1})
		if m := f.messages(t)[0]; m.LastError != "lms: the course has no LMS course id" || m.Status != store.LMSPending {
			t.Fatalf("course without an LMS id: %+v", m)
		}

		// Moodle refuses to create Frank's user (another user there has
		// his e-mail address): its error object fails the row for good,
		// with Moodle's codes and no value.
		frank := person("a-frank", "Frank", "Visser")
		f.moodle.AddUser("other", "a-frank.lms@example.org", "Other", "User")
		if _, err := f.svc.Learning.Enrol(ctx, frank, "polyfarmacie", service.Source{Kind: service.Voucher, Ref: "v-2"}); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(time.Hour)
		f.deliver(t, lms.Report{Failed: 1, Retrying: 1})
		if m := f.messages(t)[0]; m.Status != store.LMSFailed || m.LastError != "moodle: invalid_parameter_exception: invalidparameter" {
			t.Fatalf("a refused creation: %+v", m)
		}

		// Eva enrols and erases her account before the row is sent:
		// nothing about her reaches Moodle, and no row about her stays
		// but the delete, which finds no user there.
		eva := person("a-eva", "Eva", "Smit")
		if _, err := f.svc.Learning.Enrol(ctx, eva, "polyfarmacie", service.Source{Kind: service.Voucher, Ref: "v-1"}); err != nil {
			t.Fatal(err)
		}
		evaSub := fmt.Sprint(mustRecord(t, s, eva.ID, "lms_account"))
		if _, err := f.svc.Desk.Erase(ctx, eva.ID, audit.SubjectActor(audit.Pseudonym(eva.Pseudonym))); err != nil {
			t.Fatal(err)
		}
		calls := len(f.moodle.Calls())
		f.clk.Advance(time.Hour)
		f.deliver(t, lms.Report{Done: 1, Retrying: 1}) // her delete; Dirk's course still without an LMS id
		for _, c := range f.moodle.Calls()[calls:] {
			if c.Function != "core_user_get_users_by_field" {
				t.Errorf("after her erasure Moodle was called with %s", c.Function)
			}
			if strings.Contains(fmt.Sprint(c.Params), "eva") || strings.Contains(fmt.Sprint(c.Params), "Smit") {
				t.Errorf("a value of hers reached Moodle: %v", c.Params)
			}
		}
		for _, m := range f.messages(t) {
			if m.LMSSubject == evaSub && m.Op != store.LMSDelete {
				t.Errorf("a row about her stays: %+v", m)
			}
		}
	})
}

func mustRecord(t *testing.T, s *store.Store, subject, kind string) int64 {
	t.Helper()
	id, err := s.RecordOfKind(context.Background(), subject, kind)
	if err != nil || id == 0 {
		t.Fatalf("no %s record of %s: %v", kind, subject, err)
	}
	return id
}

// TestLMSDeleteWaitsForAnEnrolmentBeingSent (issue 17 item 4): a person
// erased while a dispatcher is sending their enrolment (claimed, its
// lease running) gets their LMS delete due only when that lease ends, so
// a Moodle user the enrolment creates is deleted after it, never before;
// the enrolment's row goes with the erasure, and its late outcome changes
// nothing (both stores).
func TestLMSDeleteWaitsForAnEnrolmentBeingSent(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		gus := &account.Account{ID: "a-gus", Email: "gus@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: start, ConfirmedAt: start}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, gus) }); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Learning.Enrol(ctx, gus, "medicatiebewaking", service.Source{Kind: service.Free}); err != nil {
			t.Fatal(err)
		}
		sub := fmt.Sprint(mustRecord(t, s, gus.ID, "lms_account"))
		lease := 5 * time.Minute
		c, err := s.ClaimDueLMS(ctx, f.clk.Now(), lease, 10)
		if err != nil || len(c.Messages) != 1 || c.Messages[0].Op != store.LMSEnrol {
			t.Fatalf("claim: %+v %v", c, err)
		}
		f.clk.Advance(time.Minute)
		if _, err := f.svc.Desk.Erase(ctx, gus.ID, audit.SubjectActor(audit.Pseudonym(gus.Pseudonym))); err != nil {
			t.Fatal(err)
		}
		ms := f.messages(t)
		if len(ms) != 1 || ms[0].Op != store.LMSDelete || ms[0].LMSSubject != sub || !ms[0].NextAttemptAt.Equal(start.Add(lease)) {
			t.Fatalf("after the erasure: %+v; want only the delete, due at the enrolment's lease end %s", ms, start.Add(lease))
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.MarkLMSDone(ctx, c.Token, c.Messages[0].ID, f.clk.Now()) }); err == nil {
			t.Fatal("the erased enrolment's outcome was recorded")
		}
		f.deliver(t, lms.Report{}) // not due yet
		f.clk.Set(start.Add(lease))
		f.deliver(t, lms.Report{Done: 1})
	})
}

// TestLMSMessagesGoOutWhenTheirTransactionCommits: with the store's
// OnLMSQueued waking the dispatcher (as serve wires it), an enrolment
// reaches Moodle within moments although the dispatcher polls only once
// an hour. The first enrolment is sent by the dispatcher's first pass;
// the second, made while it waits for its next poll, only by the wake,
// which comes after the commit, so the row is there to send (both
// stores).
func TestLMSMessagesGoOutWhenTheirTransactionCommits(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := newFixture(t, s)
		f.moodle.AddCourse(43)
		f.moodle.AddCourse(44)
		if _, err := f.svc.Learning.Import(ctx, audit.Staff("a-po"), []learning.Course{
			{Slug: "polyfarmacie", Title: policy.Text{NL: "Polyfarmacie", EN: "Polypharmacy"}, LMSCourseID: "43", Published: true},
			{Slug: "farmacotherapie", Title: policy.Text{NL: "Farmacotherapie", EN: "Pharmacotherapy"}, LMSCourseID: "44", Published: true}}); err != nil {
			t.Fatal(err)
		}
		d := lms.NewDispatcher(s, lms.NewClient(lms.Config{URL: f.moodle.URL, Token: f.moodle.Token}, nil), f.svc.LMSValues, f.clk, f.svc.Audit,
			lms.Options{PollInterval: time.Hour})
		s.OnLMSQueued(d.Notify)
		enrolled := func(course int64) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				if role, ok := f.moodle.Enrolled(course, f.user); ok && role == 5 {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the enrolment in course %d did not reach Moodle within 10 s; the dispatcher polls once an hour", course)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		if _, err := f.svc.Learning.Enrol(ctx, f.anna, "polyfarmacie", service.Source{Kind: service.Free}); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		enrolled(43)
		if _, err := f.svc.Learning.Enrol(ctx, f.anna, "farmacotherapie", service.Source{Kind: service.Free}); err != nil {
			t.Fatal(err)
		}
		enrolled(44)
		cancel()
		<-done
	})
}
