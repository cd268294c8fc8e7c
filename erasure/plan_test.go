package erasure_test

import (
	"slices"
	"testing"
	"time"

	"steward"
	"steward/policy"

	"steward/erasure"
	"steward/internal/testkit"
)

// TestGoesWith: a record goes with its system's account kind (R10: the
// LMS account takes its enrolments, results and accreditation along); the
// website's kinds go with the website account; visitor kinds and unknown
// kinds go with nothing.
func TestGoesWith(t *testing.T) {
	p := testkit.Policy(t, "ivm")
	for _, tc := range []struct{ kind, want string }{
		{"lms_account", "lms_account"},
		{"enrolment", "lms_account"},
		{"learning_result", "lms_account"},
		{"accreditation", "lms_account"},
		{"order", "account"},
		{"download", "account"},
		{"account", "account"},
		{"newsletter_subscription", ""},
		{"consent", ""},
		{"no_such_kind", ""},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			if got := erasure.GoesWith(p, tc.kind); got != tc.want {
				t.Fatalf("GoesWith(%s) = %q, want %q", tc.kind, got, tc.want)
			}
		})
	}
}

// TestPlans: the planner's answers for each path — a person's own erasure
// follows the account kind's erasure (IVM deletes, the Zorginspirator
// anonymises at once, Z9), keeps orders for bookkeeping with how long,
// refuses an erased subject, deletes undeclared kinds (R4); a rule's plan
// gives the account its action; a system plan names only the system's
// kinds, the target by the rule's action.
func TestPlans(t *testing.T) {
	at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	ivm := testkit.Policy(t, "ivm")
	zi := testkit.Policy(t, "zorginspirator")

	t.Run("own_erasure_follows_the_account_kind", func(t *testing.T) {
		if got := erasure.Own(ivm, at).Account; got != erasure.Delete {
			t.Fatalf("ivm account: %s, want delete", got)
		}
		if got := erasure.Own(zi, at).Account; got != erasure.Anonymise {
			t.Fatalf("zorginspirator account: %s, want anonymise", got)
		}
	})
	t.Run("an_erased_subject_cannot_be_erased_again", func(t *testing.T) {
		_, err := erasure.ForSubject(zi, erasure.Subject{Erased: true}, at)
		if steward.ErrorCode(err) != steward.ECONFLICT {
			t.Fatalf("err = %v, want a conflict", err)
		}
		pl, err := erasure.ForSubject(zi, erasure.Subject{}, at)
		if err != nil || pl.Account != erasure.Anonymise || !pl.At.Equal(at) {
			t.Fatalf("plan = %+v, %v", pl, err)
		}
	})
	t.Run("invoices_are_kept_with_reason_and_period", func(t *testing.T) {
		e := erasure.Own(ivm, at).Entry("invoice")
		if e.Action != erasure.Keep || e.Reason != erasure.LegalObligation || e.Until == nil || e.Until.Period.IsZero() {
			t.Fatalf("invoice: %+v", e)
		}
		// Issue 17: the invoice keeps what the fiscal obligation asks; the
		// order goes with the account.
		if o := erasure.Own(ivm, at).Entry("order"); o.Action != erasure.Delete {
			t.Fatalf("order: %+v, want deleted", o)
		}
		kept := erasure.Kept(ivm)
		if len(kept) != 1 || kept[0].Kind != "invoice" {
			t.Fatalf("kept = %+v, want invoice only", kept)
		}
		if u := e.Until.From(at); !u.After(at) {
			t.Fatalf("kept until %s, not after %s", u, at)
		}
	})
	t.Run("undeclared_kinds_are_deleted", func(t *testing.T) {
		if e := erasure.Own(ivm, at).Entry("no_such_kind"); e.Action != erasure.Delete {
			t.Fatalf("undeclared: %+v", e)
		}
	})
	t.Run("a_rule_gives_the_account_its_action", func(t *testing.T) {
		ru := &policy.Rule{ID: "r", Record: "account", Action: policy.ActionAnonymise}
		if got := erasure.ForRule(ivm, ru, at).Account; got != erasure.Anonymise {
			t.Fatalf("account: %s", got)
		}
	})
	t.Run("a_system_plan_names_only_the_system", func(t *testing.T) {
		pl := erasure.ForSystem(ivm, "lms_account", policy.ActionAnonymise, at)
		if pl.Account != "" || pl.Otherwise != "" {
			t.Fatalf("system plan touches more than its kinds: %+v", pl)
		}
		var kinds []string
		for _, e := range pl.Kinds {
			kinds = append(kinds, e.Kind)
			if e.Kind == "lms_account" && e.Action != erasure.Anonymise {
				t.Fatalf("target: %+v", e)
			}
		}
		if !slices.Contains(kinds, "enrolment") || slices.Contains(kinds, "order") {
			t.Fatalf("kinds = %v", kinds)
		}
		if pl := erasure.ForSystem(ivm, "download", policy.ActionDelete, at); len(pl.Kinds) != 1 || pl.Kinds[0].Kind != "download" {
			t.Fatalf("non-system target: %+v", pl.Kinds)
		}
	})
}
