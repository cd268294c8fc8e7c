package web

import (
	"testing"

	"steward/message"
	"steward/policy"
	"steward/rights"
)

// TestEveryStepKindHasWords: every step a request's timeline can hold —
// the export staff produced and the answer mailed or not mailed included —
// is named in words in every language, on the staff pages and the
// person's own request page alike (G1).
func TestEveryStepKindHasWords(t *testing.T) {
	cat := message.Default()
	for _, lang := range policy.Languages {
		p := &Page{Lang: lang, cat: cat}
		for _, k := range rights.StepKinds {
			if s := p.Term("request_step", k); s == "" || s[0] == '[' {
				t.Errorf("%s: no words for request step %s (%q)", lang, k, s)
			}
		}
	}
}
