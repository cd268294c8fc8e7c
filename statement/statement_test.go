package statement

import (
	"bytes"
	"errors"
	"flag"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"steward/policy"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// policies are the statements the golden files cover: the fixture, which
// reaches every branch of the templates, and the two real sites (issue 3).
var policies = map[string]string{
	"fixture":        "testdata/fixture.yaml",
	"ivm":            "../policies/ivm.yaml",
	"zorginspirator": "../policies/zorginspirator.yaml",
}

func load(t testing.TB, path string) *policy.Policy {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read policy: %v", err)
	}
	p, err := policy.Parse(path, data)
	if err != nil {
		t.Fatalf("policy %s does not parse:\n%v", path, err)
	}
	return p
}

type format struct {
	ext    string
	render func(io.Writer, *policy.Policy, string) error
}

var formats = []format{{"html", RenderHTML}, {"md", RenderMarkdown}}

// TestGolden compares every policy in every language and format with its
// golden file; go test ./statement -update rewrites them (review the diff).
func TestGolden(t *testing.T) {
	for name, path := range policies {
		p := load(t, path)
		for _, lang := range policy.Languages {
			for _, f := range formats {
				t.Run(name+"/"+lang+"/"+f.ext, func(t *testing.T) {
					var buf bytes.Buffer
					if err := f.render(&buf, p, lang); err != nil {
						t.Fatal(err)
					}
					golden := filepath.Join("testdata", name+"."+lang+"."+f.ext+".golden")
					if *update {
						if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(golden)
					if err != nil {
						t.Fatalf("%v (run go test ./statement -update)", err)
					}
					if !bytes.Equal(buf.Bytes(), want) {
						t.Errorf("%s differs from the output; run go test ./statement -update and review the diff.\n%s", golden, firstDiff(string(want), buf.String()))
					}
				})
			}
		}
	}
}

// firstDiff shows the first differing line, to make a failure readable.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\nwant: " + wl + "\ngot:  " + gl
		}
	}
	return ""
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// visibleText is what a reader sees of an HTML document: tags removed,
// entities decoded, white space collapsed.
func visibleText(doc string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(doc, " "))), " ")
}

var mdEscapeRE = regexp.MustCompile(`\\([\\` + "`" + `*_\[\]<>#|+-])`)

// markdownText undoes the Markdown escaping and collapses white space.
func markdownText(doc string) string {
	return strings.Join(strings.Fields(mdEscapeRE.ReplaceAllString(doc, "$1")), " ")
}

// TestContent checks that the statement says what the policy declares —
// every purpose, field, processor, cookie, right, contact and the complaint
// authority — in both languages and both formats, not just that it matches
// a golden file.
func TestContent(t *testing.T) {
	for name, path := range policies {
		p := load(t, path)
		for _, lang := range policy.Languages {
			for _, f := range formats {
				t.Run(name+"/"+lang+"/"+f.ext, func(t *testing.T) {
					var buf bytes.Buffer
					if err := f.render(&buf, p, lang); err != nil {
						t.Fatal(err)
					}
					text := visibleText(buf.String())
					if f.ext == "md" {
						text = markdownText(buf.String())
					}
					norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
					must := func(what, s string) {
						t.Helper()
						if s != "" && !strings.Contains(text, norm(s)) {
							t.Errorf("%s %q is missing", what, s)
						}
					}
					must("site", p.Site.Name)
					must("controller", p.Controller.Name)
					must("street", p.Controller.Address.Street)
					must("kvk", p.Controller.KvK)
					for _, c := range []policy.Contact{p.Controller.Contact, p.Controller.PrivacyContact, p.Controller.DPO, p.Controller.Helpdesk} {
						must("contact e-mail", c.Email)
						must("contact phone", c.Phone)
					}
					must("version", p.Version.Number)
					for _, pu := range p.Purposes {
						must("purpose", pu.Name.In(lang))
					}
					for _, r := range p.Records {
						must("record", r.Name.In(lang))
						for _, fl := range r.Fields {
							must("field", fl.Name.In(lang))
						}
					}
					for _, pr := range p.Processors {
						must("processor", pr.Name)
						must("processor location", pr.Location)
					}
					for _, c := range p.Cookies {
						must("cookie", c.Name)
						if c.Host != "" {
							must("cookie host", c.Host)
						}
					}
					for _, h := range p.History {
						must("history", h.Summary.In(lang))
					}
					for _, s := range p.Security {
						must("security measure", s.In(lang))
					}
					must("complaint authority", p.Rights.Complaint.Authority)
					must("complaint url", p.Rights.Complaint.URL)
					must("changes", p.Changes.In(lang))
					must("third-party sites", p.ThirdPartySites.In(lang))
					deadline := map[string]string{"nl": "binnen één maand", "en": "within one month"}[lang]
					extension := map[string]string{"nl": "maximaal twee maanden langer", "en": "at most two months longer"}[lang]
					must("response deadline", deadline)
					must("extension", extension)
				})
			}
		}
	}
}

