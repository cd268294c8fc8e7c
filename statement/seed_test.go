package statement

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"steward/policy"
)

// seedFact is one line of a seed-fidelity fixture.
type seedFact struct {
	line      int
	kind      string
	seed      string
	statement string
}

func readSeedFacts(t *testing.T, path string) []seedFact {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []seedFact
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("%s:%d: want kind | seed | statement", path, n)
		}
		fact := seedFact{line: n, kind: strings.TrimSpace(parts[0]), seed: strings.TrimSpace(parts[1]), statement: strings.TrimSpace(parts[2])}
		if fact.statement == "=" {
			fact.statement = fact.seed
		}
		if (fact.kind == "absent") != (fact.seed == "") || fact.statement == "" {
			t.Fatalf("%s:%d: an absent line has no seed words, every other line has both", path, n)
		}
		out = append(out, fact)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// collapse folds white space and the seed's non-breaking hyphens, so a
// quote matches across line breaks.
func collapse(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u2011", "-")), " ")
}

// TestSeedFidelity is the drift detector between each site's published
// statement (the seed, testdata/seeds) and the statement Steward renders
// from its policy (issue 20): every fact of the fixture — contacts, data
// fields, processors, periods, quotes — is checked to be in the seed as
// written and in the rendered Dutch statement, and what the statement
// once invented (an address, a date, a promise no engine keeps) is checked
// to be gone.
func TestSeedFidelity(t *testing.T) {
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			seed, err := os.ReadFile(filepath.Join("testdata", "seeds", site+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			seedText := collapse(string(seed))
			p := load(t, policies[site])
			var md, page bytes.Buffer
			if err := RenderMarkdown(&md, p, "nl"); err != nil {
				t.Fatal(err)
			}
			if err := RenderHTML(&page, p, "nl"); err != nil {
				t.Fatal(err)
			}
			mdText, htmlText := markdownText(md.String()), visibleText(page.String())
			facts := readSeedFacts(t, filepath.Join("testdata", "seedfacts", site+".txt"))
			if len(facts) < 20 {
				t.Fatalf("%d facts; the fixture should cover contacts, fields, processors and periods", len(facts))
			}
			for _, f := range facts {
				want := collapse(f.statement)
				if f.kind == "absent" {
					if strings.Contains(mdText, want) || strings.Contains(htmlText, want) {
						t.Errorf("line %d: the statement still says %q, which the seed does not", f.line, want)
					}
					continue
				}
				if !strings.Contains(seedText, collapse(f.seed)) {
					t.Errorf("line %d (%s): %q is not in the seed; the fixture must quote it", f.line, f.kind, f.seed)
				}
				// Table cells ("| CM |") only exist in Markdown.
				if !strings.Contains(mdText, want) || (!strings.HasPrefix(want, "|") && !strings.Contains(htmlText, want)) {
					t.Errorf("line %d (%s): the seed says %q, the rendered statement lacks %q", f.line, f.kind, f.seed, want)
				}
			}
		})
	}
}

