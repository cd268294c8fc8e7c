package policy_test

import (
	"testing"
	"time"

	"steward/policy"
)

func TestParseDuration(t *testing.T) {
	valid := []struct {
		name, in string
		want     policy.Duration
	}{
		{"one_year", "P1Y", policy.Duration{Years: 1}},
		{"one_month", "P1M", policy.Duration{Months: 1}},
		{"weeks_become_days", "P2W", policy.Duration{Days: 14}},
		{"thirty_days", "P30D", policy.Duration{Days: 30}},
		{"all_parts", "P1Y2M3W4D", policy.Duration{Years: 1, Months: 2, Days: 25}},
		{"explicit_zero_is_allowed", "P0D", policy.Duration{}},
	}
	for _, c := range valid {
		t.Run(c.name, func(t *testing.T) {
			got, err := policy.ParseDuration(c.in)
			if err != nil {
				t.Fatalf("ParseDuration(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Errorf("ParseDuration(%q) = %+v, want %+v", c.in, got, c.want)
			}
		})
	}
	invalid := []struct{ name, in string }{
		{"empty", ""},
		{"bare_p", "P"},
		{"lower_case", "p1y"},
		{"time_part_is_refused", "PT1H"},
		{"words", "1 year"},
		{"negative", "P-1Y"},
		{"wrong_order", "P1D1Y"},
		{"fraction", "P1.5Y"},
		{"too_many_digits", "P12345Y"},
		{"trailing_text", "P1Y "},
	}
	for _, c := range invalid {
		t.Run("refuses_"+c.name, func(t *testing.T) {
			if d, err := policy.ParseDuration(c.in); err == nil {
				t.Errorf("ParseDuration(%q) = %+v, want an error", c.in, d)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	for in, want := range map[string]string{"P1Y": "P1Y", "P2W": "P14D", "P1Y6M": "P1Y6M", "P0D": "P0D", "P1M1D": "P1M1D"} {
		if got := policy.MustDuration(in).String(); got != want {
			t.Errorf("%s.String() = %s, want %s", in, got, want)
		}
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

func TestDurationAddTo(t *testing.T) {
	cases := []struct {
		name string
		from time.Time
		d    string
		want time.Time
	}{
		{"31_january_plus_a_month_gives_28_february", day(2023, 1, 31), "P1M", day(2023, 2, 28)},
		{"31_january_plus_a_month_gives_29_february_in_a_leap_year", day(2024, 1, 31), "P1M", day(2024, 2, 29)},
		{"29_february_plus_a_year_gives_28_february", day(2024, 2, 29), "P1Y", day(2025, 2, 28)},
		{"29_february_plus_four_years_gives_29_february", day(2024, 2, 29), "P4Y", day(2028, 2, 29)},
		{"31_march_plus_a_month_gives_30_april", day(2023, 3, 31), "P1M", day(2023, 4, 30)},
		{"31_december_plus_two_months_gives_end_of_february", day(2023, 12, 31), "P2M", day(2024, 2, 29)},
		{"months_are_clamped_before_days_are_added", day(2023, 1, 31), "P1M1D", day(2023, 3, 1)},
		{"days_cross_month_ends", day(2023, 1, 31), "P30D", day(2023, 3, 2)},
		{"fifteenth_plus_a_month_is_the_fifteenth", day(2023, 1, 15), "P1M", day(2023, 2, 15)},
		{"clock_time_is_kept", time.Date(2023, 1, 31, 23, 59, 59, 0, time.UTC), "P1M", time.Date(2023, 2, 28, 23, 59, 59, 0, time.UTC)},
		{"seven_years", day(2017, 6, 30), "P7Y", day(2024, 6, 30)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := policy.MustDuration(c.d).AddTo(c.from); !got.Equal(c.want) {
				t.Errorf("%s.AddTo(%s) = %s, want %s", c.d, c.from, got, c.want)
			}
		})
	}
}

func TestDurationSubFrom(t *testing.T) {
	cases := []struct {
		name string
		at   time.Time
		d    string
		want time.Time
	}{
		{"a_month_before_28_february_is_31_january", day(2023, 2, 28), "P1M", day(2023, 1, 31)},
		{"a_month_before_29_february_is_31_january_in_a_leap_year", day(2024, 2, 29), "P1M", day(2024, 1, 31)},
		{"a_month_before_15_march_is_15_february", day(2023, 3, 15), "P1M", day(2023, 2, 15)},
		{"a_year_before_28_february_is_29_february_of_a_leap_year", day(2025, 2, 28), "P1Y", day(2024, 2, 29)},
		{"thirty_days", day(2023, 3, 2), "P30D", day(2023, 1, 31)},
		// 28 February 18:00 + P1M = 28 March 18:00, which is before 31 March
		// 12:00; 1 March 00:00 + P1M = 1 April, which is not.
		{"the_whole_clamped_day_counts", day(2023, 3, 31), "P1M", time.Date(2023, 2, 28, 23, 59, 59, 999999999, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := policy.MustDuration(c.d).SubFrom(c.at); !got.Equal(c.want) {
				t.Errorf("%s.SubFrom(%s) = %s, want %s", c.d, c.at, got, c.want)
			}
		})
	}
}

// TestDurationSubFromIsTheLatestMomentThatHasPassed checks the defining
// property over every day of four years, leap year included: s = SubFrom(t)
// has AddTo(s) <= t, and no later moment does.
func TestDurationSubFromIsTheLatestMomentThatHasPassed(t *testing.T) {
	periods := []string{"P1M", "P2M", "P1Y", "P3Y", "P4Y", "P7Y", "P30D", "P1M1D", "P1Y1M", "P2W"}
	clocks := []time.Duration{0, 6 * time.Hour, 12*time.Hour + 30*time.Minute, 24*time.Hour - time.Nanosecond}
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range periods {
		d := policy.MustDuration(p)
		for i := range 4 * 366 {
			for _, clock := range clocks {
				at := start.AddDate(0, 0, i).Add(clock)
				s := d.SubFrom(at)
				if d.AddTo(s).After(at) {
					t.Fatalf("%s.SubFrom(%s) = %s, but AddTo of it is %s, after t", p, at, s, d.AddTo(s))
				}
				if next := s.Add(time.Nanosecond); !d.AddTo(next).After(at) {
					t.Fatalf("%s.SubFrom(%s) = %s, but %s also has passed the period", p, at, s, next)
				}
				// AddTo is monotone within a day, so checking the first
				// moment of each later day rules out every later moment.
				for k := 1; k <= 5; k++ {
					y, m, dd := s.Date()
					later := time.Date(y, m, dd+k, 0, 0, 0, 0, time.UTC)
					if !d.AddTo(later).After(at) {
						t.Fatalf("%s.SubFrom(%s) = %s, but %s also has passed the period", p, at, s, later)
					}
				}
			}
		}
	}
}

func TestLegalBasisArticle(t *testing.T) {
	want := map[policy.LegalBasis]string{
		policy.Consent:             "6(1)(a)",
		policy.Contract:            "6(1)(b)",
		policy.LegalObligation:     "6(1)(c)",
		policy.VitalInterests:      "6(1)(d)",
		policy.PublicTask:          "6(1)(e)",
		policy.LegitimateInterests: "6(1)(f)",
		"sales":                    "",
		"":                         "",
	}
	for b, article := range want {
		if got := b.Article(); got != article {
			t.Errorf("LegalBasis(%q).Article() = %q, want %q", b, got, article)
		}
		if got := b.Valid(); got != (article != "") {
			t.Errorf("LegalBasis(%q).Valid() = %v", b, got)
		}
	}
}
