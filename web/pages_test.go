package web

import (
	"bytes"
	"html/template"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"steward/message"
	"steward/policy"
)

// TestPagesRenderAsTheirOwnSets: every page has its entry in the one
// shared set, and a page from it renders byte for byte as it did from a
// set of its own (the layout, the partials and the page parsed together),
// for text that needs escaping in the layout's and the page's own parts.
func TestPagesRenderAsTheirOwnSets(t *testing.T) {
	pg, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(templateFS, "templates/*.html")
	partials, _ := fs.Glob(templateFS, "templates/_*.html")
	n := 0
	for _, f := range files {
		base := path.Base(f)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		n++
		if pg.set.Lookup("page:"+strings.TrimSuffix(base, ".html")) == nil {
			t.Errorf("%s: no entry in the shared set", base)
		}
	}
	if n < 50 {
		t.Fatalf("%d pages found", n)
	}
	raw, err := os.ReadFile("../policies/ivm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse("ivm.yaml", raw)
	if err != nil {
		t.Fatal(err)
	}
	tricky := `<script>alert("x")</script> & 'q'`
	for _, c := range []struct {
		page string
		data any
	}{
		{"error", map[string]string{"Message": tricky}},
		{"message", map[string]any{"Text": tricky, "Next": map[string]string{"Href": "/x?a=1&b=" + tricky, "Key": "error.back_home"}}},
	} {
		for _, lang := range []string{"nl", "en"} {
			p := &Page{Lang: lang, AltLang: "x", AltURL: "/?lang=" + tricky, Title: tricky, Site: pol, Data: c.data,
				Nav: &navView{Items: []navItem{{Href: "/a?b=" + tricky, Key: "nav.login"}}, CSRF: tricky},
				cat: message.Default(), zone: time.UTC}
			own := template.Must(template.New("layout.html").ParseFS(templateFS,
				append(append([]string{"templates/layout.html"}, partials...), "templates/"+c.page+".html")...))
			var want, got bytes.Buffer
			if err := own.Execute(&want, p); err != nil {
				t.Fatal(err)
			}
			if err := pg.set.ExecuteTemplate(&got, "page:"+c.page, p); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%s (%s): shared set renders\n%s\nits own set\n%s", c.page, lang, got.String(), want.String())
			}
			if strings.Contains(got.String(), "<script>alert") {
				t.Errorf("%s (%s): unescaped", c.page, lang)
			}
		}
	}
}