// TestDutchIsDefault: an empty language gives the Dutch statement (G1).
func TestDutchIsDefault(t *testing.T) {
	p := load(t, policies["fixture"])
	var def, nl bytes.Buffer
	if err := RenderHTML(&def, p, ""); err != nil {
		t.Fatal(err)
	}
	if err := RenderHTML(&nl, p, "nl"); err != nil {
		t.Fatal(err)
	}
	if def.String() != nl.String() {
		t.Error(`RenderHTML with lang "" differs from lang "nl"`)
	}
	if !strings.Contains(def.String(), `<html lang="nl">`) || !strings.Contains(def.String(), "Privacyverklaring") {
		t.Error("default statement is not Dutch")
	}
}

func TestUnknownLanguage(t *testing.T) {
	p := load(t, policies["fixture"])
	for _, lang := range []string{"de", "NL", "en-GB", " nl"} {
		var buf bytes.Buffer
		err := RenderHTML(&buf, p, lang)
		if !errors.Is(err, ErrUnknownLanguage) {
			t.Errorf("lang %q: err = %v, want ErrUnknownLanguage", lang, err)
		}
		if buf.Len() != 0 {
			t.Errorf("lang %q: wrote %d bytes on error", lang, buf.Len())
		}
	}
}

// TestRetentionInWords: each rule is written from the executable rule.
func TestRetentionInWords(t *testing.T) {
	p := load(t, policies["fixture"])
	want := map[string][]string{
		"nl": {
			"Account (zonder bestelling en zonder nieuwsbriefaanmelding): verwijderd 1 jaar na aanmaak. Dit geldt tenzij in een contract met je organisatie iets anders is afgesproken.",
			"Account (met ten minste één bestelling of download): verwijderd 7 jaar na de laatste keer inloggen.",
			"Account leeromgeving (nooit bevestigd): verwijderd 1 jaar na aanmaak.",
			"Account leeromgeving (met ten minste één cursusinschrijving): geanonimiseerd 3 jaar na de laatste activiteit. We sturen je 2 weken van tevoren eerst een e-mail.",
		},
		"en": {
			"Account (with no order and no newsletter subscription): deleted 1 year after creation. This applies unless a contract with your organisation says otherwise.",
			"Account (with at least one order or download): deleted 7 years after the last login.",
			"Learning environment account (never confirmed): deleted 1 year after creation.",
			"Learning environment account (with at least one course enrolment): anonymised 3 years after the last activity. We first e-mail you 2 weeks beforehand.",
		},
	}
	for lang, sentences := range want {
		var buf bytes.Buffer
		if err := RenderHTML(&buf, p, lang); err != nil {
			t.Fatal(err)
		}
		text := visibleText(buf.String())
		for _, s := range sentences {
			if !strings.Contains(text, s) {
				t.Errorf("%s: missing %q", lang, s)
			}
		}
	}
}

