package statement

import (
	"strings"
	"testing"
	"time"

	"steward/policy"
)

func TestPeriodInWords(t *testing.T) {
	tests := []struct {
		period  string
		spelled bool
		nl, en  string
	}{
		{"P1Y", false, "1 jaar", "1 year"},
		{"P7Y", false, "7 jaar", "7 years"},
		{"P4Y", false, "4 jaar", "4 years"},
		{"P1M", false, "1 maand", "1 month"},
		{"P13M", false, "13 maanden", "13 months"},
		{"P1M", true, "één maand", "one month"},
		{"P2M", true, "twee maanden", "two months"},
		{"P30D", false, "30 dagen", "30 days"},
		{"P1D", false, "1 dag", "1 day"},
		{"P2W", false, "2 weken", "2 weeks"},
		{"P7D", false, "1 week", "1 week"},
		{"P1Y6M", false, "1 jaar en 6 maanden", "1 year and 6 months"},
		{"P1Y2M3D", false, "1 jaar, 2 maanden en 3 dagen", "1 year, 2 months and 3 days"},
		{"P20M", true, "20 maanden", "20 months"},
	}
	for _, tt := range tests {
		d := policy.MustDuration(tt.period)
		for lang, want := range map[string]string{"nl": tt.nl, "en": tt.en} {
			l := newLexicon(lang)
			if got := l.period(d, tt.spelled); got != want {
				t.Errorf("%s %s spelled=%v: got %q, want %q", lang, tt.period, tt.spelled, got, want)
			}
			if l.err != nil {
				t.Error(l.err)
			}
		}
	}
}

func TestDateInWords(t *testing.T) {
	d := time.Date(2024, time.February, 8, 0, 0, 0, 0, time.UTC)
	if got := newLexicon("nl").date(d); got != "8 februari 2024" {
		t.Errorf("nl: %q", got)
	}
	if got := newLexicon("en").date(d); got != "8 February 2024" {
		t.Errorf("en: %q", got)
	}
}

func TestLifetimeInWords(t *testing.T) {
	if got := newLexicon("nl").lifetime(policy.Lifetime{Session: true}); got != "tot je de browser sluit" {
		t.Errorf("nl session: %q", got)
	}
	if got := newLexicon("en").lifetime(policy.Lifetime{Period: policy.MustDuration("P2Y")}); got != "2 years" {
		t.Errorf("en P2Y: %q", got)
	}
}

func TestEveryLegalBasisInWords(t *testing.T) {
	for _, lang := range policy.Languages {
		l := newLexicon(lang)
		for i, b := range policy.LegalBases {
			got := l.basis(b)
			letter := string(rune('a' + i))
			if lang == "nl" && !strings.Contains(got, "lid 1 sub "+letter+" AVG)") || lang == "en" && !strings.Contains(got, "6(1)("+letter+") GDPR)") {
				t.Errorf("%s %s: %q lacks its article", lang, b, got)
			}
		}
		if l.err != nil {
			t.Error(l.err)
		}
	}
}

// TestCatalogueCoversTheModel: every value of the model's closed
// vocabularies has its words in every language, so a policy can never
// render a raw key.
func TestCatalogueCoversTheModel(t *testing.T) {
	var keys []string
	for _, r := range policy.AllRights {
		keys = append(keys, "right."+string(r)+".name", "right."+string(r)+".text", "right."+string(r)+".article")
	}
	for _, c := range policy.Channels {
		keys = append(keys, "channel."+string(c))
	}
	for _, c := range policy.CookieCategories {
		keys = append(keys, "cookies."+string(c)+".title", "cookies."+string(c)+".about")
	}
	for _, a := range policy.RuleAnchors {
		keys = append(keys, "since."+string(a))
	}
	for _, s := range []policy.Source{policy.SourceSubject, policy.SourceSystem, policy.SourceThirdParty} {
		keys = append(keys, "source."+string(s))
	}
	for _, s := range []policy.Subject{policy.SubjectAccount, policy.SubjectVisitor} {
		keys = append(keys, "subject."+string(s))
	}
	for _, e := range []policy.Erasure{policy.EraseDelete, policy.EraseAnonymise, policy.EraseKeep} {
		keys = append(keys, "erasure."+string(e))
	}
	for _, a := range []policy.Action{policy.ActionDelete, policy.ActionAnonymise} {
		keys = append(keys, "action."+string(a))
	}
	for _, d := range []policy.DeadlineFrom{policy.FromReceipt, policy.FromIdentityProof} {
		keys = append(keys, "deadline.from."+string(d))
	}
	for _, lang := range policy.Languages {
		for _, k := range keys {
			if _, ok := lookup(lang, k); !ok {
				t.Errorf("catalogue %s lacks %q", lang, k)
			}
		}
	}
}

func TestInSentence(t *testing.T) {
	for in, want := range map[string]string{"Bestelling": "bestelling", "BIG-nummer": "BIG-nummer", "e-mail": "e-mail", "": "", "Één": "één"} {
		if got := inSentence(in); got != want {
			t.Errorf("inSentence(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParagraphs: a literal block splits at blank lines and its wrapped
// lines join with one space, so "|-" texts read like ">-" ones (G1).
func TestParagraphs(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"one_line", "Eén zin.", []string{"Eén zin."}},
		{"folded_text_stays_one_paragraph", "Een lange tekst over twee regels.", []string{"Een lange tekst over twee regels."}},
		{"wrapped_lines_join_with_a_space", "Een lange tekst\nover twee regels.", []string{"Een lange tekst over twee regels."}},
		{"blank_line_starts_a_paragraph", "Eerste.\n\nTweede\nalinea.", []string{"Eerste.", "Tweede alinea."}},
		{"crlf_and_extra_blank_lines", "Eerste.\r\n\r\n\r\n  Tweede.  \r\n", []string{"Eerste.", "Tweede."}},
		{"empty", "  \n\n ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := paragraphs(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("paragraphs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
