package learning_test

import (
	"strings"
	"testing"

	"steward/learning"
)

const goodCSV = `slug,title_nl,title_en,description_nl,description_en,lms_course_id,points,price_cents,published
medicatiebewaking,Medicatiebewaking,Medication monitoring,"Over bewaking, met komma",About monitoring,42,knmp:2;krp:1,0,true
polyfarmacie,Polyfarmacie,Polypharmacy,,,,,4950,false
`

// TestImportFilesAndTheirErrors: a CSV or JSON catalogue is read whole;
// any wrong line makes the file wrong and the error names that line
// (issue 16, R5).
func TestImportFilesAndTheirErrors(t *testing.T) {
	cs, err := learning.ParseCSV([]byte(goodCSV))
	if err != nil || len(cs) != 2 || cs[0].Description.NL != "Over bewaking, met komma" || len(cs[0].Points) != 2 ||
		cs[0].Points[0].Register != "knmp" || !cs[0].Free() || !cs[0].Published || cs[1].PriceCents != 4950 || cs[1].Published {
		t.Fatalf("ParseCSV: %+v, %v", cs, err)
	}
	js, err := learning.ParseJSON([]byte(`[
  {"slug": "medicatiebewaking", "title_nl": "Medicatiebewaking", "title_en": "Medication monitoring", "points": {"krp": 1, "knmp": 2}, "published": true},
  {"slug": "polyfarmacie", "title_nl": "Polyfarmacie", "title_en": "Polypharmacy", "price_cents": 4950}
]`))
	if err != nil || len(js) != 2 || js[0].Points[0].Register != "knmp" || js[1].PriceCents != 4950 {
		t.Fatalf("ParseJSON: %+v, %v", js, err)
	}
	head := strings.SplitN(goodCSV, "\n", 2)[0] + "\n"
	row := "ok,Titel,Title,,,,,0,true\n"
	for _, tc := range []struct {
		name, file, want string
		json             bool
	}{
		{"wrong header", "slug,title\n" + row, "line 1", false},
		{"bad slug", head + row + "Bad Slug,Titel,Title,,,,,0,true\n", "line 3: slug", false},
		{"no English title", head + row + row[:0] + "x,Titel,,,,,,0,true\n", "line 3: title_en: is required", false},
		{"negative price", head + "x,Titel,Title,,,,,-5,true\n", "line 2: price_cents", false},
		{"bad points", head + "x,Titel,Title,,,,knmp=2,0,true\n", "line 2: points", false},
		{"register twice", head + "x,Titel,Title,,,,knmp:2;knmp:1,0,true\n", "line 2: points", false},
		{"published yes", head + "x,Titel,Title,,,,,0,yes\n", "line 2: published", false},
		{"columns missing", head + row + "y,Titel,Title,,,,,0,true\n" + "x,Titel\n", "line 4", false},
		{"slug twice", head + row + row, "line 3: slug: slug already on line 2", false},
		{"json not an array", `{"slug": "x"}`, "line 1", true},
		{"json unknown key", "[\n  {\"slug\": \"a\", \"title_nl\": \"A\", \"title_en\": \"A\"},\n  {\"slug\": \"b\", \"title_nl\": \"B\", \"title_en\": \"B\", \"prijs\": 5}\n]", "line 3", true},
		{"json bad slug", "[\n\n  {\"slug\": \"B B\", \"title_nl\": \"B\", \"title_en\": \"B\"}\n]", "line 3: slug", true},
	} {
		var err error
		if tc.json {
			_, err = learning.ParseJSON([]byte(tc.file))
		} else {
			_, err = learning.ParseCSV([]byte(tc.file))
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