// TestLegalBasisWithArticle: every purpose shows its basis with the Art. 6(1) letter.
func TestLegalBasisWithArticle(t *testing.T) {
	p := load(t, policies["fixture"])
	for lang, want := range map[string][]string{
		"nl": {"toestemming (art. 6 lid 1 sub a AVG)", "uitvoering van een overeenkomst (art. 6 lid 1 sub b AVG)", "wettelijke verplichting (art. 6 lid 1 sub c AVG)", "gerechtvaardigd belang (art. 6 lid 1 sub f AVG)"},
		"en": {"consent (Art. 6(1)(a) GDPR)", "performance of a contract (Art. 6(1)(b) GDPR)", "legal obligation (Art. 6(1)(c) GDPR)", "legitimate interests (Art. 6(1)(f) GDPR)"},
	} {
		var buf bytes.Buffer
		if err := RenderMarkdown(&buf, p, lang); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(markdownText(buf.String()), w) {
				t.Errorf("%s: missing %q", lang, w)
			}
		}
	}
}

var (
	headingRE = regexp.MustCompile(`<h([1-6])[\s>]`)
	thRE      = regexp.MustCompile(`<th[\s>]`)
	hrefRE    = regexp.MustCompile(`href="#([^"]+)"`)
	idRE      = regexp.MustCompile(`\sid="([^"]+)"`)
)

// TestAccessibleHTML checks the page needs no script, headings skip no
// level, every table header has a scope, every in-page link has a target
// and no id is used twice.
func TestAccessibleHTML(t *testing.T) {
	for name, path := range policies {
		p := load(t, path)
		for _, lang := range policy.Languages {
			t.Run(name+"/"+lang, func(t *testing.T) {
				var buf bytes.Buffer
				if err := RenderHTML(&buf, p, lang); err != nil {
					t.Fatal(err)
				}
				doc := buf.String()
				for _, bad := range []string{"<script", " style=", " onclick=", "javascript:"} {
					if strings.Contains(doc, bad) {
						t.Errorf("page contains %q: it must work without script and inline style (CSP)", bad)
					}
				}
				prev := 0
				for _, m := range headingRE.FindAllStringSubmatch(doc, -1) {
					level, _ := strconv.Atoi(m[1])
					if level > prev+1 {
						t.Errorf("heading h%d follows h%d: a level is skipped", level, prev)
					}
					prev = level
				}
				if n, scoped := len(thRE.FindAllString(doc, -1)), strings.Count(doc, `<th scope="`); n != scoped {
					t.Errorf("%d of %d <th> have no scope", n-scoped, n)
				}
				ids := map[string]int{}
				for _, m := range idRE.FindAllStringSubmatch(doc, -1) {
					ids[m[1]]++
				}
				for id, n := range ids {
					if n > 1 {
						t.Errorf("id %q used %d times", id, n)
					}
				}
				for _, m := range hrefRE.FindAllStringSubmatch(doc, -1) {
					if ids[m[1]] == 0 {
						t.Errorf("link to #%s has no target", m[1])
					}
				}
			})
		}
	}
}

// TestPolicyTextIsEscaped: text from a policy file can never become markup.
func TestPolicyTextIsEscaped(t *testing.T) {
	p := load(t, policies["fixture"])
	p.Site.Name = `<script>alert(1)</script>`
	p.Purposes[0].Name = policy.Text{NL: "a *b* _c_ | [d](e)", EN: "x"}
	var h, m bytes.Buffer
	if err := RenderHTML(&h, p, "nl"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.String(), "<script>") {
		t.Error("HTML: policy text was not escaped")
	}
	if err := RenderMarkdown(&m, p, "nl"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.String(), `a \*b\* \_c\_ \| \[d\](e)`) {
		t.Error("Markdown: policy text was not escaped")
	}
}

func TestBody(t *testing.T) {
	p := load(t, policies["fixture"])
	body, s, err := Body(p, "en")
	if err != nil {
		t.Fatal(err)
	}
	if s.Title != "Privacy statement Voorbeeldinstituut" {
		t.Errorf("title = %q", s.Title)
	}
	b := string(body)
	if !strings.HasPrefix(b, `<article class="statement" lang="en"`) || strings.Contains(b, "<html") || strings.Contains(b, "<style") {
		t.Errorf("Body is not just the article: %.80q", b)
	}
}