// TestUnconfirmedNeverShownAsFact: a value the seed does not give is
// marked !unconfirmed in the policy; the statement says it is not yet
// confirmed wherever it shows it, in both languages, and never states it
// bare (issue 20).
func TestUnconfirmedNeverShownAsFact(t *testing.T) {
	cases := []struct {
		site, lang    string
		bare, flagged string
	}{
		{"zorginspirator", "nl", "Deze privacyverklaring is voor het laatst aangepast op", "de datum waarop ze is ingegaan, is nog niet bevestigd"},
		{"zorginspirator", "en", "was last changed on", "the date it took effect is not yet confirmed"},
		{"zorginspirator", "nl", "| 1 januari 2024 |", "| datum nog niet bevestigd |"},
		{"zorginspirator", "nl", "Zorginspirator is verantwoordelijk", "Zorginspirator (nog niet bevestigd) is verantwoordelijk"},
		{"zorginspirator", "nl", "| EU/US |", "| EU/US (nog niet bevestigd) |"},
		{"zorginspirator", "en", "| EU/US |", "| EU/US (not yet confirmed) |"},
		{"zorginspirator", "nl", "We sturen je 30 dagen van tevoren", "We sturen je 30 dagen (nog niet bevestigd) van tevoren"},
		{"zorginspirator", "nl", "| 2 jaar |", "| 2 jaar (nog niet bevestigd) |"},
		{"zorginspirator", "nl", "", "Of deze partij de gegevens ook voor eigen doeleinden gebruikt, is nog niet bevestigd."},
		{"ivm", "nl", "| NL |", "| NL (nog niet bevestigd) |"},
		{"ivm", "nl", "verwijderd 30 dagen na aanmaak", "verwijderd 30 dagen (nog niet bevestigd) na aanmaak"},
		{"ivm", "nl", "1 jaar na de laatste keer inloggen.", "1 jaar na de laatste keer inloggen (nog niet bevestigd)."},
		{"ivm", "nl", "", "verwijderd 1 jaar (nog niet bevestigd) na de laatste keer inloggen (nog niet bevestigd)"},
		{"ivm", "en", "", "Whether this party processes data on our behalf (Art. 28 GDPR) is not yet confirmed."},
	}
	rendered := map[string]string{}
	for _, c := range cases {
		key := c.site + "/" + c.lang
		if _, ok := rendered[key]; !ok {
			var buf bytes.Buffer
			if err := RenderMarkdown(&buf, load(t, policies[c.site]), c.lang); err != nil {
				t.Fatal(err)
			}
			rendered[key] = markdownText(buf.String())
		}
		text := rendered[key]
		if c.bare != "" && strings.Contains(text, c.bare) {
			t.Errorf("%s: states %q as fact", key, c.bare)
		}
		if !strings.Contains(text, c.flagged) {
			t.Errorf("%s: lacks %q", key, c.flagged)
		}
	}
	// Every unconfirmed value of both policies is one of the kinds above.
	for _, site := range []string{"ivm", "zorginspirator"} {
		if n := len(load(t, policies[site]).Unconfirmed); n == 0 {
			t.Errorf("%s: no unconfirmed values; the test expects the marks the seed needs", site)
		}
	}
}

// TestUnretainedRecordsAreSaid: a record no retention rule reaches is
// named, so an IVM account with only a newsletter sign-up is not kept
// without end unsaid (issue 20).
func TestUnretainedRecordsAreSaid(t *testing.T) {
	st, err := New(load(t, policies["ivm"]), "nl")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sys := range st.Systems {
		got = append(got, sys.Unretained...)
	}
	// Issue 17: the subscribed account without orders has its own rule
	// (website_account_newsletter_only); the confirmed sign-up is kept
	// until it is withdrawn, and the statement says so.
	if len(got) != 1 || !strings.HasPrefix(got[0], "Voor aanmelding nieuwsbrief (bevestigd en niet afgemeld)") {
		t.Errorf("unretained: %q\nwant the confirmed sign-up only", got)
	}
	zi, err := New(load(t, policies["zorginspirator"]), "nl")
	if err != nil {
		t.Fatal(err)
	}
	for _, sys := range zi.Systems {
		if len(sys.Unretained) > 0 {
			t.Errorf("zorginspirator: %q; its one rule reaches every account", sys.Unretained)
		}
	}
}

// TestStewardCookiesFromTheServer: Steward's own cookies are listed with
// the lifetime the server sets them with, also when the policy does not
// declare them (issue 20).
func TestStewardCookiesFromTheServer(t *testing.T) {
	for name, path := range policies {
		st, err := New(load(t, path), "nl")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		for _, g := range st.Cookies.Groups {
			for _, c := range g.Cookies {
				seen[c.Name] = g.Category + " " + c.Lifetime
			}
		}
		if got := seen[policy.SessionCookie]; got != "necessary tot je de browser sluit" {
			t.Errorf("%s: %s is %q", name, policy.SessionCookie, got)
		}
		if got := seen[policy.ChoiceCookie]; got != "functional 1 jaar" {
			t.Errorf("%s: %s is %q", name, policy.ChoiceCookie, got)
		}
		if _, ok := seen["steward_csrf"]; ok {
			t.Errorf("%s lists steward_csrf, a cookie Steward does not set", name)
		}
	}
}
