package web

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// patterns records the patterns routes registers.
type patterns []string

func (p *patterns) Handle(pattern string, _ http.Handler) { *p = append(*p, pattern) }
func (p *patterns) HandleFunc(pattern string, _ func(http.ResponseWriter, *http.Request)) {
	*p = append(*p, pattern)
}

// apiDocHeading is an endpoint's heading in docs/api.md: ### `GET /api/v1/x[?q=…]`.
var apiDocHeading = regexp.MustCompile("(?m)^### `([A-Z]+ /api/[^`\\[?]*)[^`]*`$")

// TestAPIDocListsEveryRoute (issue 13, item 12): docs/api.md has a heading
// for every /api/ route the router serves, and no heading for a route it
// does not serve.
func TestAPIDocListsEveryRoute(t *testing.T) {
	var served patterns
	(&Server{}).routes(&served)
	var api []string
	for _, p := range served {
		if _, path, _ := strings.Cut(p, " "); strings.HasPrefix(path, "/api/") {
			api = append(api, p)
		}
	}
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range apiDocHeading.FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, m[1])
	}
	if len(api) < 10 || len(documented) == 0 {
		t.Fatalf("%d /api/ routes and %d documented: the test reads nothing", len(api), len(documented))
	}
	for _, p := range api {
		if !slices.Contains(documented, p) {
			t.Errorf("docs/api.md has no heading ### `%s`", p)
		}
	}
	for _, d := range documented {
		if !slices.Contains(api, d) {
			t.Errorf("docs/api.md documents %s, which the router does not serve", d)
		}
	}
}
