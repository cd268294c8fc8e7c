package catalogue_test

import (
	"strings"
	"testing"

	"steward"
	"steward/catalogue"
	"steward/message"
)

// TestImportFileRefusesBadRowsByLine (issue 18): a JSON or CSV import file
// with one wrong row is refused whole, and the error names the file and
// the line of the row and says what is wrong in words.
func TestImportFileRefusesBadRowsByLine(t *testing.T) {
	const head = "id,kind,title,description,sector,level,region,hours\n"
	good := "F-1,job,Verpleegkundige,Zorg in het ziekenhuis,ziekenhuis,hbo,utrecht,32\n"
	jsonRow := func(fields string) string {
		return `{"id":"F-2","kind":"job","title":"Arts","description":"","sector":"ziekenhuis","level":"wo","region":"utrecht","hours":32` + fields + `}`
	}
	for _, tc := range []struct{ name, file, data, want string }{
		{"csv level", "c.csv", head + good + "F-2,job,Arts,,ziekenhuis,phd,utrecht,32\n", `c.csv line 3: level "phd" is not one of`},
		{"csv hours", "c.csv", head + good + good[:len(good)-3] + "x\n", "c.csv line 3: hours must be a whole number"},
		{"csv duplicate", "c.csv", head + good + "\n" + good, "c.csv line 4: id F-1 is already used on line 2"},
		{"csv columns", "c.csv", "id,kind,title\n", "c.csv: the first row must name the columns"},
		{"csv field count", "c.csv", head + good + "F-3,job\n", "c.csv line 3"},
		{"csv kind", "c.csv", head + "F-1,baan,A,,ziekenhuis,hbo,utrecht,32\n", `c.csv line 2: kind "baan" is not one of: job, course`},
		{"json missing title", "j.json", "[\n" + jsonRow("") + ",\n" + strings.Replace(jsonRow(""), `"Arts"`, `""`, 1) + "\n]", "j.json line 3: title is missing"},
		{"json unknown field", "j.json", "[\n\n" + jsonRow(`,"salary":4000`) + "\n]", "j.json line 3: not a valid item"},
		{"json region", "j.json", "[" + strings.Replace(jsonRow(""), "utrecht", "bayern", 1) + "]", `j.json line 1: region "bayern" is not one of`},
		{"json hours", "j.json", "[" + strings.Replace(jsonRow(""), ":32", ":61", 1) + "]", "j.json line 1: hours must be a whole number of hours a week from 1 to 60"},
		{"json id", "j.json", "[" + strings.Replace(jsonRow(""), "F-2", "F 2", 1) + "]", "j.json line 1: the id must be"},
		{"json not an array", "j.json", `{"items": []}`, "j.json: the file must be one JSON array"},
		{"empty", "j.json", `[]`, "j.json: the file holds no items"},
		{"extension", "c.txt", head + good, "c.txt: the file name must end in .json or .csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, err := catalogue.ParseFile(tc.file, []byte(tc.data))
			if err == nil || steward.ErrorCode(err) != steward.EINVALID {
				t.Fatalf("got %d items, err %v; want EINVALID", len(items), err)
			}
			got := message.Default().Error("en", err)
			if !strings.Contains(got, tc.want) || strings.Contains(got, "\n") {
				t.Errorf("error %q; want one line with %q", got, tc.want)
			}
		})
	}
	items, err := catalogue.ParseFile("c.csv", []byte("hours,id,kind,title,description,sector,level,region\n32,F-1,job,\"Verpleegkundige, nacht\",\"Zorg\nin het ziekenhuis\",ziekenhuis,hbo,utrecht\n"))
	if err != nil || len(items) != 1 || items[0].Title != "Verpleegkundige, nacht" || items[0].Description != "Zorg in het ziekenhuis" || items[0].Hours != 32 {
		t.Fatalf("columns in another order: %+v, %v", items, err)
	}
}

// TestStemDutch: the Snowball Dutch stemmer gives the stems PostgreSQL's
// dutch_stem gives (store's TestStemMatchesPostgres checks every word of
// the sample catalogue against the database itself).
func TestStemDutch(t *testing.T) {
	for w, want := range map[string]string{
		"verpleegkundigen": "verpleegkund", "verpleegkundige": "verpleegkund", "ziekenhuizen": "ziekenhuiz",
		"opleidingen": "opleid", "begeleiding": "begeleid", "zorgen": "zorg", "heden": "heden",
		"mogelijkheden": "mogelijk", "maan": "man", "apotheek": "apothek", "kinderen": "kinder",
	} {
		if got := catalogue.Stem(w); got != want {
			t.Errorf("Stem(%q) = %q; want %q", w, got, want)
		}
	}
	if got := strings.Join(catalogue.QueryWords("De Verpleegkundige, in Één ziekenhuis!"), " "); got != "verpleegkundige ziekenhuis" {
		t.Errorf("QueryWords: %q", got)
	}
}
