package statement

import (
	"bytes"
	"strings"
	"testing"
)

// TestAnonymityPromiseComesFromPolicy checks that the sentence about the
// partner export states the k and l of the policy's export, the values
// 'steward partners export' enforces (Z6, issue 19): change min_k and
// min_l and the sentence changes with them.
func TestAnonymityPromiseComesFromPolicy(t *testing.T) {
	p := load(t, "../policies/zorginspirator.yaml")
	for _, id := range []string{"fwg", "marktmonitor"} {
		e := p.Processor(id).Export
		e.MinK, e.MinL = 17, 3
	}
	for lang, want := range map[string][]string{
		"en": {"belongs to at least 17 people", "show at least 3 different values"},
		"nl": {"bij minstens 17 mensen hoort", "minstens 3 verschillende waarden"},
	} {
		var buf bytes.Buffer
		if err := RenderMarkdown(&buf, p, lang); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if n := strings.Count(buf.String(), w); n != 2 {
				t.Errorf("%s: %q appears %d times, want once per partner", lang, w, n)
			}
		}
		if strings.Contains(buf.String(), "at least 5 people") || strings.Contains(buf.String(), "minstens 5 mensen") {
			t.Errorf("%s: the statement still promises k = 5", lang)
		}
	}
}
