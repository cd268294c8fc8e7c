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
	"steward/learning/service"
	"steward/lms"
	"steward/organisation"
	"steward/policy"
	"steward/store"
)

// TestLMSRulesOnRealDataReachMoodle (issue 16 item 7, R10): the LMS rules
// fire from real data — the LMS sign-ins recorded on the lms_account
// record (records.last_login_at, what the OIDC sign-in updates), the
// enrolments (has_any / has_none) and an organisation's contract
// override — with the one retention engine, run --as-of years later; each
// LMS account a rule deletes is deleted in Moodle through the outbox, and
// the person's website account stays (both stores).
//
// Anna (enrolled, last LMS sign-in a year after the start) goes four
// years after that sign-in (lms_account_inactive), not before; Bob (an
// LMS account, no course) goes after one year
// (lms_account_without_course); Carla (enrolled, member of a hospital
// whose contract keeps LMS accounts six years) is spared at four years
// and goes at six.
func TestLMSRulesOnRealDataReachMoodle(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		p := f.p
		// The website accounts stay: each has an order (seven years).
		keep := func(a *account.Account) {
			t.Helper()
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				return tx.InsertRecord(ctx, p, &store.Record{Subject: a.ID, Kind: "order", CreatedAt: start})
			}); err != nil {
				t.Fatal(err)
			}
		}
		newPerson := func(id string) *account.Account {
			t.Helper()
			a := &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: start, ConfirmedAt: start}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
				t.Fatal(err)
			}
			return a
		}
		keep(f.anna)
		bob, carla := newPerson("a-bob"), newPerson("a-carla")
		keep(bob)
		keep(carla)
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertRecord(ctx, p, &store.Record{Subject: bob.ID, Kind: "lms_account", CreatedAt: start, ConfirmedAt: start})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Learning.Enrol(ctx, carla, "medicatiebewaking", service.Source{Kind: service.Free}); err != nil {
			t.Fatal(err)
		}
		// Carla's hospital keeps LMS accounts six years by contract.
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertOrganisation(ctx, &organisation.Organisation{ID: "org-hosp", Name: "Ziekenhuis", CreatedAt: start}); err != nil {
				return err
			}
			if err := tx.SetMembership(ctx, carla.ID, "", "org-hosp"); err != nil {
				return err
			}
			d, _ := policy.ParseDuration("P6Y")
			_, err := tx.SetOverride(ctx, store.Override{Organisation: "org-hosp", Rule: "lms_account_inactive", Period: d, ContractRef: "C-1", ValidFrom: start}, start)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		subOf := func(a *account.Account) string {
			id, err := s.RecordOfKind(ctx, a.ID, "lms_account")
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(id)
		}
		bobUser := f.moodle.AddUser(subOf(bob), "", "Bob", "B")
		carlaSub := subOf(carla)
		carlaUser := f.moodle.AddUser(carlaSub, "", "Carla", "C")
		f.deliver(t, lms.Report{Done: 1}) // Carla's enrolment
		// Anna signs in to the LMS a year on: the OIDC sign-in records it
		// on her lms_account record.
		annaLogin := start.AddDate(1, 0, 0)
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			id, _ := tx.RecordOfKind(ctx, f.anna.ID, "lms_account")
			if err := tx.RecordRecordLogin(ctx, id, annaLogin); err != nil {
				return err
			}
			cid, _ := tx.RecordOfKind(ctx, carla.ID, "lms_account")
			return tx.RecordRecordLogin(ctx, cid, start)
		}); err != nil {
			t.Fatal(err)
		}

		run := func(asOf time.Time) map[string][]string {
			t.Helper()
			f.clk.Set(asOf)
			rep, err := f.svc.Retention.RunAsOf(ctx, asOf)
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
		hasLMS := func(a *account.Account) bool { return subOf(a) != "0" }

		// A year and a day on: only Bob's course-less LMS account goes.
		since := testkit.AuditHead(t, s)
		run(start.AddDate(1, 0, 1))
		if hasLMS(bob) == true || !hasLMS(f.anna) || !hasLMS(carla) {
			t.Fatalf("a year on: bob %v anna %v carla %v", hasLMS(bob), hasLMS(f.anna), hasLMS(carla))
		}
		if _, err := s.AccountByID(ctx, bob.ID); err != nil {
			t.Fatalf("bob's website account went with his LMS account: %v", err)
		}
		f.deliver(t, lms.Report{Done: 1})
		if !f.moodle.User(bobUser).Deleted {
			t.Fatal("bob's Moodle user was not deleted")
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.RetentionDelete, ObjectKind: "lms_account", Subject: audit.Pseudonym(bob.Pseudonym)},
			testkit.AuditWant{Action: audit.LMSDelete, ObjectKind: "lms_account", Subject: audit.Pseudonym(bob.Pseudonym)})
		// Bob's My data row stays linked: his website account exists.
		if ms, _ := s.LMSMessagesOf(ctx, bob.ID); len(ms) != 1 || ms[0].Status != store.LMSDone {
			t.Fatalf("bob's LMS messages: %+v", ms)
		}

		// Four years after Anna's last LMS sign-in, less a minute: nothing.
		run(annaLogin.AddDate(4, 0, 0).Add(-time.Minute))
		if !hasLMS(f.anna) || !hasLMS(carla) {
			t.Fatal("an LMS account went before its four years")
		}
		// Four years on: Anna's goes, Carla's contract keeps hers.
		run(annaLogin.AddDate(4, 0, 0))
		if hasLMS(f.anna) || !hasLMS(carla) {
			t.Fatalf("four years after anna's sign-in: anna %v, carla %v", hasLMS(f.anna), hasLMS(carla))
		}
		f.deliver(t, lms.Report{Done: 1})
		if !f.moodle.User(f.user).Deleted || f.moodle.User(carlaUser).Deleted {
			t.Fatal("the Moodle users after four years")
		}
		if recs, _ := s.RecordsOf(ctx, f.anna.ID); len(recs) != 1 || recs[0].Kind != "order" {
			t.Fatalf("anna's records after the LMS rule: %+v", recs)
		}
		// Six years after Carla's last sign-in her contract's period ends.
		run(start.AddDate(6, 0, 0))
		if hasLMS(carla) {
			t.Fatal("carla's LMS account outlived her contract's six years")
		}
		f.deliver(t, lms.Report{Done: 1})
		if !f.moodle.User(carlaUser).Deleted {
			t.Fatal("carla's Moodle user was not deleted")
		}
		if del := f.moodle.CallsOf("core_user_delete_users"); len(del) != 3 {
			t.Fatalf("delete calls: %d", len(del))
		}
		_ = carlaSub
	})
}
