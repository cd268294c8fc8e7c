package policy_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"steward/policy"
)

// minimalPolicy is the smallest policy that loads: a fuzz seed small
// enough for mutations to reach every part of the decoder and validator.
const minimalPolicy = `format: 1
site: {id: s, name: S, urls: ["https://s.nl"]}
version: {number: "1", date: 2024-01-01}
history: [{version: "1", date: 2024-01-01, summary: {nl: a, en: a}}]
controller: {name: C, address: {street: a, postcode: 1234 AB, city: c, country: NL}, contact: {email: c@s.nl}}
intro: {nl: a, en: a}
purposes: [{id: p, name: {nl: a, en: a}, description: {nl: a, en: a}, legal_basis: contract}]
records: [{id: account, name: {nl: a, en: a}, subject: account, erasure: delete, fields: [{id: email, name: {nl: a, en: a}, type: email, required: true, source: data_subject, purposes: [p]}]}]
rights: {honoured: [access, withdraw_consent], response: P1M, deadline_from: receipt, how_to: {nl: a, en: a}, complaint: {authority: AP, url: "https://ap.nl", text: {nl: a, en: a}}}
changes: {nl: a, en: a}
`

// fuzzExtras each add to minimalPolicy a part it leaves out — a consent
// purpose, retention, processors, cookies, disclosures, a sensitive field
// — as a valid seed (TestFuzzSeedsLoad keeps them valid).
var fuzzExtras = []string{
	"  - {id: n, name: {nl: a, en: a}, description: {nl: a, en: a}, legal_basis: consent, consent: {channels: [settings], notice: {nl: a, en: a}}}\n",
	"retention: [{id: r, description: {nl: a, en: a}, record: account, where: {confirmed: false}, since: created, period: P1Y, action: delete, warn_before: P30D}]\n",
	"processors: [{id: h, name: H, kind: processor, task: {nl: a, en: a}, records: [account], location: NL, export: {format: csv, fields: [account.email]}}]\n",
	"cookies: [{name: c, provider: first_party, category: necessary, purpose: p, lifetime: session, consent: false, host: s.nl, description: {nl: a, en: a}}]\n",
	"disclosures: [{id: d, recipient: {nl: a, en: a}, when: {nl: a, en: a}, legal_basis: legal_obligation, records: [account]}]\n",
	"  - {id: l, name: {nl: a, en: a}, subject: account, erasure: keep, keep: {period: P7Y, since: created, reason: {nl: a, en: a}}, fields: [{id: big, name: {nl: a, en: a}, type: big_number, sensitive: true, source: data_subject, purposes: [p]}]}\n",
}

// withExtra returns minimalPolicy with extra: a list item ("  - ...")
// goes into the list of its kind, anything else is appended.
func withExtra(extra string) string {
	if !strings.HasPrefix(extra, "  - ") {
		return minimalPolicy + extra
	}
	list := "purposes"
	if strings.Contains(extra, "fields:") {
		list = "records"
	}
	// Turn the flow list of minimalPolicy into a block list and add to it.
	lines := strings.Split(minimalPolicy, "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, list+": ["); ok {
			lines[i] = list + ":\n  - " + strings.TrimSuffix(rest, "]") + "\n" + strings.TrimSuffix(extra, "\n")
		}
	}
	return strings.Join(lines, "\n")
}

// fuzzBroken are small files with typical mistakes, each alone and after
// minimalPolicy.
var fuzzBroken = []string{
	"site: {id: s, colour: blue}\n", "format: one\n", "version: {number: \"1\", date: yesterday}\n",
	"purposes: [{id: p, legal_basis: [whim]}]\n", "records: [{id: account, fields: [{id: e, purposes: [nosuch]}]}]\n",
	"rights: {response: P99999M, extension: P9999Y}\n", "cookies: [{name: c, lifetime: forever}]\n",
}

// FuzzParse feeds the loader arbitrary bytes, starting from a minimal
// policy alone and with each extra or mistake, the test policy and a few
// malformed files (the real policies, at 40 KB, would leave the fuzzer
// mutating bytes no check reads; TestRealPoliciesLoadWithoutProblems loads
// them). Whatever the input, Parse must not panic and must either return a
// policy or a non-empty Problems list whose every entry names the file and
// a real position (G3: bad input gets a clear error). Crashers found are
// kept in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimalPolicy))
	for _, extra := range fuzzExtras {
		f.Add([]byte(withExtra(extra)))
	}
	for _, b := range fuzzBroken {
		f.Add([]byte(b))
		f.Add([]byte(minimalPolicy + b))
	}
	seeds, _ := filepath.Glob("testdata/*.yaml")
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
		"retention: [{period: P1Y, warn_before: P400D}]\n", "- format: 1\n", "format: 1\nsite: [x]\n",
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

// TestFuzzSeedsLoad keeps FuzzParse's small seeds meaningful: the minimal
// policy and each extra load without problems.
func TestFuzzSeedsLoad(t *testing.T) {
	for i, src := range append([]string{minimalPolicy}, func() (all []string) {
		for _, e := range fuzzExtras {
			all = append(all, withExtra(e))
		}
		return all
	}()...) {
		if _, err := policy.Parse("seed.yaml", []byte(src)); err != nil {
			t.Errorf("seed %d does not load:\n%v\n%s", i, err, src)
		}
	}
}
