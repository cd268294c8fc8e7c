package rights

import (
	"errors"
	"testing"
	"time"

	"steward"
	"steward/policy"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var gdpr = ClockFor(policy.Rights{Response: policy.MustDuration("P1M"), Extension: policy.MustDuration("P2M"), DeadlineFrom: policy.FromReceipt})

func TestDeadline(t *testing.T) {
	for _, tc := range []struct {
		name, start, ext, want string
	}{
		{"31_january_gives_28_february", "2025-01-31", "", "2025-02-28"},
		{"31_january_in_a_leap_year_gives_29_february", "2024-01-31", "", "2024-02-29"},
		{"29_january_in_a_leap_year_gives_29_february", "2024-01-29", "", "2024-02-29"},
		{"30_january_gives_28_february", "2026-01-30", "", "2026-02-28"},
		{"30_november_gives_30_december", "2025-11-30", "", "2025-12-30"},
		{"31_december_gives_31_january_next_year", "2025-12-31", "", "2026-01-31"},
		{"31_march_gives_30_april", "2025-03-31", "", "2025-04-30"},
		{"15_june_gives_15_july", "2025-06-15", "", "2025-07-15"},
		{"extension_by_two_months_counts_three_from_receipt", "2025-01-31", "P2M", "2025-04-30"},
		{"extension_by_one_month", "2025-01-31", "P1M", "2025-03-31"},
		{"extension_over_a_leap_february", "2023-11-30", "P2M", "2024-02-29"},
		{"extension_over_year_end", "2025-11-15", "P2M", "2026-02-15"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ext policy.Duration
			if tc.ext != "" {
				ext = policy.MustDuration(tc.ext)
			}
			got := gdpr.Deadline(day(tc.start), ext)
			if !got.Equal(day(tc.want)) {
				t.Errorf("Deadline(%s, %s) = %s, want %s", tc.start, tc.ext, got.Format(time.DateOnly), tc.want)
			}
		})
	}
}

func TestDeadlineStart(t *testing.T) {
	fromProof := gdpr
	fromProof.FromIdentityProof = true
	for _, tc := range []struct {
		name                   string
		c                      Clock
		received, asked, proof string
		want                   string
		running                bool
	}{
		{"receipt_by_default", gdpr, "2025-01-10", "2025-01-11", "2025-01-20", "2025-01-10", true},
		{"receipt_without_verification", fromProof, "2025-01-10", "", "", "2025-01-10", true},
		{"identity_proof_when_policy_says_so", fromProof, "2025-01-10", "2025-01-11", "2025-01-20", "2025-01-20", true},
		{"not_running_while_proof_is_awaited", fromProof, "2025-01-10", "2025-01-11", "", "", false},
		{"receipt_while_proof_is_awaited_by_default", gdpr, "2025-01-10", "2025-01-11", "", "2025-01-10", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := func(s string) time.Time {
				if s == "" {
					return time.Time{}
				}
				return day(s)
			}
			got, ok := tc.c.Start(day(tc.received), opt(tc.asked), opt(tc.proof))
			if ok != tc.running || !got.Equal(opt(tc.want)) {
				t.Errorf("Start = %s, %v; want %s, %v", got, ok, tc.want, tc.running)
			}
		})
	}
}

