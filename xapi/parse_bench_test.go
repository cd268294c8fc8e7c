package xapi

import (
	"strings"
	"testing"
)

// BenchmarkParseBatch100 measures reading a POST body of 100 statements
// like the LMS's (issue 16: decoding was a quarter of a batch's CPU).
func BenchmarkParseBatch100(b *testing.B) {
	parts := make([]string, 100)
	for i := range parts {
		parts[i] = `{"id": "` + NewID() + `", "actor": {"objectType": "Agent", "account": {"homePage": "https://s.example", "name": "1234"}},
			"verb": {"id": "` + VerbScored + `", "display": {"nl-NL": "gescoord"}},
			"object": {"objectType": "Activity", "id": "https://moodle.example/course/view.php?id=42"},
			"result": {"score": {"scaled": 0.75}}, "timestamp": "2026-11-23T14:05:00Z"}`
	}
	body := []byte("[" + strings.Join(parts, ",") + "]")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Parse(body, true); err != nil {
			b.Fatal(err)
		}
	}
}
