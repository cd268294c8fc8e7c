package retention_test

import (
	"testing"

	"steward/internal/testkit"
	"steward/retention"
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
			if got := retention.GoesWith(p, tc.kind); got != tc.want {
				t.Fatalf("GoesWith(%s) = %q, want %q", tc.kind, got, tc.want)
			}
		})
	}
}
