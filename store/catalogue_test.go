package store_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/catalogue"
	"steward/catalogue/sample"
	catservice "steward/catalogue/service"
	"steward/clock"
	"steward/internal/testkit"
	"steward/store"
)

// importSample imports a generated catalogue into s.
func importSample(t testing.TB, s *store.Store, jobs, courses int, seed uint64) *catservice.Service {
	t.Helper()
	svc := &catservice.Service{Store: s, Clock: clock.NewFixed(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))}
	items := parseItems(t, sample.Generate(jobs, courses, seed))
	if _, err := svc.Import(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	return svc
}

func parseItems(t testing.TB, fi []catalogue.FileItem) []catalogue.Item {
	t.Helper()
	var b strings.Builder
	b.WriteString("[")
	for i, f := range fi {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%q,"kind":%q,"title":%q,"description":%q,"sector":%q,"level":%q,"region":%q,"hours":%d}`,
			f.ID, f.Kind, f.Title, f.Description, f.Sector, f.Level, f.Region, f.Hours)
	}
	b.WriteString("]")
	items, err := catalogue.ParseFile("sample.json", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// catalogueQueries are the test corpus's searches: words in other forms
// than the texts use (plural, inflected), stop words, filters, pages.
var catalogueQueries = []catalogue.Query{
	{Kind: catalogue.Job},
	{Kind: catalogue.Job, Text: "verpleegkundigen"},
	{Kind: catalogue.Job, Text: "de verpleegkundige in het ziekenhuis"},
	{Kind: catalogue.Job, Text: "begeleiding", Sector: "gehandicaptenzorg"},
	{Kind: catalogue.Job, Text: "patiënten", Level: "hbo", Region: "utrecht"},
	{Kind: catalogue.Job, Text: "nachtdiensten"},
	{Kind: catalogue.Job, Text: "cliënt verzorging"},
	{Kind: catalogue.Job, Text: "apotheken medicijn"},
	{Kind: catalogue.Job, Text: "kinderen ouders"},
	{Kind: catalogue.Job, Text: "Rotterdam", Page: 1},
	{Kind: catalogue.Job, Sector: "ziekenhuis", Page: 2},
	{Kind: catalogue.Job, Text: "zorgen", Page: 3},
	{Kind: catalogue.Job, Text: "onbestaandwoord"},
	{Kind: catalogue.Course, Text: "opleidingen verpleegkunde"},
	{Kind: catalogue.Course, Text: "dementie", Region: "gelderland"},
	{Kind: catalogue.Course, Text: "werken en leren"},
	{Kind: catalogue.Course, Level: "wo"},
	{Kind: catalogue.Course, Text: "studiebegeleider hogescholen"},
}

// TestCatalogueSearchSameOnBothStores (issue 18): the one search method
// finds the same items in the same order on SQLite (FTS5 over the Snowball
// Dutch stems) and PostgreSQL (full text with the dutch configuration),
// for every query of the test corpus; stemming finds inflected forms;
// retired items are not found.
func TestCatalogueSearchSameOnBothStores(t *testing.T) {
	ctx := context.Background()
	results := map[string][][]string{}
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		svc := importSample(t, s, 400, 250, 7)
		var got [][]string
		for _, q := range catalogueQueries {
			res, err := svc.Search(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			ids := []string{fmt.Sprint(res.Total)}
			for _, it := range res.Items {
				ids = append(ids, it.ExternalID)
			}
			got = append(got, ids)
		}
		results[string(s.Dialect())] = got
		// Stemming: the plural finds the singular the titles use.
		res, _ := svc.Search(ctx, catalogue.Query{Kind: catalogue.Job, Text: "verpleegkundigen"})
		if res.Total == 0 || !strings.Contains(strings.ToLower(res.Items[0].Title+res.Items[0].Description), "verpleegkundig") {
			t.Errorf("verpleegkundigen finds %d items", res.Total)
		}
		// A filter value the catalogue does not know is refused.
		if _, err := svc.Search(ctx, catalogue.Query{Kind: catalogue.Job, Sector: "bakkerij"}); steward.ErrorCode(err) != steward.EINVALID {
			t.Errorf("unknown sector: %v", err)
		}
	})
	sq, pg := results["sqlite"], results["postgres"]
	if len(sq) != len(catalogueQueries) || len(pg) != len(catalogueQueries) {
		t.Fatalf("ran %d and %d queries", len(sq), len(pg))
	}
	found := 0
	for i := range catalogueQueries {
		if !slices.Equal(sq[i], pg[i]) {
			t.Errorf("%+v:\nsqlite   %v\npostgres %v", catalogueQueries[i], sq[i], pg[i])
		}
		if sq[i][0] != "0" {
			found++
		}
	}
	if found < len(catalogueQueries)-2 {
		t.Errorf("only %d of %d queries found anything: the corpus tests too little", found, len(catalogueQueries))
	}
}

// TestStemMatchesPostgres: catalogue.Stem, which SQLite's index uses, gives
// for every word of the sample catalogue the stem PostgreSQL's dutch_stem
// dictionary gives (and the same stop words).
func TestStemMatchesPostgres(t *testing.T) {
	s := testkit.Postgres(t)
	seen := map[string]bool{}
	for _, f := range sample.Generate(800, 500, 1) {
		for _, w := range catalogue.Words(f.Title + " " + f.Description) {
			seen[w] = true
		}
	}
	for _, w := range []string{"mogelijkheden", "maan", "kinderen", "gemeenten", "heden", "lijkt", "vriendelijkheid", "bereidingen", "zorgvuldigheid", "yoga", "mooie", "huizen", "baarden", "eindigen"} {
		seen[w] = true
	}
	words := make([]string, 0, len(seen))
	for w := range seen {
		words = append(words, w)
	}
	sort.Strings(words)
	rows, err := s.Read().QueryContext(context.Background(), `SELECT w, COALESCE(array_to_string(ts_lexize('dutch_stem', w), ' '), '') FROM unnest($1::text[]) w`, words)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var w, pg string
		if err := rows.Scan(&w, &pg); err != nil {
			t.Fatal(err)
		}
		n++
		want := pg
		got := ""
		if !catalogue.IsStopWord(w) {
			got = catalogue.Stem(w)
		}
		if got != want {
			t.Errorf("%q: Stem %q, PostgreSQL %q", w, got, want)
		}
	}
	if n < 200 {
		t.Errorf("compared %d words", n)
	}
}

// TestCatalogueImportRetiresAndIsIdempotent (issue 18): importing the same
// items twice changes nothing; an item missing from the next import is
// retired — not found, still readable by its id — and offered again when
// a later import holds it; a changed text is found by its new words.
func TestCatalogueImportRetiresAndIsIdempotent(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := &catservice.Service{Store: s, Clock: clock.NewFixed(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))}
		all := parseItems(t, sample.Generate(30, 20, 3))
		res, err := svc.Import(ctx, all)
		if err != nil || res.Added != 50 || res.Jobs != 30 || res.Courses != 20 {
			t.Fatalf("first import: %+v %v", res, err)
		}
		res, err = svc.Import(ctx, all)
		if err != nil || res.Unchanged != 50 || res.Added+res.Changed+res.Retired != 0 {
			t.Fatalf("second import: %+v %v", res, err)
		}
		gone := all[0]
		changed := all[1]
		changed.Title = "Zorgcoördinator dagbesteding"
		res, err = svc.Import(ctx, append([]catalogue.Item{changed}, all[2:]...))
		if err != nil || res.Retired != 1 || res.Changed != 1 || res.Unchanged != 48 {
			t.Fatalf("import without one: %+v %v", res, err)
		}
		it, err := svc.Item(ctx, gone.Kind, gone.ExternalID)
		if err != nil || it.Retired.IsZero() || it.Title != gone.Title {
			t.Fatalf("retired item: %+v %v", it, err)
		}
		list, _ := svc.Search(ctx, catalogue.Query{Kind: gone.Kind})
		for _, x := range list.Items {
			if x.ExternalID == gone.ExternalID {
				t.Errorf("a retired item is still listed")
			}
		}
		if list.Total != 29 {
			t.Errorf("listed %d functies; want 29", list.Total)
		}
		found, _ := svc.Search(ctx, catalogue.Query{Kind: catalogue.Job, Text: "zorgcoördinatoren"})
		if found.Total != 1 || found.Items[0].ExternalID != changed.ExternalID {
			t.Errorf("the changed title is not found by its new words: %+v", found)
		}
		res, err = svc.Import(ctx, all)
		if err != nil || res.Changed != 2 || res.Retired != 0 {
			t.Fatalf("import with it again: %+v %v", res, err)
		}
		if it, _ := svc.Item(ctx, gone.Kind, gone.ExternalID); !it.Retired.IsZero() {
			t.Errorf("the item is still retired after an import that holds it")
		}
		if _, err := svc.Item(ctx, catalogue.Job, "F-99999"); steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Errorf("unknown item: %v", err)
		}
	})
}
