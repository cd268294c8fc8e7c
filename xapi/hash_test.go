package xapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"testing"
	"time"
)

// marshalHash is Hash as it was written before issue 16's throughput
// work: json.Marshal of the substance. Every content_hash stored so far
// was computed so, and a statement sent again must still find its own.
func marshalHash(s *Statement) string {
	b, _ := json.Marshal(struct {
		ID, HomePage, Name, Verb, Activity string
		Score                              int
		HasScore                           bool
		Success, Completion                *bool
		Timestamp                          int64
	}{s.ID, s.HomePage, s.Name, s.Verb, s.Activity, s.Score, s.HasScore, s.Success, s.Completion, s.Timestamp.UnixMilli()})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestHashIsJSONMarshals: the content hash written directly is the one
// json.Marshal gave, for plain values and for every kind of character
// json.Marshal escapes (quotes, backslashes, control characters, <, >
// and &, U+2028 and U+2029, invalid UTF-8, DEL), so already stored
// statements sent again are recognised as the same (and a conflict is
// still one).
func TestHashIsJSONMarshals(t *testing.T) {
	yes, no := true, false
	strs := []string{"", "3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5e", "https://www.medicijngebruik.nl", "1234",
		`a"b`, `a\b`, "a\nb\tc\rd\x00e\x1f", "<script>&amp;</script>", "caf\u00e9 \u2028 \u2029 \U0001F600",
		"bad \xff\xfe utf-8", "del \x7f", "https://moodle.example/course/view.php?id=42&x=<1>"}
	n := 0
	for i, s := range strs {
		for _, b := range []*bool{nil, &yes, &no} {
			st := Statement{ID: s, HomePage: strs[(i+1)%len(strs)], Name: strs[(i+2)%len(strs)], Verb: "scored",
				Activity: strs[(i+3)%len(strs)], Score: i * 7, HasScore: i%2 == 0, Success: b, Completion: &yes,
				Timestamp: time.Date(2026, 11, 23, 14, 5, i, i*1_000_000, time.UTC)}
			if i%3 == 0 {
				st.Timestamp, st.Completion, st.Score = time.Time{}, nil, -3
			}
			if got, want := st.Hash(), marshalHash(&st); got != want {
				t.Errorf("%+v: hash %s, json.Marshal's %s", st, got, want)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("nothing compared")
	}
}

// FuzzHashIsJSONMarshals: for any strings, the direct hash is
// json.Marshal's.
func FuzzHashIsJSONMarshals(f *testing.F) {
	f.Add("3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5e", "https://s.example", "7", "https://s.example/courses/c", 83, int64(1790000000000))
	f.Add("a\"<>&\\", "\u2028\xff", "\x00", "é", -1, int64(-1))
	f.Fuzz(func(t *testing.T, id, home, name, activity string, score int, ms int64) {
		yes := true
		st := Statement{ID: id, HomePage: home, Name: name, Verb: "passed", Activity: activity, Score: score,
			HasScore: score%2 == 0, Success: &yes, Timestamp: time.UnixMilli(ms)}
		if got, want := st.Hash(), marshalHash(&st); got != want {
			t.Errorf("%q: hash %s, json.Marshal's %s", []string{id, home, name, activity}, got, want)
		}
	})
}

// FuzzValidIDIsTheUUIDPattern: the hand check of a statement id accepts
// what the regular expression it replaced did, and nothing else.
func FuzzValidIDIsTheUUIDPattern(f *testing.F) {
	re := regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	for _, s := range []string{"3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5e", "3B9AC9E8-0D6A-4C5E-9F0E-6A1D2B3C4D5E", "3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5", "3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5g",
		"3b9ac9e80d6a-4c5e-9f0e-6a1d2b3c4d5e-", "3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5e\n", "", "g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidID(s), re.MatchString(s); got != want {
			t.Errorf("ValidID(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
