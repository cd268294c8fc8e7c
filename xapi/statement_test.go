package xapi

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"steward"
)

// TestActivityCourse: the two activity forms that name a course, and
// what does not (docs/xapi.md).
func TestActivityCourse(t *testing.T) {
	issuer := "https://www.medicijngebruik.nl"
	for _, tc := range []struct {
		activity string
		want     CourseRef
		ok       bool
	}{
		{"https://moodle-nascholing.medicijngebruik.nl/course/view.php?id=42", CourseRef{LMSID: "42"}, true},
		{"https://www.medicijngebruik.nl/courses/medicatiebewaking", CourseRef{Slug: "medicatiebewaking"}, true},
		{"https://www.medicijngebruik.nl/courses/a/b", CourseRef{}, false},
		{"https://elsewhere.example/courses/medicatiebewaking", CourseRef{}, false},
		{"https://moodle.example/mod/quiz/view.php?id=3", CourseRef{}, false},
		{"https://moodle.example/course/view.php?id=42&section=2", CourseRef{}, false},
		{"urn:course:42", CourseRef{}, false},
	} {
		got, ok := ActivityCourse(issuer, tc.activity)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %+v %v, want %+v %v", tc.activity, got, ok, tc.want, tc.ok)
		}
	}
}

// TestParseScoresAndIDs: scores become 0–100 from scaled, raw within
// min..max, or a lone raw; out of range is refused; a POST statement
// without an id gets a version 4 UUID; ids are lower-cased; the same id
// twice in a batch with other content is refused, with the same content
// allowed.
func TestParseScoresAndIDs(t *testing.T) {
	st := func(id, result string) string {
		if id != "" {
			id = `"id": "` + id + `", `
		}
		return `{` + id + `"actor": {"account": {"homePage": "https://s.example/", "name": "7"}},
			"verb": {"id": "` + VerbScored + `"}, "object": {"id": "https://s.example/courses/c"}, "result": ` + result + `}`
	}
	for _, tc := range []struct {
		result string
		score  int
		bad    bool
	}{
		{`{"score": {"scaled": 0.834}}`, 83, false},
		{`{"score": {"scaled": 1}}`, 100, false},
		{`{"score": {"raw": 15, "min": 10, "max": 20}}`, 50, false},
		{`{"score": {"raw": 64}}`, 64, false},
		{`{"score": {"scaled": -0.1}}`, 0, true},
		{`{"score": {"raw": 25, "min": 10, "max": 20}}`, 0, true},
		{`{"score": {"raw": 101}}`, 0, true},
		{`{"score": {}}`, 0, true},
		{`{}`, 0, true}, // scored needs a score
	} {
		sts, err := Parse([]byte(st("", tc.result)), true)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted", tc.result)
			}
			continue
		}
		if err != nil || sts[0].Score != tc.score || !sts[0].HasScore || sts[0].HomePage != "https://s.example" {
			t.Errorf("%s: %+v %v, want score %d", tc.result, sts, err, tc.score)
		}
	}
	sts, err := Parse([]byte(st("", `{"score": {"raw": 1}}`)), true)
	if err != nil || !ValidID(sts[0].ID) || sts[0].ID[14] != '4' {
		t.Fatalf("a new id: %+v %v", sts, err)
	}
	if sts, _ := Parse([]byte(st("", `{"score": {"raw": 1}}`)), false); sts[0].ID != "" {
		t.Fatalf("a PUT body got an id of its own: %q", sts[0].ID)
	}
	up := "3B9AC9E8-0D6A-4C5E-9F0E-6A1D2B3C4D5E"
	same := "[" + st(up, `{"score": {"raw": 1}}`) + "," + st(strings.ToLower(up), `{"score": {"raw": 1}}`) + "]"
	if sts, err := Parse([]byte(same), true); err != nil || sts[0].ID != strings.ToLower(up) || len(sts) != 2 {
		t.Fatalf("the same statement twice: %+v %v", sts, err)
	}
	other := "[" + st(up, `{"score": {"raw": 1}}`) + "," + st(up, `{"score": {"raw": 2}}`) + "]"
	if _, err := Parse([]byte(other), true); err == nil {
		t.Fatal("one id with two contents in a batch was accepted")
	}
	for _, v := range []string{"1.0.3", "1.0", "1.0.0"} {
		if CheckVersion(v) != nil {
			t.Errorf("version %s refused", v)
		}
	}
	for _, v := range []string{"", "0.95", "2.0.0", "1.0.x"} {
		if CheckVersion(v) == nil {
			t.Errorf("version %q accepted", v)
		}
	}
}

// TestParseArrayLikeEachStatement: a well-formed batch, read in one pass,
// gives what its statements give read one by one; a batch with a bad
// statement anywhere is refused naming that statement's index, as the
// statement-by-statement reading tells it (issue 16).
func TestParseArrayLikeEachStatement(t *testing.T) {
	st := func(id, verb, result string) string {
		return `{"id": "` + id + `", "actor": {"objectType": "Agent", "account": {"homePage": "https://s.example", "name": "7"}},
			"verb": {"id": "` + verb + `", "display": {"nl-NL": "x"}}, "object": {"id": "https://s.example/courses/c"},
			"result": ` + result + `, "timestamp": "2026-11-23T14:05:00+01:00", "context": {"platform": "Moodle"}}`
	}
	parts := []string{
		st("3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5e", VerbPassed, `{"score": {"scaled": 0.5}, "success": true, "completion": true}`),
		st("3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5f", VerbScored, `{"score": {"raw": 7, "min": 0, "max": 10}}`),
		st("3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d60", VerbFailed, `{"success": false}`),
	}
	got, err := Parse([]byte(" [ "+strings.Join(parts, ",\n")+" ]\n"), true)
	if err != nil || len(got) != len(parts) {
		t.Fatalf("batch: %d statements, %v", len(got), err)
	}
	for i, p := range parts {
		one, err := Parse([]byte(p), true)
		// The hash covers every field of a Statement.
		if err != nil || one[0].Hash() != got[i].Hash() {
			t.Errorf("statement %d: batch %+v, alone %+v %v", i, got[i], one, err)
		}
	}
	for _, tc := range []struct {
		bad   string
		index int
	}{
		{`{"id": "3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d61", "actor": {}, "verb": {"id": "` + VerbPassed + `"}, "object": {"id": "x"}}`, 1},
		{`{"unknown": 1}`, 1},
		{`null`, 1},
		{`7`, 1},
	} {
		body := "[" + parts[0] + "," + tc.bad + "," + parts[2] + "]"
		_, err := Parse([]byte(body), true)
		var se *steward.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: %v, want a steward error", tc.bad, err)
			continue
		}
		if i := slices.Index(se.Args, any("index")); i < 0 || i+1 >= len(se.Args) || se.Args[i+1] != any(tc.index) {
			t.Errorf("%s: %v, want the error of statement %d", tc.bad, err, tc.index)
		}
	}
	if _, err := Parse([]byte("["+parts[0]+"] x"), true); err == nil {
		t.Error("a batch followed by more was accepted")
	}
}
