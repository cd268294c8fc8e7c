package runner_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/organisation"
	"steward/policy"
	"steward/retention"
	"steward/retention/runner"
	"steward/rights"
	"steward/store"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

type env struct {
	t   *testing.T
	s   *store.Store
	p   *policy.Policy
	clk *clock.Fixed
	r   *runner.Runner
}

func newEnv(t *testing.T, s *store.Store, site string, now string) *env {
	p := testkit.Policy(t, site)
	e, err := retention.New(p)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFixed(day(now))
	return &env{t: t, s: s, p: p, clk: clk, r: &runner.Runner{
		Store: s, Engine: e, Clock: clk, Audit: &audit.Log{Clock: clk}, Batch: 4,
	}}
}

type acct struct {
	id, email, org          string
	created, login, confirm string
}

func (e *env) account(a acct) {
	e.t.Helper()
	ac := &account.Account{ID: a.id, Email: a.email, Pseudonym: string(audit.NewPseudonym()),
		OrganisationID: a.org, CreatedAt: day(a.created)}
	if a.login != "" {
		ac.LastLoginAt, ac.LastActivityAt = day(a.login), day(a.login)
	}
	if a.confirm != "" {
		ac.ConfirmedAt = day(a.confirm)
	}
	err := e.s.InTx(context.Background(), func(tx *store.Tx) error {
		if a.org != "" {
			// Issue 16: an account belongs to an organisation that exists.
			if _, err := tx.Organisation(context.Background(), a.org); steward.ErrorCode(err) == steward.ENOTFOUND {
				if err := tx.InsertOrganisation(context.Background(), &organisation.Organisation{ID: a.org, Name: a.org, CreatedAt: ac.CreatedAt}); err != nil {
					return err
				}
			}
		}
		return tx.InsertAccount(context.Background(), ac)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) record(r *store.Record) {
	e.t.Helper()
	if err := e.s.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertRecord(context.Background(), e.p, r) }); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) run() *runner.Report {
	e.t.Helper()
	rep, err := e.r.Run(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

func (e *env) entries(a audit.Action) []audit.Entry {
	e.t.Helper()
	list, _, err := e.s.Audit().List(context.Background(), audit.Filter{Action: a}, audit.Page{Limit: audit.MaxPageLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func (e *env) exists(id string) bool {
	var n int
	if err := e.s.Read().QueryRow(`SELECT COUNT(*) FROM accounts WHERE id = $1 AND anonymised_at IS NULL`, id).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n == 1
}

// outbox returns the warning mails of a subject, oldest first. Warnings
// go out by the thousand, so they must be bulk mail (behind sign-up mail):
// one that is not is not counted.
func (e *env) outbox(subject string) []int64 {
	rows, err := e.s.Read().Query(`SELECT id FROM outbox WHERE subject_id = $1 AND kind = 'retention_warning' AND bulk = 1 ORDER BY id`, subject)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids
}

// deliver plays the mail dispatcher: every due mail is sent (or fails) now.
func (e *env) deliver(fail bool) {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.s.ClaimDueMail(ctx, e.clk.Now(), time.Minute, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range c.Mails {
		if fail {
			err = e.s.MarkMailFailed(ctx, c.Token, m.ID, e.clk.Now(), "550 rejected")
		} else {
			err = e.s.MarkMailSent(ctx, c.Token, m.ID, e.clk.Now())
		}
		if err != nil {
			e.t.Fatal(err)
		}
	}
}

// TestWarningThenAction follows Z9 across simulated days: warn 30 days
// before, wait for the mail, act only 30 days after it went out; a login
// resets inactivity; a failed mail postpones the action and is sent again.
func TestWarningThenAction(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, "zorginspirator", "2023-12-01")
		// Inactive since 2021-01-01: due 2024-01-01, warning 2023-12-02.
		e.account(acct{id: "a_idle", email: "idle.person@example.org", created: "2020-01-01", login: "2021-01-01", confirm: "2020-01-01"})
		e.account(acct{id: "a_comesback", email: "comes.back@example.org", created: "2020-01-01", login: "2021-01-01", confirm: "2020-01-01"})
		e.account(acct{id: "a_bounces", email: "bounces@example.org", created: "2020-01-01", login: "2021-01-01", confirm: "2020-01-01"})
		e.account(acct{id: "a_active", email: "active@example.org", created: "2020-01-01", login: "2023-06-01", confirm: "2020-01-01"})

		if rep := e.run(); rep.Total().Total() != 0 {
			t.Fatalf("a day before the warning date: %+v", rep.Total())
		}
		e.clk.Set(day("2023-12-02"))
		if got := e.run().Total(); got.Warn != 3 {
			t.Fatalf("on the warning date: %+v, want 3 warnings", got)
		}
		if n := len(e.entries(audit.RetentionWarn)); n != 3 {
			t.Fatalf("%d retention.warn entries, want 3", n)
		}
		// Running again the same day warns nobody twice.
		if got := e.run().Total(); got.Warn != 0 || got.Wait != 3 {
			t.Fatalf("second run: %+v, want 3 waiting", got)
		}
		if n := len(e.outbox("a_idle")); n != 1 {
			t.Fatalf("%d warning mails, want 1", n)
		}
		// The mail server is down until 5 January: past the due date
		// nothing happens, because no warning went out (Z9).
		e.clk.Set(day("2024-01-05"))
		if got := e.run().Total(); got.Anonymise != 0 || got.Wait != 3 {
			t.Fatalf("due but unwarned: %+v, want 3 waiting", got)
		}
		// a_bounces's mail fails; the others go out on 5 January.
		err := s.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.ExecContext(context.Background(), `UPDATE outbox SET next_attempt_at = $1 WHERE subject_id = 'a_bounces'`, day("2030-01-01").UnixMilli())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		e.deliver(false)
		e.clk.Set(day("2030-01-01"))
		e.deliver(true)
		e.clk.Set(day("2024-01-06"))
		// a_comesback logs in: inactivity starts again.
		err = s.InTx(context.Background(), func(tx *store.Tx) error {
			return tx.RecordLogin(context.Background(), "a_comesback", day("2024-01-06"))
		})
		if err != nil {
			t.Fatal(err)
		}
		got := e.run().Total()
		if got.Anonymise != 0 || got.Wait != 1 || got.Warn != 1 {
			t.Fatalf("after sending: %+v, want a_idle waiting and a_bounces warned again", got)
		}
		if n := len(e.outbox("a_bounces")); n != 2 {
			t.Fatalf("a_bounces has %d warning mails, want the failed one and a new one", n)
		}
		e.clk.Set(day("2024-02-03"))
		if got := e.run().Total(); got.Anonymise != 0 {
			t.Fatalf("29 days after the warning went out: %+v", got)
		}
		e.clk.Set(day("2024-02-04"))
		if got := e.run().Total(); got.Anonymise != 1 {
			t.Fatalf("30 days after the warning went out: %+v, want a_idle anonymised", got)
		}
		if e.exists("a_idle") || !e.exists("a_comesback") || !e.exists("a_bounces") || !e.exists("a_active") {
			t.Fatal("wrong accounts anonymised")
		}
		an := e.entries(audit.RetentionAnonymise)
		if len(an) != 1 || an[0].ObjectID != "a_idle" || an[0].Actor != "system:retention" || an[0].Subject == "" {
			t.Fatalf("audit: %+v", an)
		}
		// The anonymised row still counts (Z9) but holds no address, and
		// nothing leads to it: not the old id (in the audit entry above and
		// in the person's own export), not the old pseudonym.
		var n, old int
		s.Read().QueryRow(`SELECT COUNT(*) FROM accounts WHERE email = '' AND anonymised_at IS NOT NULL AND id LIKE 'anon_%'`).Scan(&n)
		s.Read().QueryRow(`SELECT COUNT(*) FROM accounts WHERE id = 'a_idle' OR pseudonym = $1`, string(an[0].Subject)).Scan(&old)
		if n != 1 || old != 0 {
			t.Fatalf("anonymous rows %d (want 1), rows still under a_idle's id or pseudonym %d (want 0)", n, old)
		}
		assertGone(t, s, "idle.person@example.org")
	})
}

// ivmDue makes n IVM website accounts with nothing attached, idle since
// 2020: due under website_account_inactive in 2021.
func (e *env) ivmDue(n int) []string {
	var ids []string
	for i := range n {
		id := fmt.Sprintf("a_due%03d", i)
		e.account(acct{id: id, email: fmt.Sprintf("due%03d@example.org", i), created: "2019-01-01", login: "2020-01-01", confirm: "2019-01-01"})
		ids = append(ids, id)
	}
	return ids
}

// TestKillAndResume stops a run after k batches, runs again, and checks
// that every due subject was handled exactly once and the audit log,
// signed, verifies (on SQLite the batches run without foreign keys,
// store.InErasureTx).
func TestKillAndResume(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		signer := testkit.AuditSigner(t, s, 5)
		e := newEnv(t, s, "ivm", "2024-06-01")
		ids := e.ivmDue(25)
		e.account(acct{id: "a_recent", email: "recent@example.org", created: "2024-01-01", login: "2024-05-01"})
		killed := errors.New("killed")
		for _, k := range []int{3, 1} {
			e.r.AfterBatch = func(n int) error {
				if n == k {
					return killed
				}
				return nil
			}
			if _, err := e.r.Run(context.Background()); !errors.Is(err, killed) {
				t.Fatalf("run killed after %d batches: %v", k, err)
			}
		}
		e.r.AfterBatch = nil
		e.run()
		e.run() // and once more: nothing left to do
		del := e.entries(audit.RetentionDelete)
		seen := map[string]int{}
		for _, en := range del {
			seen[en.ObjectID]++
		}
		for _, id := range ids {
			if seen[id] != 1 || e.exists(id) {
				t.Errorf("%s: %d delete entries, exists=%v; want exactly one and gone", id, seen[id], e.exists(id))
			}
		}
		if len(del) != len(ids) || !e.exists("a_recent") {
			t.Fatalf("%d delete entries for %d due accounts; recent kept=%v", len(del), len(ids), e.exists("a_recent"))
		}
		testkit.AssertAuditVerifies(t, s, signer)
	})
}

// TestOneRunnerAtATime runs two runners at once: one acts, the other is
// told the lease is taken, and nothing is handled twice.
func TestOneRunnerAtATime(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, "ivm", "2024-06-01")
		ids := e.ivmDue(20)
		ok, err := s.AcquireLease(context.Background(), store.RetentionLeaseName, "other-process", e.clk.Now(), time.Hour)
		if err != nil || !ok {
			t.Fatalf("acquire: %v %v", ok, err)
		}
		if _, err := e.r.Run(context.Background()); !errors.Is(err, runner.ErrBusy) {
			t.Fatalf("run while another holds the lease: %v, want ErrBusy", err)
		}
		if err := s.ReleaseLease(context.Background(), store.RetentionLeaseName, "other-process"); err != nil {
			t.Fatal(err)
		}
		// A second runner (another process: its own holder) starts while
		// the first is between batches, holding the lease: it must refuse
		// at once, change nothing, and leave the first to finish.
		var second error
		tried := false
		e.r.AfterBatch = func(n int) error {
			if n == 1 {
				other := *e.r
				other.AfterBatch = nil
				before := len(e.entries(audit.RetentionDelete))
				_, second = (&other).Run(context.Background())
				tried = true
				if after := len(e.entries(audit.RetentionDelete)); after != before {
					t.Errorf("the refused runner deleted %d subjects", after-before)
				}
			}
			return nil
		}
		e.run()
		if !tried || !errors.Is(second, runner.ErrBusy) {
			t.Fatalf("a second runner during a run: tried %v, err %v; want ErrBusy", tried, second)
		}
		if n := len(e.entries(audit.RetentionDelete)); n != len(ids) {
			t.Fatalf("%d delete entries, want %d", n, len(ids))
		}
	})
}

