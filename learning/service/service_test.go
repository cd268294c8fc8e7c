package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/learning"
	"steward/learning/service"
	"steward/policy"
	"steward/rights/desk"
	"steward/store"
)

var catalogue = []learning.Course{
	{Slug: "medicatiebewaking", Title: policyText("Medicatiebewaking", "Medication monitoring"), LMSCourseID: "42",
		Points: []learning.Points{{Register: "knmp", Points: 2}}, Published: true},
	{Slug: "polyfarmacie", Title: policyText("Polyfarmacie", "Polypharmacy"), PriceCents: 4950, Published: true},
	{Slug: "concept", Title: policyText("Concept", "Draft"), Published: false},
}

// TestEnrolAndTheLMSRulesOnRealData (issue 16, R5, R10): the catalogue
// imports idempotently; a person enrols in a free course, which stores an
// enrolment with only the policy's fields and, the first time, their
// learning environment's account record; a paid, hidden or unknown
// course, a second enrolment and staff are refused and change nothing.
// With the injected clock, IVM's LMS rules now fire on that real data:
// a year on, lms_account_without_course spares the enrolled account
// (it has an enrolment) while it takes one without; four years after the
// last sign-in lms_account_inactive is due. My data shows the enrolment
// with the day it goes: with the website account, a year after the last
// login, since the account has no orders or newsletter (both stores).
func TestEnrolAndTheLMSRulesOnRealData(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		start := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
		clk := clock.NewFixed(start)
		p := testkit.Policy(t, "ivm")
		svc, err := wiring.New(wiring.Config{Policy: p, Store: s, Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		po := audit.Staff("a-po")
		res, err := svc.Learning.Import(ctx, po, append([]learning.Course(nil), catalogue...))
		if err != nil || res != (steward.ImportResult{Added: 3}) {
			t.Fatalf("first import: %+v, %v", res, err)
		}
		since := testkit.AuditHead(t, s)
		changed := append([]learning.Course(nil), catalogue...)
		changed[1].PriceCents = 5950
		if res, err := svc.Learning.Import(ctx, po, changed); err != nil || res != (steward.ImportResult{Changed: 1, Unchanged: 2}) {
			t.Fatalf("second import: %+v, %v", res, err)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.CourseImport, Actor: po, ObjectKind: "course", ObjectID: "polyfarmacie", Fields: []string{"price_cents"}})

		anna := person(t, s, "a-anna", start)
		bob := person(t, s, "a-bob", start)
		staff := &account.Account{ID: "a-po", Role: account.RolePrivacyOfficer}
		free := service.Source{Kind: service.Free}
		since = testkit.AuditHead(t, s)
		for _, tc := range []struct {
			who  *account.Account
			slug string
			src  service.Source
			want string
		}{
			{anna, "polyfarmacie", free, steward.ECONFLICT},
			{anna, "concept", free, steward.ENOTFOUND},
			{anna, "no-such-course", free, steward.ENOTFOUND},
			{anna, "medicatiebewaking", service.Source{Kind: service.Voucher}, steward.EINVALID},
			{anna, "medicatiebewaking", service.Source{Kind: "gift"}, steward.EINVALID},
			{staff, "medicatiebewaking", free, steward.EFORBIDDEN},
		} {
			if _, err := svc.Learning.Enrol(ctx, tc.who, tc.slug, tc.src); steward.ErrorCode(err) != tc.want {
				t.Errorf("%s enrols in %s by %s: %v, want %s", tc.who.ID, tc.slug, tc.src.Kind, err, tc.want)
			}
		}
		if recs, _ := s.RecordsOf(ctx, anna.ID); len(recs) != 0 {
			t.Fatalf("refused enrolments stored %+v", recs)
		}
		testkit.AssertAudit(t, s, since)

		e, err := svc.Learning.Enrol(ctx, anna, "medicatiebewaking", free)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Learning.Enrol(ctx, anna, "medicatiebewaking", free); steward.ErrorCode(err) != steward.ECONFLICT {
			t.Fatalf("second enrolment: %v", err)
		}
		recs, _ := s.RecordsOf(ctx, anna.ID)
		kinds := map[string]store.Record{}
		for _, r := range recs {
			kinds[r.Kind] = r
		}
		en := kinds["enrolment"]
		if len(recs) != 2 || kinds["lms_account"].ID == 0 || en.ID != e.ID || len(en.Values) != 2 ||
			en.Values["course"] != "medicatiebewaking" || en.Values["enrolled_at"] != "2026-02-10" {
			t.Fatalf("records after enrolling: %+v", recs)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.EnrolmentCreate, Actor: audit.SubjectActor(audit.Pseudonym(anna.Pseudonym)),
			ObjectKind: "enrolment", Subject: audit.Pseudonym(anna.Pseudonym), Fields: []string{"enrolment.course", "enrolment.enrolled_at", "lms_account", "lms_outbox.enrol", "source.free"}})
		// The enrolment is provisioned to the learning environment in the
		// same transaction (issue 17 item 4): one enrol row, ids only.
		if ms, err := s.LMSMessagesOf(ctx, anna.ID); err != nil || len(ms) != 1 || ms[0].Op != store.LMSEnrol || ms[0].RecordID != e.ID ||
			ms[0].LMSSubject != fmt.Sprint(kinds["lms_account"].ID) {
			t.Fatalf("LMS outbox after enrolling: %+v %v", ms, err)
		}

		// Bob has a learning environment account and no course.
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertRecord(ctx, p, &store.Record{Subject: bob.ID, Kind: "lms_account", CreatedAt: start, ConfirmedAt: start})
		}); err != nil {
			t.Fatal(err)
		}
		due := func(at time.Time) map[string][]string {
			t.Helper()
			rep, err := svc.Retention.Plan(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string][]string{}
			for _, it := range rep.Items {
				if strings.HasPrefix(it.Rule, "lms_") {
					out[it.Rule] = append(out[it.Rule], it.Subject)
				}
			}
			return out
		}
		yearOn := start.AddDate(1, 0, 1)
		if got := due(yearOn); len(got["lms_account_without_course"]) != 1 || got["lms_account_without_course"][0] != bob.ID || len(got["lms_account_inactive"]) != 0 {
			t.Fatalf("a year on, the LMS rules: %v; want only bob's course-less account", got)
		}
		fourYears := start.AddDate(4, 0, 0)
		if got := due(fourYears.Add(-time.Minute)); len(got["lms_account_inactive"]) != 0 {
			t.Fatalf("just before four years: %v", got)
		}
		if got := due(fourYears); len(got["lms_account_inactive"]) != 1 || got["lms_account_inactive"][0] != anna.ID {
			t.Fatalf("four years after the last sign-in: %v; want anna's account", got)
		}
		// My data shows the enrolment with the day it goes.
		d := &desk.Desk{Store: s, Policy: p, Clock: clk, Audit: svc.Audit}
		ov, err := d.Collect(ctx, anna.ID, desk.CollectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range ov.Categories {
			if c.Kind == "enrolment" {
				// The website account without orders or newsletter goes a
				// year after the last login and takes the enrolment with
				// it, before the learning environment's four years.
				if len(c.Items) != 1 || !c.Items[0].Deletion.Date.Equal(start.AddDate(1, 0, 0)) || c.Items[0].Deletion.Rule != "website_account_inactive" || c.Items[0].Deletion.Via != "account" {
					t.Fatalf("the enrolment in My data: %+v", c.Items)
				}
				return
			}
		}
		t.Fatal("no enrolment category in My data")
	})
}

// person stores a confirmed person's account.
func person(t *testing.T, s *store.Store, id string, at time.Time) *account.Account {
	t.Helper()
	a := &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: at, ConfirmedAt: at}
	if err := s.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertAccount(context.Background(), a) }); err != nil {
		t.Fatal(err)
	}
	return a
}

func policyText(nl, en string) policy.Text { return policy.Text{NL: nl, EN: en} }
