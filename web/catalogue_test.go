package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"steward/catalogue"
	catservice "steward/catalogue/service"
	"steward/internal/testkit"
	"steward/store"
)

// catalogueItems is a small catalogue of Zorginspirator's kind: three
// functies and two opleidingen.
const catalogueItems = `[
{"id":"F-1","kind":"job","title":"Verpleegkundige kinderafdeling in Utrecht","description":"Als verpleegkundige verpleeg je kinderen en begeleid je hun ouders.","sector":"ziekenhuis","level":"hbo","region":"utrecht","hours":32},
{"id":"F-2","kind":"job","title":"Verzorgende IG dementiezorg in Assen","description":"Je helpt bewoners met dementie bij de dagelijkse verzorging.","sector":"ouderenzorg","level":"mbo3","region":"drenthe","hours":24},
{"id":"F-3","kind":"job","title":"Doktersassistent in Maastricht","description":"Je staat patiënten te woord en maakt afspraken.","sector":"huisartsenzorg","level":"mbo4","region":"limburg","hours":28},
{"id":"O-1","kind":"course","title":"Hbo-Verpleegkunde (deeltijd) in Utrecht","description":"Word verpleegkundige op hbo-niveau naast je werk.","sector":"ziekenhuis","level":"hbo","region":"utrecht","hours":16},
{"id":"O-2","kind":"course","title":"Cursus omgaan met dementie in Assen","description":"Leer gedrag bij dementie begrijpen.","sector":"ouderenzorg","level":"mbo3","region":"drenthe","hours":4}
]`

// importCatalogue imports data (JSON) as 'steward catalogue import' does.
func importCatalogue(t testing.TB, st *site, data string) {
	t.Helper()
	items, err := catalogue.ParseFile("catalogue.json", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&catservice.Service{Store: st.store, Clock: st.clock}).Import(context.Background(), items); err != nil {
		t.Fatal(err)
	}
}

var catalogueResult = regexp.MustCompile(`<h3 lang="nl"><a href="([^"]+)">`)

