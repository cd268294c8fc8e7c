package desk_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"steward/audit"
	"steward/internal/testkit"
	"steward/policy"
	"steward/rights"
	"steward/rights/desk"
)

// docShape is the shape of a JSON value as docs/export-schema.md writes
// it: an object's keys with their values' shapes (nil: a plain value),
// arrays taken as their elements, or a reference to a shape the page
// defines in a table of its own ("Category", "item").
type docShape struct {
	keys []string
	sub  map[string]*docShape
	ref  string
}

// shapeParser reads the page's JSON sketches: `{ "a", "b": { "nl", "en" } }`,
// `[{ "id", … }]`, `[ Category, … ]`, `"kind": "x|y"`.
type shapeParser struct {
	toks []string
	i    int
}

var shapeToken = regexp.MustCompile(`"[^"]*"|[{}\[\]:,]|[\p{L}_.…]+`)

func parseShape(text string) *docShape {
	p := &shapeParser{toks: shapeToken.FindAllString(text, -1)}
	return p.value()
}

func (p *shapeParser) next() string {
	if p.i >= len(p.toks) {
		return ""
	}
	p.i++
	return p.toks[p.i-1]
}

func (p *shapeParser) peek() string {
	if p.i >= len(p.toks) {
		return ""
	}
	return p.toks[p.i]
}

func (p *shapeParser) value() *docShape {
	switch t := p.next(); {
	case t == "{":
		sh := &docShape{sub: map[string]*docShape{}}
		for t := p.next(); t != "}" && t != ""; t = p.next() {
			if !strings.HasPrefix(t, `"`) {
				continue // a comma or an ellipsis
			}
			k := strings.Trim(t, `"`)
			sh.keys = append(sh.keys, k)
			if p.peek() == ":" {
				p.next()
				sh.sub[k] = p.value()
			}
		}
		return sh
	case t == "[":
		var elem *docShape
		for p.peek() != "]" && p.peek() != "" {
			if p.peek() == "," {
				p.next()
				continue
			}
			if v := p.value(); elem == nil {
				elem = v
			}
		}
		p.next()
		return elem
	case strings.HasPrefix(t, `"`):
		return nil
	case t != "" && unicode.IsLetter([]rune(t)[0]):
		return &docShape{ref: t}
	}
	return nil
}

// exportDoc is what docs/export-schema.md says of data.json.
type exportDoc struct {
	root  *docShape
	named map[string]*docShape // the tables: "Category", "item"
	times []string             // keys whose values are RFC 3339 instants in UTC
	days  []string             // keys whose values are midnight UTC
}

var (
	docTableName = regexp.MustCompile(`^An? \*\*(\w+)\*\*`)
	docTableRow  = regexp.MustCompile("^\\| `(\\w+)` \\| (.*) \\|$")
	docFragment  = regexp.MustCompile("`(\\[? ?\\{[^`]*\\}\\]?|\\[ \\w+, … \\])`")
	docBackticks = regexp.MustCompile("`(\\w+)`")
)

func readExportDoc(t *testing.T) *exportDoc {
	t.Helper()
	raw, err := os.ReadFile("../../docs/export-schema.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	doc := &exportDoc{named: map[string]*docShape{}}
	_, block, ok := strings.Cut(text, "## `data.json`\n\n```json\n")
	if !ok {
		t.Fatal("docs/export-schema.md has no ```json block under ## `data.json`")
	}
	block, _, _ = strings.Cut(block, "```")
	doc.root = parseShape(block)
	var table *docShape
	for _, line := range strings.Split(text, "\n") {
		if m := docTableName.FindStringSubmatch(line); m != nil {
			table = &docShape{sub: map[string]*docShape{}}
			doc.named[m[1]] = table
			continue
		}
		if table != nil && len(table.keys) > 0 && !strings.HasPrefix(line, "|") {
			table = nil // the table ended
		}
		if m := docTableRow.FindStringSubmatch(line); m != nil && table != nil {
			table.keys = append(table.keys, m[1])
			if f := docFragment.FindStringSubmatch(m[2]); f != nil {
				table.sub[m[1]] = parseShape(f[1])
			}
			continue
		}
		if strings.HasPrefix(line, "Times — ") {
			for _, m := range docBackticks.FindAllStringSubmatch(strings.SplitN(line+" —", " — ", 3)[1], -1) {
				doc.times = append(doc.times, m[1])
			}
		}
		if strings.HasPrefix(line, "Days — ") {
			for _, m := range docBackticks.FindAllStringSubmatch(strings.SplitN(line, " — ", 3)[1], -1) {
				doc.days = append(doc.days, m[1])
			}
		}
	}
	if doc.root == nil || doc.named["Category"] == nil || doc.named["item"] == nil || len(doc.times) == 0 || len(doc.days) == 0 {
		t.Fatalf("docs/export-schema.md: cannot read the schema (root %v, tables %v, times %v, days %v)", doc.root != nil, doc.named, doc.times, doc.days)
	}
	return doc
}

// exportChecker walks a data.json against the page.
type exportChecker struct {
	t    *testing.T
	doc  *exportDoc
	seen map[string]bool // path.key found in an export
}

func (c *exportChecker) resolve(sh *docShape) *docShape {
	if sh != nil && sh.ref != "" {
		return c.doc.named[sh.ref]
	}
	return sh
}

// check compares value v at path with shape sh; fields are the field ids
// of the category v belongs to, for its items' values.
func (c *exportChecker) check(path string, v any, sh *docShape, fields []string) {
	sh = c.resolve(sh)
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			c.check(path, e, sh, fields)
		}
	case map[string]any:
		if sh == nil {
			c.t.Errorf("%s: an object the page gives no keys for: %v", path, v)
			return
		}
		if ff, ok := v["fields"].([]any); ok && path == ".categories" {
			fields = nil
			for _, f := range ff {
				if m, ok := f.(map[string]any); ok {
					fields = append(fields, m["id"].(string))
				}
			}
		}
		for k, e := range v {
			kp := path + "." + k
			c.seen[kp] = true
			if !slices.Contains(sh.keys, k) {
				c.t.Errorf("%s: key %q is not documented (documented: %v)", path, k, sh.keys)
				continue
			}
			if k == "values" && path == ".categories.items" {
				for id, val := range e.(map[string]any) {
					if _, ok := val.(string); !ok || !slices.Contains(fields, id) {
						c.t.Errorf("%s: value %q is not text of one of the category's fields %v", kp, id, fields)
					}
				}
				continue
			}
			c.check(kp, e, sh.sub[k], fields)
			c.when(kp, k, e)
		}
	default:
		if sh != nil {
			c.t.Errorf("%s: %v where the page documents an object of %v", path, v, sh.keys)
		}
	}
}