// TestLegalHoldSkipsAndReports: with the holds serve and the CLI use
// (retention.LegalHolds over the store's facts), a subject under restriction and one with an open
// request are skipped and reported with the reason; one whose request is
// closed is not held.
func TestLegalHoldSkipsAndReports(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, "ivm", "2024-06-01")
		e.ivmDue(4)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO processing_limits (subject, kind, purpose, since, reason)
				VALUES ('a_due001', 'restriction', '*', $1, '')`, day("2024-05-01").UnixMilli()); err != nil {
				return err
			}
			for i, status := range []rights.Status{rights.StatusReceived, rights.StatusCompleted} {
				subject := fmt.Sprintf("a_due%03d", i+2)
				r := &store.Request{ID: "req_" + subject, SubjectID: subject, Type: string(rights.TypeAccess), Channel: string(rights.ChannelEmail),
					ReceivedOn: day("2024-05-20"), Status: string(status), Deadline: day("2024-06-20"), CreatedAt: day("2024-05-20"), CreatedBy: "staff:1"}
				if status == rights.StatusCompleted {
					r.ClosedOn, r.Outcome = day("2024-05-25"), "sent the copy"
				}
				if err := tx.InsertRequest(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		e.r.Holds = retention.LegalHolds{}
		plan, err := e.r.Plan(ctx, e.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		held := map[string]any{}
		for _, it := range plan.Items {
			if it.Outcome == runner.Held {
				held[it.Target] = it.Reason.Then[len(it.Reason.Then)-1].Arg("hold")
			}
		}
		if len(held) != 2 || held["a_due001"] != retention.HoldRestriction || held["a_due002"] != retention.HoldOpenRequest {
			t.Fatalf("plan reports holds %v, want a_due001 (restriction) and a_due002 (open request)", held)
		}
		rep := e.run()
		if got := rep.Total(); got.Delete != 2 || got.Held != 2 {
			t.Fatalf("run: %+v, want 2 deleted and 2 held", got)
		}
		if !e.exists("a_due001") || !e.exists("a_due002") || e.exists("a_due003") {
			t.Fatal("a held subject was deleted, or the one whose request is closed was kept")
		}
	})
}

// TestPlanChangesNothing: a plan lists the same outcomes a run then carries
// out, and leaves every row alone.
func TestPlanChangesNothing(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, "ivm", "2024-06-01")
		e.ivmDue(5)
		// An account with a download is kept seven years after its last login.
		e.account(acct{id: "a_buyer", email: "buyer@example.org", created: "2010-01-01", login: "2017-06-01", confirm: "2010-01-01"})
		e.record(&store.Record{Subject: "a_buyer", Kind: "download", CreatedAt: day("2015-01-01"), Values: map[string]string{"material": "Leaflet A"}})
		e.account(acct{id: "a_buyer2", email: "buyer2@example.org", created: "2010-01-01", login: "2018-06-01", confirm: "2010-01-01"})
		e.record(&store.Record{Subject: "a_buyer2", Kind: "download", CreatedAt: day("2015-01-01"), Values: map[string]string{"material": "Leaflet B"}})
		plan, err := e.r.Plan(context.Background(), e.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c := plan.PerRule["website_account_inactive"]; c.Delete != 5 {
			t.Fatalf("plan website_account_inactive: %+v", c)
		}
		if c := plan.PerRule["website_account_with_orders"]; c.Delete != 1 {
			t.Fatalf("plan website_account_with_orders: %+v", c)
		}
		if !e.exists("a_due000") || !e.exists("a_buyer") {
			t.Fatal("plan changed data")
		}
		rep := e.run()
		if rep.Total().Delete != 6 || e.exists("a_buyer") || !e.exists("a_buyer2") {
			t.Fatalf("run: %+v", rep.Total())
		}
		assertGone(t, s, "Leaflet A", "buyer@example.org")
	})
}

// TestOverrideDefersDeletion: a contract override for the organisation
// postpones the R9 deletion; bad overrides are refused with clear errors.
func TestOverrideDefersDeletion(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, "ivm", "2024-06-01")
		e.account(acct{id: "a_member", email: "member@example.org", org: "org_hospital", created: "2010-01-01", login: "2017-01-01"})
		e.record(&store.Record{Subject: "a_member", Kind: "order", CreatedAt: day("2016-01-01")})
		set := func(o retention.Override) error {
			return s.InTx(ctx, func(tx *store.Tx) error {
				if err := retention.CheckOverride(e.p, o); err != nil {
					return err
				}
				_, err := tx.SetOverride(ctx, store.Override(o), e.clk.Now())
				return err
			})
		}
		for _, tc := range []struct {
			o    retention.Override
			want string
		}{
			{retention.Override{Organisation: "org_unknown", Rule: "website_account_with_orders", Period: policy.MustDuration("P10Y"), ContractRef: "C", ValidFrom: day("2020-01-01")}, "unknown organisation"},
			{retention.Override{Organisation: "org_hospital", Rule: "website_account_inactive", Period: policy.MustDuration("P10Y"), ContractRef: "C", ValidFrom: day("2020-01-01")}, "does not allow a contract override"},
			{retention.Override{Organisation: "org_hospital", Rule: "nope", Period: policy.MustDuration("P10Y"), ContractRef: "C", ValidFrom: day("2020-01-01")}, "no retention rule"},
		} {
			if err := set(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("override %+v: %v, want %q", tc.o, err, tc.want)
			}
		}
		if got := e.runPlan().PerRule["website_account_with_orders"]; got.Delete != 1 {
			t.Fatalf("without override: %+v", got)
		}
		if err := set(retention.Override{Organisation: "org_hospital", Rule: "website_account_with_orders", Period: policy.MustDuration("P10Y"),
			ContractRef: "HOSP-2020-7", ValidFrom: day("2020-01-01")}); err != nil {
			t.Fatal(err)
		}
		if got := e.runPlan().PerRule["website_account_with_orders"]; got.Total() != 0 {
			t.Fatalf("with a P10Y override: %+v", got)
		}
		f, err := runner.TargetFacts(ctx, s, "account", "a_member")
		if err != nil {
			t.Fatal(err)
		}
		d, ok := e.r.Engine.DeletionDate(f, e.clk.Now())
		if words := d.Reason.Words("en", e.r.Engine.Policy()); !ok || d.DueDate.Format(time.DateOnly) != "2027-01-01" || !strings.Contains(words, "contract HOSP-2020-7") {
			t.Fatalf("My data deletion date: %v %s", d.DueDate, words)
		}
	})
}

func (e *env) runPlan() *runner.Report {
	e.t.Helper()
	rep, err := e.r.Plan(context.Background(), e.clk.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

func TestUnknownRuleIsAnError(t *testing.T) {
	s := testkit.SQLite(t)
	e := newEnv(t, s, "ivm", "2024-06-01")
	e.r.Rules = []string{"no_such_rule"}
	if _, err := e.r.Plan(context.Background(), e.clk.Now()); err == nil || !strings.Contains(err.Error(), "no_such_rule") {
		t.Fatalf("plan with an unknown rule: %v", err)
	}
}

// TestLMSRulesEraseTheLMSAccountWhole runs IVM's three learning-environment
// rules (R10) against people whose LMS account keeps its own profile (name,
// in profile_values under lms_account): each due LMS account goes with its
// profile and courses, the website account and its own profile stay, and
// an active LMS account is untouched.
func TestLMSRulesEraseTheLMSAccountWhole(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, "ivm", "2024-06-01")
		type lms struct {
			id, created, confirm, login string
			course                      bool
			rule                        string // the rule that is due, "" for none
		}
		people := []lms{
			{id: "l_unconfirmed", created: "2022-01-01", login: "2024-01-01", course: true, rule: "lms_account_unconfirmed"},
			{id: "l_no_course", created: "2022-01-01", confirm: "2022-01-02", login: "2024-01-01", rule: "lms_account_without_course"},
			{id: "l_inactive", created: "2015-01-01", confirm: "2015-01-02", login: "2019-01-01", course: true, rule: "lms_account_inactive"},
			{id: "l_active", created: "2015-01-01", confirm: "2015-01-02", login: "2024-01-01", course: true},
		}
		for _, l := range people {
			e.account(acct{id: l.id, email: l.id + "@example.org", created: "2020-01-01", confirm: "2020-01-01", login: "2024-05-01"})
			r := &store.Record{Subject: l.id, Kind: "lms_account", CreatedAt: day(l.created), LastLoginAt: day(l.login)}
			if l.confirm != "" {
				r.ConfirmedAt = day(l.confirm)
			}
			e.record(r)
			if l.course {
				e.record(&store.Record{Subject: l.id, Kind: "enrolment", CreatedAt: day(l.created), Values: map[string]string{"course": "Rekenen"}})
			}
			err := s.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.PutProfile(ctx, e.p, l.id, "lms_account", account.Values{"first_name": "Lotte", "last_name": "Leerling"}, day(l.created)); err != nil {
					return err
				}
				return tx.PutProfile(ctx, e.p, l.id, "account", account.Values{"first_name": "Lotte"}, day("2020-01-01"))
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		plan := e.runPlan()
		for _, l := range people {
			if l.rule != "" && plan.PerRule[l.rule].Delete != 1 {
				t.Errorf("plan for %s: %+v, want 1 to delete", l.rule, plan.PerRule[l.rule])
			}
		}
		e.run()
		count := func(q, id string) int {
			var n int
			if err := s.Read().QueryRowContext(ctx, q, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, l := range people {
			lmsLeft := count(`SELECT COUNT(*) FROM records WHERE subject_id = $1 AND kind IN ('lms_account', 'enrolment')`, l.id)
			profileLeft := count(`SELECT COUNT(*) FROM profile_values WHERE account_id = $1 AND record = 'lms_account'`, l.id)
			accountProfile := count(`SELECT COUNT(*) FROM profile_values WHERE account_id = $1 AND record = 'account'`, l.id)
			switch {
			case !e.exists(l.id) || accountProfile != 1:
				t.Errorf("%s: the website account or its profile went with the LMS account", l.id)
			case l.rule != "" && (lmsLeft != 0 || profileLeft != 0):
				t.Errorf("%s (%s): %d LMS records and %d LMS profile values left", l.id, l.rule, lmsLeft, profileLeft)
			case l.rule == "" && (lmsLeft != 2 || profileLeft != 2):
				t.Errorf("%s (not due): %d LMS records and %d LMS profile values, want 2 and 2", l.id, lmsLeft, profileLeft)
			}
		}
	})
}

// TestKilledRunnersLeaseRunsOut: a runner killed mid-run (kill -9) cannot
// release its lease; a new run is refused until the lease runs out, then
// takes over and handles every due subject exactly once.
func TestKilledRunnersLeaseRunsOut(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, "ivm", "2024-06-01")
		ids := e.ivmDue(6)
		// The killed process: its lease, as its last batch renewed it.
		if ok, err := s.AcquireLease(ctx, store.RetentionLeaseName, "killed-process", e.clk.Now(), 5*time.Minute); err != nil || !ok {
			t.Fatalf("acquire: %v %v", ok, err)
		}
		e.clk.Set(e.clk.Now().Add(5*time.Minute - time.Second))
		if _, err := e.r.Run(ctx); !errors.Is(err, runner.ErrBusy) {
			t.Fatalf("run while the dead runner's lease lasts: %v, want ErrBusy", err)
		}
		if n := len(e.entries(audit.RetentionDelete)); n != 0 {
			t.Fatalf("a refused run deleted %d", n)
		}
		e.clk.Set(e.clk.Now().Add(2 * time.Second))
		if got := e.run().Total(); got.Delete != len(ids) {
			t.Fatalf("run after the lease ran out: %+v, want %d deleted", got, len(ids))
		}
		if n := len(e.entries(audit.RetentionDelete)); n != len(ids) {
			t.Fatalf("%d delete entries, want %d", n, len(ids))
		}
	})
}
