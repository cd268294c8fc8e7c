package policy_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"steward/policy"
)

// FuzzParse feeds the loader arbitrary bytes, starting from the real
// policies and the test policy. Whatever the input, Parse must not panic
// and must either return a policy or a non-empty Problems list whose every
// entry names the file and a real position (G3: bad input gets a clear
// error). Crashers found are kept in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	seeds := append([]string{"testdata/valid.yaml"}, realPolicies...)
	more, _ := filepath.Glob("testdata/*.yaml")
	seeds = append(seeds, more...)
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "---\n", "format: 1\n---\nformat: 1\n", "a: &x 1\nb: *x\n", "<<: {a: 1}\n",
		"format: [1\n", "format: 99999999999999999999\n", "site: {id: x, urls: [\"http://[::1\"]}\n",
		"rights: {response: P99999M, extension: P9999Y}\n", "retention: [{period: P1Y, warn_before: P400D}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Parse("fuzz.yaml", data)
		if err == nil {
			if p == nil {
				t.Fatal("Parse returned neither a policy nor an error")
			}
			// A policy that loads must also pass Validate on its own.
			if ps := policy.Validate(p); len(ps) > 0 {
				t.Fatalf("loaded policy fails Validate: %v", ps)
			}
			return
		}
		if p != nil {
			t.Fatal("Parse returned a policy together with an error")
		}
		var ps policy.Problems
		if !errors.As(err, &ps) || len(ps) == 0 || !errors.Is(err, policy.ErrInvalid) {
			t.Fatalf("Parse error is not a non-empty Problems: %#v", err)
		}
		for _, pr := range ps {
			if pr.File != "fuzz.yaml" || pr.Pos.Line < 1 || pr.Pos.Col < 1 || pr.Msg == "" {
				t.Fatalf("problem without file, position or message: %#v", pr)
			}
		}
	})
}