// when checks a time or day as the page says it is written.
func (c *exportChecker) when(path, key string, v any) {
	isTime, isDay := slices.Contains(c.doc.times, key), slices.Contains(c.doc.days, key)
	if !isTime && !isDay {
		return
	}
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	switch {
	case err != nil || !strings.HasSuffix(s, "Z"):
		c.t.Errorf("%s: %q is not an RFC 3339 instant in UTC", path, s)
	case isDay && !at.Equal(at.Truncate(24*time.Hour)):
		c.t.Errorf("%s: %q is a day and not written as midnight UTC", path, s)
	}
}

// documented lists every path.key the page documents.
func (c *exportChecker) documented(path string, sh *docShape, out map[string]bool, depth int) {
	sh = c.resolve(sh)
	if sh == nil || depth > 6 {
		return
	}
	for _, k := range sh.keys {
		out[path+"."+k] = true
		c.documented(path+"."+k, sh.sub[k], out, depth+1)
	}
}

// TestExportSchemaMatchesTheDoc (issue 13, item 12): a real export of a
// person with every kind of data — records of every kind, consents given
// and withdrawn, requests received, extended and completed, a staff view,
// a disclosure, a restriction and (Zorginspirator) an objection — under
// both policies, checked against docs/export-schema.md: every key in
// data.json is documented with its shape (language texts as {"nl","en"}),
// every documented key occurs, times and days are written as the page
// says, and values are keyed by their category's field ids.
func TestExportSchemaMatchesTheDoc(t *testing.T) {
	doc := readExportDoc(t)
	c := &exportChecker{t: t, doc: doc, seen: map[string]bool{}}
	for _, site := range []string{"ivm", "zorginspirator"} {
		s := testkit.SQLite(t)
		ctx := context.Background()
		f := newFixture(t, s, site, "2026-03-10")
		f.populate(t)
		ext := f.add(t, rights.TypeErasure, "2026-03-02")
		if _, err := f.d.VerifyManually(ctx, staff, ext.ID, "passport seen at the desk"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.d.Extend(ctx, staff, ext.ID, policy.MustDuration("P2M"), "records in two systems"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.d.Refuse(ctx, staff, ext.ID, "the account is needed for an open order"); err != nil {
			t.Fatal(err)
		}
		me := audit.SubjectActor(audit.Pseudonym(f.person.Pseudonym))
		if err := f.d.Restrict(ctx, f.person.ID, "my age is wrong", me); err != nil {
			t.Fatal(err)
		}
		if site == "zorginspirator" {
			if err := f.d.Object(ctx, f.person.ID, "usability", me); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := f.d.Export(ctx, &buf, f.person.ID, me, desk.CollectOptions{}); err != nil {
			t.Fatal(err)
		}
		z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		var data any
		for _, zf := range z.File {
			if zf.Name == rights.ExportDataFile {
				r, _ := zf.Open()
				raw, _ := io.ReadAll(r)
				r.Close()
				if err := json.Unmarshal(raw, &data); err != nil {
					t.Fatalf("%s: data.json: %v", site, err)
				}
			}
		}
		if data == nil {
			t.Fatalf("%s: the export has no data.json", site)
		}
		c.check("", data, doc.root, nil)
	}
	want := map[string]bool{}
	c.documented("", doc.root, want, 0)
	var never []string
	for k := range want {
		if !c.seen[k] {
			never = append(never, k)
		}
	}
	sort.Strings(never)
	if len(never) > 0 {
		t.Errorf("documented but in neither export: %v", never)
	}
	if len(want) < 60 {
		t.Errorf("only %d documented keys read from the page: the parser misses some", len(want))
	}
}
