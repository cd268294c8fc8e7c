package career

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"steward"
	"steward/catalogue"
	"steward/policy"
)

// The basic questions (basisvragen, issue 18 item 3): a short
// questionnaire that is site content, written in a file under
// policies/content/ (QuestionsFile), not in Go code. Every question is
// optional and ranks the catalogue by one of an item's properties.

// QuestionsFile is where a site's basic questions live, relative to the
// directory of its policy file.
func QuestionsFile(site string) string { return "content/" + site + "-basisvragen.yaml" }

// Match names the property of a catalogue item a question ranks by.
type Match string

// The properties a question can rank by.
const (
	MatchSector Match = "sector"
	MatchLevel  Match = "level"
	MatchRegion Match = "region"
	MatchHours  Match = "hours"
)

// Questionnaire is a site's basic questions.
type Questionnaire struct {
	Intro     policy.Text `yaml:"intro"`
	Questions []Question  `yaml:"questions"`
}

// Question is one question with its closed list of choices.
type Question struct {
	ID      string      `yaml:"id"`
	Text    policy.Text `yaml:"text"`
	Match   Match       `yaml:"match"`
	Choices []Choice    `yaml:"choices"`
}

// Choice is one answer: for sector, level and region its value is the
// catalogue's word; for hours it gives the range of hours a week.
type Choice struct {
	Value string      `yaml:"value"`
	Label policy.Text `yaml:"label"`
	Min   int         `yaml:"min"`
	Max   int         `yaml:"max"`
}

// Question returns the question with id, or nil.
func (q *Questionnaire) Question(id string) *Question {
	for i := range q.Questions {
		if q.Questions[i].ID == id {
			return &q.Questions[i]
		}
	}
	return nil
}

// Choice returns the choice with value, or nil.
func (q *Question) Choice(value string) *Choice {
	for i := range q.Choices {
		if q.Choices[i].Value == value {
			return &q.Choices[i]
		}
	}
	return nil
}

// ParseQuestions reads and checks a questionnaire file: every question
// has an id, words in nl and en, a known property and at least two
// choices; a sector, level or region choice is a word of the catalogue's
// vocabulary; an hours choice a range within a week's hours; every
// choice's label is unique in the file (work preferences keep labels).
func ParseQuestions(name string, data []byte) (*Questionnaire, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var q Questionnaire
	if err := dec.Decode(&q); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: "+format, append([]any{name}, args...)...)
	}
	if len(q.Questions) == 0 {
		return nil, bad("no questions")
	}
	ids, labels := map[string]bool{}, map[string]bool{}
	for _, qu := range q.Questions {
		if qu.ID == "" || ids[qu.ID] {
			return nil, bad("question %q: every question needs its own id", qu.ID)
		}
		ids[qu.ID] = true
		if !qu.Text.Complete() {
			return nil, bad("question %s: the text needs nl and en", qu.ID)
		}
		var vocab []string
		switch qu.Match {
		case MatchSector:
			vocab = catalogue.Sectors
		case MatchLevel:
			vocab = catalogue.Levels
		case MatchRegion:
			vocab = catalogue.Regions
		case MatchHours:
		default:
			return nil, bad("question %s: match %q is not one of sector, level, region, hours", qu.ID, qu.Match)
		}
		if len(qu.Choices) < 2 {
			return nil, bad("question %s: at least two choices", qu.ID)
		}
		values := map[string]bool{}
		for _, c := range qu.Choices {
			if c.Value == "" || values[c.Value] {
				return nil, bad("question %s: choice %q: every choice needs its own value", qu.ID, c.Value)
			}
			values[c.Value] = true
			if !c.Label.Complete() {
				return nil, bad("question %s: choice %s: the label needs nl and en", qu.ID, c.Value)
			}
			own := map[string]bool{strings.ToLower(c.Label.NL): true, strings.ToLower(c.Label.EN): true}
			for k := range own {
				if labels[k] || strings.Contains(k, ";") {
					return nil, bad("question %s: choice %s: the label %q is used twice or holds a ';'", qu.ID, c.Value, k)
				}
			}
			for k := range own {
				labels[k] = true
			}
			if vocab != nil && !slices.Contains(vocab, c.Value) {
				return nil, bad("question %s: choice %s is not one of %s", qu.ID, c.Value, strings.Join(vocab, ", "))
			}
			if qu.Match == MatchHours && (c.Min < 0 || c.Max < c.Min || c.Max > catalogue.MaxHours || c.Max == 0) {
				return nil, bad("question %s: choice %s: hours need 0 <= min <= max <= %d", qu.ID, c.Value, catalogue.MaxHours)
			}
		}
	}
	return &q, nil
}

