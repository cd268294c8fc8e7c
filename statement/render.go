package statement

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"

	"steward/policy"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Stylesheet is the statement's one small stylesheet. Page inlines it; a
// site that wraps Body in its own layout serves it as a file instead, as
// a Content-Security-Policy without 'unsafe-inline' requires.
//
//go:embed statement.css
var Stylesheet string

var (
	htmlTemplates = htmltemplate.Must(htmltemplate.New("statement").Funcs(htmlFuncs).ParseFS(templateFS, "templates/*.html.tmpl"))
	mdTemplates   = texttemplate.Must(texttemplate.New("statement").Funcs(mdFuncs).ParseFS(templateFS, "templates/*.md.tmpl"))
)

var htmlFuncs = htmltemplate.FuncMap{
	"partyData": func(s *Statement, p Processor) partyRow { return partyRow{S: s, P: p} },
	// tel makes a tel: link from a phone number as written ("030 266 9499");
	// only digits and a leading + survive, so the URL is safe.
	"tel": func(phone string) htmltemplate.URL {
		var b strings.Builder
		for i, r := range phone {
			if r >= '0' && r <= '9' || r == '+' && i == 0 {
				b.WriteRune(r)
			}
		}
		return htmltemplate.URL("tel:" + b.String())
	},
	// css marks the package's own embedded stylesheet as trusted.
	"css": func(s string) htmltemplate.CSS { return htmltemplate.CSS(s) },
	"parties": func(s *Statement, id string, list []Processor, dataKey string) partyTable {
		return partyTable{S: s, ID: id, List: list, DataKey: dataKey}
	},
}

// partyRow is what the "party-data" template gets: one party and the
// statement, for the catalogue.
type partyRow struct {
	S *Statement
	P Processor
}

// partyTable is what the "parties" template gets: one table of processors
// or recipients of one kind.
type partyTable struct {
	S       *Statement
	ID      string
	List    []Processor
	DataKey string
}

var mdFuncs = texttemplate.FuncMap{
	"partyData": func(s *Statement, p Processor) partyRow { return partyRow{S: s, P: p} },
	"md":        mdEscape,
	"cell":      mdCell,
	"parties": func(s *Statement, id string, list []Processor, dataKey string) partyTable {
		return partyTable{S: s, ID: id, List: list, DataKey: dataKey}
	},
}

// RenderHTML writes the statement of p in lang ("" is Dutch) as a complete,
// standalone HTML document with the stylesheet inlined: what 'steward
// policy render --format html' prints.
func RenderHTML(w io.Writer, p *policy.Policy, lang string) error {
	return render(w, p, lang, func(buf *bytes.Buffer, s *Statement) error {
		return htmlTemplates.ExecuteTemplate(buf, "page", pageData{Statement: s, CSS: Stylesheet})
	})
}

// RenderBody writes only the statement's <article>, for a site that shows
// it inside its own layout. Its headings start at <h1>.
func RenderBody(w io.Writer, p *policy.Policy, lang string) error {
	return render(w, p, lang, func(buf *bytes.Buffer, s *Statement) error {
		return htmlTemplates.ExecuteTemplate(buf, "body", s)
	})
}

// Body returns the statement's <article> as trusted HTML for a page
// template, together with the statement (for the page title).
func Body(p *policy.Policy, lang string) (htmltemplate.HTML, *Statement, error) {
	s, err := New(p, lang)
	if err != nil {
		return "", nil, err
	}
	var buf bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&buf, "body", s); err != nil {
		return "", nil, fmt.Errorf("statement: render body: %w", err)
	}
	// The template escaped every value from the policy: the result is safe.
	return htmltemplate.HTML(buf.String()), s, nil
}

// RenderMarkdown writes the statement of p in lang ("" is Dutch) as
// CommonMark, for review in a pull request or publication elsewhere.
func RenderMarkdown(w io.Writer, p *policy.Policy, lang string) error {
	return render(w, p, lang, func(buf *bytes.Buffer, s *Statement) error {
		return mdTemplates.ExecuteTemplate(buf, "markdown", s)
	})
}

// pageData is what the standalone page template gets.
type pageData struct {
	*Statement
	CSS string
}

// render builds the statement and executes a template into a buffer first,
// so a failing template never leaves half a statement in w.
func render(w io.Writer, p *policy.Policy, lang string, exec func(*bytes.Buffer, *Statement) error) error {
	s, err := New(p, lang)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := exec(&buf, s); err != nil {
		return fmt.Errorf("statement: render: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("statement: write: %w", err)
	}
	return nil
}

// mdReplacer escapes the characters that would turn policy text into
// Markdown markup.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `#`, `\#`, `|`, `\|`,
)

// mdEscape escapes policy text for Markdown.
func mdEscape(s string) string { return mdReplacer.Replace(s) }

// mdCell escapes text for a table cell, where a line break ends the row.
func mdCell(s string) string {
	return strings.Join(strings.Fields(mdEscape(s)), " ")
}