// TestCatalogueBrowseAndSearch (issue 18): on Zorginspirator a visitor
// without an account finds /functies and /opleidingen from the home page
// and the menu, searches with words in another form than the texts (Dutch
// stemming) and filters, sees sector, level, region and hours in words in
// nl and en, opens a detail page, and still reads an item a later import
// retired (which no list shows). A wrong filter is a 400; IVM, whose
// policy has no catalogue, answers 404 for every catalogue page. The
// search words appear in no log line. Both stores.
func TestCatalogueBrowseAndSearch(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "zorginspirator")
		importCatalogue(t, st, catalogueItems)
		b := st.browser()
		_, home := b.get("/")
		for _, link := range []string{`href="/functies"`, `href="/opleidingen"`} {
			if !strings.Contains(home, link) {
				t.Errorf("the home page has no %s", link)
			}
		}
		resp, body := b.get("/functies")
		if resp.StatusCode != 200 || len(catalogueResult.FindAllString(body, -1)) != 3 {
			t.Fatalf("/functies: %d, %d results\n%s", resp.StatusCode, len(catalogueResult.FindAllString(body, -1)), body)
		}
		for _, want := range []string{"Ziekenhuiszorg", "hbo", "Utrecht", "32 uur per week", "mbo niveau 3", "Gevonden: 3"} {
			if !strings.Contains(body, want) {
				t.Errorf("/functies does not say %q", want)
			}
		}
		for _, code := range []string{">ziekenhuis<", ">mbo3<", "noord_holland<"} {
			if strings.Contains(body, code) {
				t.Errorf("/functies shows the code %s", code)
			}
		}
		search := func(path string, q url.Values) []string {
			t.Helper()
			resp, body := b.get(path + "?" + q.Encode())
			if resp.StatusCode != 200 {
				t.Fatalf("%s?%s: %d", path, q.Encode(), resp.StatusCode)
			}
			var out []string
			for _, m := range catalogueResult.FindAllStringSubmatch(body, -1) {
				out = append(out, m[1])
			}
			return out
		}
		if got := search("/functies", url.Values{"q": {"verpleegkundigen"}}); strings.Join(got, " ") != "/functies/F-1" {
			t.Errorf("verpleegkundigen: %v", got)
		}
		if got := search("/functies", url.Values{"q": {"de verzorging"}, "region": {"drenthe"}}); strings.Join(got, " ") != "/functies/F-2" {
			t.Errorf("verzorging in Drenthe: %v", got)
		}
		if got := search("/functies", url.Values{"level": {"mbo4"}}); strings.Join(got, " ") != "/functies/F-3" {
			t.Errorf("mbo4: %v", got)
		}
		if got := search("/opleidingen", url.Values{"q": {"verpleegkundigen"}, "lang": {"en"}}); strings.Join(got, " ") != "/opleidingen/O-1?lang=en" {
			t.Errorf("courses in English: %v", got)
		}
		if got := search("/functies", url.Values{"q": {"bakker"}}); len(got) != 0 {
			t.Errorf("bakker: %v", got)
		}
		_, en := b.get("/opleidingen/O-2?lang=en")
		for _, want := range []string{"Elderly care", "Secondary vocational (MBO) level 3", "4 hours a week", "Back to all courses", `lang="nl"`} {
			if !strings.Contains(en, want) {
				t.Errorf("/opleidingen/O-2 in English does not say %q", want)
			}
		}
		if resp, _ := b.get("/functies?sector=bakkerij"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("an unknown sector: %d", resp.StatusCode)
		}
		if resp, _ := b.get("/functies?page=0"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("page 0: %d", resp.StatusCode)
		}
		if resp, _ := b.get("/functies/F-404"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown functie: %d", resp.StatusCode)
		}
		if resp, _ := b.get("/opleidingen/F-1"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a functie as an opleiding: %d", resp.StatusCode)
		}
		// A later import without F-3 retires it: no list shows it, its page
		// still reads and says it is no longer offered.
		importCatalogue(t, st, strings.Replace(catalogueItems, `{"id":"F-3","kind":"job","title":"Doktersassistent in Maastricht","description":"Je staat patiënten te woord en maakt afspraken.","sector":"huisartsenzorg","level":"mbo4","region":"limburg","hours":28},`, "", 1))
		if got := search("/functies", url.Values{}); len(got) != 2 {
			t.Errorf("after retiring one: %v", got)
		}
		resp, body = b.get("/functies/F-3")
		if resp.StatusCode != 200 || !strings.Contains(body, "Dit wordt niet meer aangeboden") || !strings.Contains(body, "Doktersassistent in Maastricht") {
			t.Errorf("a retired functie: %d\n%s", resp.StatusCode, body)
		}
		if strings.Contains(st.log.String(), "verpleegkundigen") || strings.Contains(st.log.String(), "verzorging") {
			t.Errorf("the log holds search words:\n%s", st.log.String())
		}
	})
	ivm := newSite(t, testkit.SQLite(t), "ivm")
	b := ivm.browser()
	for _, p := range []string{"/functies", "/opleidingen", "/functies/F-1", "/opleidingen/O-1"} {
		if resp, _ := b.get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("IVM %s: %d; want 404", p, resp.StatusCode)
		}
	}
	if _, home := b.get("/"); strings.Contains(home, "/functies") {
		t.Errorf("IVM's home page links to the catalogue")
	}
}

// TestCataloguePages: 25 functies make two pages; the next and previous
// links keep the search and the language.
func TestCataloguePages(t *testing.T) {
	st := newSite(t, testkit.SQLite(t), "zorginspirator")
	var items []string
	for i := range 25 {
		items = append(items, `{"id":"F-`+string(rune('a'+i))+`","kind":"job","title":"Verpleegkundige `+string(rune('a'+i))+`","description":"","sector":"ziekenhuis","level":"hbo","region":"utrecht","hours":32}`)
	}
	importCatalogue(t, st, "["+strings.Join(items, ",")+"]")
	b := st.browser()
	_, body := b.get("/functies?q=verpleegkundige&lang=en")
	if n := len(catalogueResult.FindAllString(body, -1)); n != 20 || !strings.Contains(body, "Page 1 of 2") {
		t.Fatalf("page 1: %d results\n%s", n, body)
	}
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next link")
	}
	_, body = b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	if n := len(catalogueResult.FindAllString(body, -1)); n != 5 || !strings.Contains(body, "Page 2 of 2") || !strings.Contains(body, `rel="prev"`) {
		t.Errorf("page 2 (%s): %d results", next[1], n)
	}
}