// Answers are a person's answers by question id.
type Answers map[string]string

// Check refuses an answer to a question the questionnaire does not have
// or outside a question's choices; an empty answer is no answer (every
// question is optional). It returns the answers without the empty ones.
func (q *Questionnaire) Check(in map[string]string) (Answers, error) {
	out := Answers{}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := in[k]
		qu := q.Question(k)
		if qu == nil {
			return nil, steward.FieldError(k, "error.question_unknown")
		}
		if v == "" {
			continue
		}
		if qu.Choice(v) == nil {
			return nil, steward.FieldError(k, "error.answer_not_a_choice")
		}
		out[k] = v
	}
	return out, nil
}

// Score is how well item suits the answers: one point for each answered
// question whose choice the item matches.
func (q *Questionnaire) Score(it *catalogue.Item, a Answers) int {
	n := 0
	for _, qu := range q.Questions {
		c := qu.Choice(a[qu.ID])
		if c == nil {
			continue
		}
		switch qu.Match {
		case MatchSector:
			if it.Sector == c.Value {
				n++
			}
		case MatchLevel:
			if it.Level == c.Value {
				n++
			}
		case MatchRegion:
			if it.Region == c.Value {
				n++
			}
		case MatchHours:
			if it.Hours >= c.Min && it.Hours <= c.Max {
				n++
			}
		}
	}
	return n
}

// Rank returns the offered items of kind that match at least one answer,
// best first (then by title), at most limit of them.
func (q *Questionnaire) Rank(items []catalogue.Item, kind catalogue.Kind, a Answers, limit int) []catalogue.Item {
	type scored struct {
		it    catalogue.Item
		score int
	}
	var list []scored
	for i := range items {
		it := &items[i]
		if it.Kind != kind || !it.Retired.IsZero() {
			continue
		}
		if s := q.Score(it, a); s > 0 {
			list = append(list, scored{*it, s})
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].score != list[j].score {
			return list[i].score > list[j].score
		}
		if list[i].it.Title != list[j].it.Title {
			return list[i].it.Title < list[j].it.Title
		}
		return list[i].it.ExternalID < list[j].it.ExternalID
	})
	if len(list) > limit {
		list = list[:limit]
	}
	out := make([]catalogue.Item, len(list))
	for i := range list {
		out[i] = list[i].it
	}
	return out
}

// PreferencesSeparator separates the answers in the work preferences text.
const PreferencesSeparator = "; "

// Preferences are the answers as the profile's work preferences keep
// them: the chosen labels in lang, in question order — words a person
// reads in My data and can edit, not codes.
func (q *Questionnaire) Preferences(a Answers, lang string) string {
	var parts []string
	for _, qu := range q.Questions {
		if c := qu.Choice(a[qu.ID]); c != nil {
			parts = append(parts, c.Label.In(lang))
		}
	}
	return strings.Join(parts, PreferencesSeparator)
}

// FromPreferences reads answers back from a work preferences text: every
// part that is a choice's label (in either language) answers its
// question; anything else the person wrote is left alone.
func (q *Questionnaire) FromPreferences(text string) Answers {
	out := Answers{}
	for _, part := range strings.Split(text, ";") {
		part = strings.ToLower(strings.TrimSpace(part))
		if part == "" {
			continue
		}
		for _, qu := range q.Questions {
			for _, c := range qu.Choices {
				if strings.ToLower(c.Label.NL) == part || strings.ToLower(c.Label.EN) == part {
					if _, ok := out[qu.ID]; !ok {
						out[qu.ID] = c.Value
					}
				}
			}
		}
	}
	return out
}