func TestCheckExtension(t *testing.T) {
	start := day("2025-01-31")
	for _, tc := range []struct {
		name    string
		c       Clock
		today   string
		already string
		ext     string
		reason  string
		code    string // "" means allowed
		field   string
	}{
		{"two_months_on_the_first_day_is_allowed", gdpr, "2025-01-31", "", "P2M", "complex", "", ""},
		{"one_month_is_allowed", gdpr, "2025-02-10", "", "P1M", "many records", "", ""},
		{"on_the_last_day_of_the_first_month_is_allowed", gdpr, "2025-02-28", "", "P2M", "complex", "", ""},
		{"the_day_after_the_first_month_is_refused", gdpr, "2025-03-01", "", "P2M", "complex", steward.ECONFLICT, ""},
		{"months_later_is_refused", gdpr, "2025-04-15", "", "P1M", "complex", steward.ECONFLICT, ""},
		{"three_months_is_refused", gdpr, "2025-02-01", "", "P3M", "complex", steward.EINVALID, "extension"},
		{"two_months_and_a_day_is_refused", gdpr, "2025-02-01", "", "P2M1D", "complex", steward.EINVALID, "extension"},
		{"sixty_days_is_allowed", gdpr, "2025-02-01", "", "P59D", "complex", "", ""},
		{"a_year_is_refused", gdpr, "2025-02-01", "", "P1Y", "complex", steward.EINVALID, "extension"},
		{"zero_is_refused", gdpr, "2025-02-01", "", "P0D", "complex", steward.EINVALID, "extension"},
		{"without_reason_is_refused", gdpr, "2025-02-01", "", "P2M", "", steward.EINVALID, "reason"},
		{"twice_is_refused", gdpr, "2025-02-01", "P1M", "P1M", "still complex", steward.ECONFLICT, ""},
		{"twice_is_refused_even_within_limit", gdpr, "2025-02-01", "P1M", "P1D", "still complex", steward.ECONFLICT, ""},
		{"a_policy_without_extension_refuses", Clock{Response: policy.MustDuration("P1M")}, "2025-02-01", "", "P1M", "complex", steward.ECONFLICT, ""},
		{"a_policy_with_a_shorter_limit_is_obeyed", Clock{Response: policy.MustDuration("P1M"), MaxExtension: policy.MustDuration("P1M")}, "2025-02-01", "", "P2M", "complex", steward.EINVALID, "extension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var already policy.Duration
			if tc.already != "" {
				already = policy.MustDuration(tc.already)
			}
			ext, err := policy.ParseDuration(tc.ext)
			if err != nil {
				ext = policy.Duration{}
			}
			err = tc.c.CheckExtension(start, day(tc.today), already, ext, tc.reason)
			if got := steward.ErrorCode(err); got != tc.code {
				t.Fatalf("CheckExtension: code %q (%v), want %q", got, err, tc.code)
			}
			if tc.field != "" {
				var e *steward.Error
				if !errors.As(err, &e) || e.Field != tc.field {
					t.Errorf("error %v does not name field %q", err, tc.field)
				}
			}
		})
	}
}

func TestFlags(t *testing.T) {
	deadline := day("2025-02-28")
	for _, tc := range []struct {
		name             string
		today            string
		overdue, dueSoon bool
	}{
		{"weeks_before_is_neither", "2025-02-01", false, false},
		{"seven_days_before_is_due_soon", "2025-02-21", false, true},
		{"eight_days_before_is_not_due_soon", "2025-02-20", false, false},
		{"on_the_deadline_is_due_soon_not_overdue", "2025-02-28", false, true},
		{"the_day_after_is_overdue", "2025-03-01", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Overdue(deadline, day(tc.today)); got != tc.overdue {
				t.Errorf("Overdue = %v, want %v", got, tc.overdue)
			}
			if got := DueSoon(deadline, day(tc.today), DueSoonWithin); got != tc.dueSoon {
				t.Errorf("DueSoon = %v, want %v", got, tc.dueSoon)
			}
		})
	}
	if Overdue(time.Time{}, day("2030-01-01")) || DueSoon(time.Time{}, day("2030-01-01"), DueSoonWithin) {
		t.Error("a request whose deadline does not run yet is flagged")
	}
}

func TestDayUsesTheSiteZone(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skip("no time zone data")
	}
	// 23:30 UTC on 31 January is 00:30 on 1 February in Amsterdam.
	got := Day(time.Date(2025, 1, 31, 23, 30, 0, 0, time.UTC), ams)
	if !got.Equal(day("2025-02-01")) {
		t.Errorf("Day = %s, want 2025-02-01", got)
	}
}
