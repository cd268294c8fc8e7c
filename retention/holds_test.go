package retention_test

import (
	"context"
	"slices"
	"testing"

	"steward/retention"
)

// facts answers LegalHolds's questions from two fixed lists.
type facts struct{ restricted, open []string }

func (f facts) RestrictedSubjects(_ context.Context, subjects []string) ([]string, error) {
	return among(f.restricted, subjects), nil
}

func (f facts) SubjectsWithOpenRequests(_ context.Context, subjects []string) ([]string, error) {
	return among(f.open, subjects), nil
}

func among(have, asked []string) []string {
	var out []string
	for _, s := range have {
		if slices.Contains(asked, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestLegalHolds: a restriction and an open request each hold a subject
// (Art. 18, R13); with both, the restriction is named; subjects not asked
// about, and subjects in neither situation, are not held.
func TestLegalHolds(t *testing.T) {
	f := facts{restricted: []string{"a", "b", "x"}, open: []string{"b", "c"}}
	got, err := retention.LegalHolds{}.Held(context.Background(), f, []string{"a", "b", "c", "d"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]retention.Hold{"a": retention.HoldRestriction, "b": retention.HoldRestriction, "c": retention.HoldOpenRequest}
	if len(got) != len(want) {
		t.Fatalf("held = %v, want %v", got, want)
	}
	for s, w := range want {
		if got[s] != w {
			t.Fatalf("held[%s] = %q, want %q", s, got[s], w)
		}
	}
}
