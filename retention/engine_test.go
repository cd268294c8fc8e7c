package retention_test

import (
	"strings"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/policy"
	"steward/retention"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// zorgRule is the Z9 rule as the Zorginspirator policy states it: anonymise
// after more than three years of inactivity, after an e-mail warning.
var zorgRule = policy.Rule{
	ID: "account_inactive", Record: "account", Since: policy.SinceLastActivity,
	Period: policy.MustDuration("P3Y"), Action: policy.ActionAnonymise,
	WarnBefore: policy.MustDuration("P30D"),
}

func zorgPolicy() *policy.Policy {
	return &policy.Policy{
		Records:   []policy.Record{{ID: "account", Subject: policy.SubjectAccount}, {ID: "saved_job", Subject: policy.SubjectAccount}},
		Retention: []policy.Rule{zorgRule},
	}
}

func engine(t *testing.T, p *policy.Policy) *retention.Engine {
	t.Helper()
	e, err := retention.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestSeedRulesAtTheBoundary checks every rule of the IVM policy (R9, R10)
// and the Zorginspirator rule (Z9) one day before and on/after its period,
// with and without a contract override, and across 29 February.
func TestSeedRulesAtTheBoundary(t *testing.T) {
	ivm := engine(t, testkit.Policy(t, "ivm"))
	// The rule as policies/zorginspirator.yaml states it, not a copy.
	zorg := engine(t, testkit.Policy(t, "zorginspirator"))
	contract := retention.Override{Organisation: "org_1", Rule: "website_account_with_orders",
		Period: policy.MustDuration("P10Y"), ContractRef: "C-1", ValidFrom: date("2020-01-01")}
	lmsContract := retention.Override{Organisation: "org_1", Rule: "lms_account_inactive",
		Period: policy.MustDuration("P2Y"), ContractRef: "C-2", ValidFrom: date("2020-01-01"), ValidUntil: date("2040-01-01")}
	// An override of a rule without contract_override must be ignored.
	illegal := retention.Override{Organisation: "org_1", Rule: "lms_account_unconfirmed",
		Period: policy.MustDuration("P9Y"), ContractRef: "C-3", ValidFrom: date("2020-01-01")}

	tests := []struct {
		name    string
		e       *retention.Engine
		rule    string
		f       retention.Facts
		asOf    string
		applies bool
		due     string // expected DueDate
		isDue   bool
	}{
		// R9: website accounts without orders, downloads or newsletter, one year after the last login.
		{"website_inactive/day_before", ivm, "website_account_inactive",
			retention.Facts{Kind: "account", CreatedAt: date("2023-01-10"), LastLoginAt: date("2024-03-15")}, "2025-03-14", true, "2025-03-15", false},
		{"website_inactive/on_the_day", ivm, "website_account_inactive",
			retention.Facts{Kind: "account", CreatedAt: date("2023-01-10"), LastLoginAt: date("2024-03-15")}, "2025-03-15", true, "2025-03-15", true},
		{"website_inactive/never_logged_in_counts_from_creation", ivm, "website_account_inactive",
			retention.Facts{Kind: "account", CreatedAt: date("2024-03-15")}, "2025-03-16", true, "2025-03-15", true},
		{"website_inactive/leap_day_plus_P1Y_is_28_february", ivm, "website_account_inactive",
			retention.Facts{Kind: "account", CreatedAt: date("2024-02-29"), LastLoginAt: date("2024-02-29")}, "2025-02-27", true, "2025-02-28", false},
		{"website_inactive/leap_day_due_on_28_february", ivm, "website_account_inactive",
			retention.Facts{Kind: "account", CreatedAt: date("2024-02-29"), LastLoginAt: date("2024-02-29")}, "2025-02-28", true, "2025-02-28", true},
		{"website_inactive/with_newsletter_does_not_apply", ivm, "website_account_inactive",
			retention.Facts{Kind: "account", CreatedAt: date("2020-01-01"), Counts: map[string]int{"newsletter_subscription": 1}}, "2030-01-01", false, "", false},
		{"website_inactive/with_download_does_not_apply", ivm, "website_account_inactive",
			retention.Facts{Kind: "account", CreatedAt: date("2020-01-01"), Counts: map[string]int{"download": 2}}, "2030-01-01", false, "", false},
		// R9: accounts with orders or downloads, seven years after the last login.
		{"with_orders/day_before", ivm, "website_account_with_orders",
			retention.Facts{Kind: "account", CreatedAt: date("2010-01-01"), LastLoginAt: date("2018-06-30"), Counts: map[string]int{"order": 1}}, "2025-06-29", true, "2025-06-30", false},
		{"with_orders/day_after", ivm, "website_account_with_orders",
			retention.Facts{Kind: "account", CreatedAt: date("2010-01-01"), LastLoginAt: date("2018-06-30"), Counts: map[string]int{"download": 1}}, "2025-07-01", true, "2025-06-30", true},
		{"with_orders/override_P10Y_not_yet_due", ivm, "website_account_with_orders",
			retention.Facts{Kind: "account", CreatedAt: date("2010-01-01"), LastLoginAt: date("2018-06-30"), Counts: map[string]int{"order": 1},
				Organisation: "org_1", Overrides: []retention.Override{contract}}, "2028-06-29", true, "2028-06-30", false},
		{"with_orders/override_P10Y_due", ivm, "website_account_with_orders",
			retention.Facts{Kind: "account", CreatedAt: date("2010-01-01"), LastLoginAt: date("2018-06-30"), Counts: map[string]int{"order": 1},
				Organisation: "org_1", Overrides: []retention.Override{contract}}, "2028-06-30", true, "2028-06-30", true},
		{"with_orders/override_of_other_organisation_ignored", ivm, "website_account_with_orders",
			retention.Facts{Kind: "account", CreatedAt: date("2010-01-01"), LastLoginAt: date("2018-06-30"), Counts: map[string]int{"order": 1},
				Organisation: "org_2", Overrides: []retention.Override{contract}}, "2025-07-01", true, "2025-06-30", true},
		{"with_orders/leap_day_plus_P7Y", ivm, "website_account_with_orders",
			retention.Facts{Kind: "account", CreatedAt: date("2010-01-01"), LastLoginAt: date("2016-02-29"), Counts: map[string]int{"order": 1}}, "2023-02-28", true, "2023-02-28", true},
		// R10: LMS accounts with courses, four years after the last login.
		{"lms_inactive/day_before", ivm, "lms_account_inactive",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2019-01-01"), LastLoginAt: date("2021-05-31"), Confirmed: true, Counts: map[string]int{"enrolment": 3}}, "2025-05-30", true, "2025-05-31", false},
		{"lms_inactive/on_the_day", ivm, "lms_account_inactive",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2019-01-01"), LastLoginAt: date("2021-05-31"), Confirmed: true, Counts: map[string]int{"enrolment": 3}}, "2025-05-31", true, "2025-05-31", true},
		{"lms_inactive/override_P2Y_day_before", ivm, "lms_account_inactive",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2019-01-01"), LastLoginAt: date("2021-05-31"), Confirmed: true, Counts: map[string]int{"enrolment": 3},
				Organisation: "org_1", Overrides: []retention.Override{lmsContract}}, "2023-05-30", true, "2023-05-31", false},
		{"lms_inactive/override_P2Y", ivm, "lms_account_inactive",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2019-01-01"), LastLoginAt: date("2021-05-31"), Confirmed: true, Counts: map[string]int{"enrolment": 3},
				Organisation: "org_1", Overrides: []retention.Override{lmsContract}}, "2023-05-31", true, "2023-05-31", true},
		{"lms_inactive/expired_override_gives_rule_period", ivm, "lms_account_inactive",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2019-01-01"), LastLoginAt: date("2040-05-31"), Confirmed: true, Counts: map[string]int{"enrolment": 3},
				Organisation: "org_1", Overrides: []retention.Override{lmsContract}}, "2044-05-30", true, "2044-05-31", false},
		{"lms_inactive/leap_day_plus_P4Y_is_29_february", ivm, "lms_account_inactive",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2019-01-01"), LastLoginAt: date("2024-02-29"), Confirmed: true, Counts: map[string]int{"enrolment": 1}}, "2028-02-28", true, "2028-02-29", false},
		{"lms_inactive/without_course_does_not_apply", ivm, "lms_account_inactive",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2019-01-01"), Confirmed: true}, "2030-01-01", false, "", false},
		// R10: never confirmed, one year after creation; no override allowed.
		{"lms_unconfirmed/day_before", ivm, "lms_account_unconfirmed",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2024-02-29"), Counts: map[string]int{"enrolment": 1}}, "2025-02-27", true, "2025-02-28", false},
		{"lms_unconfirmed/on_the_day", ivm, "lms_account_unconfirmed",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2024-02-29"), Counts: map[string]int{"enrolment": 1}}, "2025-02-28", true, "2025-02-28", true},
		{"lms_unconfirmed/override_ignored_without_contract_override", ivm, "lms_account_unconfirmed",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2024-03-01"), Organisation: "org_1", Overrides: []retention.Override{illegal}}, "2025-03-01", true, "2025-03-01", true},
		{"lms_unconfirmed/confirmed_does_not_apply", ivm, "lms_account_unconfirmed",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2020-01-01"), Confirmed: true}, "2030-01-01", false, "", false},
		// R10: not linked to any course, one year after creation.
		{"lms_without_course/day_before", ivm, "lms_account_without_course",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2024-01-31"), Confirmed: true}, "2025-01-30", true, "2025-01-31", false},
		{"lms_without_course/day_after", ivm, "lms_account_without_course",
			retention.Facts{Kind: "lms_account", CreatedAt: date("2024-01-31"), Confirmed: true}, "2025-02-01", true, "2025-01-31", true},
		// R2 (policy): unconfirmed newsletter sign-ups after 30 days.
		{"newsletter_unconfirmed/day_before", ivm, "newsletter_unconfirmed",
			retention.Facts{Kind: "newsletter_subscription", CreatedAt: date("2024-02-10")}, "2024-03-10", true, "2024-03-11", false},
		{"newsletter_unconfirmed/on_the_day", ivm, "newsletter_unconfirmed",
			retention.Facts{Kind: "newsletter_subscription", CreatedAt: date("2024-02-10")}, "2024-03-11", true, "2024-03-11", true},
		// Z9: more than three years of inactivity.
		{"zorg_inactive/day_before", zorg, "inactive_account",
			retention.Facts{Kind: "account", CreatedAt: date("2019-01-01"), LastLoginAt: date("2021-01-01"), LastActivityAt: date("2021-08-15")}, "2024-08-14", true, "2024-08-15", false},
		{"zorg_inactive/on_the_day", zorg, "inactive_account",
			retention.Facts{Kind: "account", CreatedAt: date("2019-01-01"), LastActivityAt: date("2021-08-15")}, "2024-08-15", true, "2024-08-15", true},
		{"zorg_inactive/leap_day_plus_P3Y", zorg, "inactive_account",
			retention.Facts{Kind: "account", CreatedAt: date("2019-01-01"), LastActivityAt: date("2024-02-29")}, "2027-02-28", true, "2027-02-28", true},
		{"zorg_inactive/no_activity_falls_back_to_login", zorg, "inactive_account",
			retention.Facts{Kind: "account", CreatedAt: date("2019-01-01"), LastLoginAt: date("2022-03-01")}, "2025-02-28", true, "2025-03-01", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.e.Rule(tc.rule)
			if err != nil {
				t.Fatal(err)
			}
			d := tc.e.EvaluateRule(r, tc.f, date(tc.asOf))
			if d.Applies != tc.applies {
				t.Fatalf("applies = %v, want %v (%s)", d.Applies, tc.applies, d.Reason)
			}
			if !tc.applies {
				return
			}
			if got := d.DueDate.Format(time.DateOnly); got != tc.due {
				t.Errorf("due date %s, want %s (%s)", got, tc.due, d.Reason)
			}
			if d.Due != tc.isDue {
				t.Errorf("due = %v, want %v as of %s (%s)", d.Due, tc.isDue, tc.asOf, d.Reason)
			}
			if c, _ := d.Reason.Arg("condition").(retention.Condition); d.Reason.Kind != retention.ReasonApplies || c.Record != r.Record || d.Reason.Arg("due") != d.DueDate {
				t.Errorf("reason %+v does not give the rule's condition and due date", d.Reason)
			}
			if d.Override != nil && noteArg(d.Reason, retention.ReasonContract, "contract") != d.Override.ContractRef {
				t.Errorf("reason %+v does not name the contract", d.Reason)
			}
		})
	}
}

func TestWarningDate(t *testing.T) {
	e := engine(t, zorgPolicy())
	f := retention.Facts{Kind: "account", CreatedAt: date("2019-01-01"), LastActivityAt: date("2021-03-31")}
	for _, tc := range []struct {
		asOf          time.Time
		warnDue, due  bool
		warn, dueDate string
	}{
		{date("2024-03-01").Add(-time.Second), false, false, "2024-03-01", "2024-03-31"},
		{date("2024-03-01"), true, false, "2024-03-01", "2024-03-31"},
		{date("2024-03-30"), true, false, "2024-03-01", "2024-03-31"},
		{date("2024-03-31"), true, true, "2024-03-01", "2024-03-31"},
	} {
		d := e.Evaluate(f, tc.asOf)[0]
		if got := d.WarnDate.Format(time.DateOnly); got != tc.warn {
			t.Errorf("warn date %s, want %s", got, tc.warn)
		}
		if got := d.DueDate.Format(time.DateOnly); got != tc.dueDate {
			t.Errorf("due date %s, want %s", got, tc.dueDate)
		}
		if d.WarnDue != tc.warnDue || d.Due != tc.due {
			t.Errorf("as of %s: warnDue=%v due=%v, want %v %v", tc.asOf, d.WarnDue, d.Due, tc.warnDue, tc.due)
		}
		if noteArg(d.Reason, retention.ReasonWarning, "warn_date") != d.WarnDate || noteArg(d.Reason, retention.ReasonWarning, "warn_before") != policy.MustDuration("P30D") {
			t.Errorf("reason %+v does not give the warning", d.Reason)
		}
		if got := d.Reason.Words("en", e.Policy()); !strings.Contains(got, "warning 30 days before, on 1 March 2024") {
			t.Errorf("reason in English %q does not give the warning", got)
		}
	}
}

// TestDeletionDateTakesTheEarliestRule is what the "My data" page shows: of
// the rules that apply, the one that acts first.
func TestDeletionDateTakesTheEarliestRule(t *testing.T) {
	e := engine(t, testkit.Policy(t, "ivm"))
	// Unconfirmed and without course: both R10 rules apply from creation;
	// both give the same day. With a course only the unconfirmed one applies.
	f := retention.Facts{Kind: "lms_account", CreatedAt: date("2024-05-01")}
	d, ok := e.DeletionDate(f, date("2024-06-01"))
	if !ok || d.DueDate.Format(time.DateOnly) != "2025-05-01" {
		t.Fatalf("deletion date %v %v, want 2025-05-01", d.DueDate, ok)
	}
	f = retention.Facts{Kind: "account", CreatedAt: date("2024-05-01"), Counts: map[string]int{"newsletter_subscription": 1}}
	// Issue 17: the policy decides it — one year after the last login.
	if d, ok := e.DeletionDate(f, date("2024-06-01")); !ok || d.Rule.ID != "website_account_newsletter_only" || d.DueDate.Format(time.DateOnly) != "2025-05-01" {
		t.Fatalf("an account with a newsletter and no orders: %+v %v, want website_account_newsletter_only on 2025-05-01", d, ok)
	}
}

func TestUnknownRule(t *testing.T) {
	e := engine(t, testkit.Policy(t, "ivm"))
	_, err := e.Rule("nope")
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "website_account_inactive") {
		t.Fatalf("error %v should name the unknown rule and the rules there are", err)
	}
}

func TestNewRefusesUndeclaredKind(t *testing.T) {
	p := zorgPolicy()
	p.Retention = append(p.Retention, policy.Rule{ID: "x", Record: "ghost", Period: policy.MustDuration("P1Y")})
	if _, err := retention.New(p); err == nil || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("New accepted a rule on an undeclared kind: %v", err)
	}
}

func TestZorginspiratorPolicyHasTheZ9Rule(t *testing.T) {
	e := engine(t, testkit.Policy(t, "zorginspirator"))
	var found bool
	for _, r := range e.Policy().Retention {
		if r.Action == policy.ActionAnonymise && !r.WarnBefore.IsZero() && r.Period == policy.MustDuration("P3Y") {
			found = true
			d := e.EvaluateRule(&r, retention.Facts{Kind: r.Record, CreatedAt: date("2020-01-01"), LastLoginAt: date("2021-01-01"), LastActivityAt: date("2021-01-01")}, date("2024-01-02"))
			if !d.Applies || !d.Due || d.DueDate.Format(time.DateOnly) != "2024-01-01" {
				t.Errorf("Z9 rule %s: %+v", r.ID, d)
			}
		}
	}
	if !found {
		t.Error("no rule anonymises after P3Y with a warning (Z9)")
	}
}

// noteArg is the argument name of r's note of kind, or nil.
func noteArg(r retention.Reason, kind retention.ReasonKind, name string) any {
	for _, n := range r.Then {
		if n.Kind == kind {
			return n.Arg(name)
		}
	}
	return nil
}

// TestDecisiveIsTheEarliestApplicable: the runner's Decisive gives the
// decision Evaluate's earliest applicable rule gives (ties: policy order),
// without a reason, and nothing where no rule applies.
func TestDecisiveIsTheEarliestApplicable(t *testing.T) {
	ivm := engine(t, testkit.Policy(t, "ivm"))
	asOf := date("2025-06-01")
	for i, f := range []retention.Facts{
		{Kind: "account", CreatedAt: date("2023-01-10"), LastLoginAt: date("2024-03-15")},
		{Kind: "account", CreatedAt: date("2023-01-10"), LastLoginAt: date("2024-03-15"), Confirmed: true},
		{Kind: "account", CreatedAt: date("2010-01-01"), LastLoginAt: date("2018-06-30"), Counts: map[string]int{"order": 1}},
		{Kind: "account", CreatedAt: date("2020-01-01"), Confirmed: true, Counts: map[string]int{"newsletter_subscription": 1}},
		{Kind: "lms_account", CreatedAt: date("2024-02-29"), Counts: map[string]int{"enrolment": 1}},
		{Kind: "lms_account", CreatedAt: date("2024-01-31"), Confirmed: true},
		{Kind: "newsletter_subscription", CreatedAt: date("2024-02-10")},
		{Kind: "no_such_kind", CreatedAt: date("2024-02-10")},
	} {
		var want retention.Decision
		found := false
		for _, d := range ivm.Evaluate(f, asOf) {
			if d.Applies && (!found || d.DueDate.Before(want.DueDate)) {
				want, found = d, true
			}
		}
		got, ok := ivm.Decisive(&f, asOf)
		if ok != found {
			t.Fatalf("%d: Decisive found %v, Evaluate %v", i, ok, found)
		}
		if !ok {
			continue
		}
		if got.Rule != want.Rule || !got.DueDate.Equal(want.DueDate) || got.Due != want.Due || got.WarnDue != want.WarnDue || !got.Reason.IsZero() {
			t.Errorf("%d: Decisive %s due %s (%v), want %s due %s (%v), no reason", i, got.Rule.ID, got.DueDate, got.Due, want.Rule.ID, want.DueDate, want.Due)
		}
	}
}
