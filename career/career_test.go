package career_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"steward/career"
	"steward/catalogue"
	"steward/internal/testkit"
)

func shipped(t *testing.T) *career.Questionnaire {
	t.Helper()
	path := filepath.Join(testkit.RepoRoot(t), "policies", career.QuestionsFile("zorginspirator"))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := career.ParseQuestions(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestQuestionsFileIsChecked: the shipped questions parse; a file with an
// unknown property, a choice outside the catalogue's words, a label used
// twice or an unknown key is refused, naming what is wrong.
func TestQuestionsFileIsChecked(t *testing.T) {
	q := shipped(t)
	if len(q.Questions) != 4 {
		t.Errorf("%d questions", len(q.Questions))
	}
	good := "questions:\n  - id: s\n    match: sector\n    text: {nl: Waar, en: Where}\n    choices:\n      - {value: ggz, label: {nl: Ggz, en: Mental}}\n      - {value: apotheek, label: {nl: Apotheek, en: Pharmacy}}\n"
	if _, err := career.ParseQuestions("q.yaml", []byte(good)); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ old, new, want string }{
		"unknown match":   {"match: sector", "match: salary", "match \"salary\""},
		"unknown value":   {"value: ggz", "value: bakkerij", "choice bakkerij is not one of"},
		"label twice":     {"en: Pharmacy", "en: Mental", "used twice"},
		"unknown key":     {"match: sector", "match: sector\n    colour: red", "colour"},
		"one language":    {"text: {nl: Waar, en: Where}", "text: {nl: Waar}", "nl and en"},
		"a single choice": {"      - {value: apotheek, label: {nl: Apotheek, en: Pharmacy}}\n", "", "at least two"},
	} {
		_, err := career.ParseQuestions("q.yaml", []byte(strings.Replace(good, c.old, c.new, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "q.yaml") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestAnswersRankAndReadBack: an answer outside the choices is refused by
// field; the item matching most answers comes first; the work preferences
// words read back as the same answers in either language.
func TestAnswersRankAndReadBack(t *testing.T) {
	q := shipped(t)
	if _, err := q.Check(map[string]string{"sector": "bakkerij"}); err == nil {
		t.Error("an answer outside the choices was accepted")
	}
	if _, err := q.Check(map[string]string{"salary": "high"}); err == nil {
		t.Error("an unknown question was accepted")
	}
	a, err := q.Check(map[string]string{"sector": "ggz", "region": "utrecht", "hours": "", "level": "hbo"})
	if err != nil || len(a) != 3 {
		t.Fatalf("%v %v", a, err)
	}
	items := []catalogue.Item{
		{ExternalID: "1", Kind: catalogue.Job, Title: "B", Sector: "ggz", Region: "utrecht", Level: "mbo3", Hours: 20},
		{ExternalID: "2", Kind: catalogue.Job, Title: "A", Sector: "ggz", Region: "utrecht", Level: "hbo", Hours: 20},
		{ExternalID: "3", Kind: catalogue.Job, Title: "C", Sector: "ziekenhuis", Region: "limburg", Level: "mbo2", Hours: 20},
		{ExternalID: "4", Kind: catalogue.Course, Title: "D", Sector: "ggz", Region: "utrecht", Level: "hbo", Hours: 20},
	}
	got := q.Rank(items, catalogue.Job, a, 10)
	if len(got) != 2 || got[0].ExternalID != "2" || got[1].ExternalID != "1" {
		t.Errorf("rank: %+v", got)
	}
	for _, lang := range []string{"nl", "en"} {
		text := q.Preferences(a, lang)
		back := q.FromPreferences(text + "; en ik werk graag buiten")
		if len(back) != 3 || back["sector"] != "ggz" || back["level"] != "hbo" || back["region"] != "utrecht" {
			t.Errorf("%s: %q read back as %v", lang, text, back)
		}
	}
}

// TestVisitDecodeIsDefensive: the visit in the cookie keeps only valid
// references, at most MaxVisitSaved, and malformed JSON is an empty visit.
func TestVisitDecodeIsDefensive(t *testing.T) {
	v := career.Visit{}
	for i := 0; i < career.MaxVisitSaved; i++ {
		if err := v.Save(career.Ref{Kind: catalogue.Job, ID: "F-" + strings.Repeat("1", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Save(career.Ref{Kind: catalogue.Job, ID: "F-X"}); err == nil {
		t.Error("a visit took more than MaxVisitSaved items")
	}
	if got := career.DecodeVisit(v.Encode()); len(got.Saved) != career.MaxVisitSaved {
		t.Errorf("round trip: %d", len(got.Saved))
	}
	bad := career.DecodeVisit([]byte(`{"s":[{"k":"job","i":"<script>"},{"k":"boat","i":"F-1"},{"k":"course","i":"O-1"}]}`))
	if len(bad.Saved) != 1 || bad.Saved[0].ID != "O-1" {
		t.Errorf("invalid references kept: %+v", bad.Saved)
	}
	if empty := career.DecodeVisit([]byte("{")); !empty.Empty() {
		t.Error("malformed JSON is not an empty visit")
	}
}
