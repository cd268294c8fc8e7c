package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/message"
	"steward/policy"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds every page in one template set: the layout's two halves
// and the shared partials (_*.html) parsed once, and each page's
// "content" under its own name, "content:NAME", wrapped in the entry
// template "page:NAME" (head, content, foot).
//
// One set rather than one per page (the layout and partials parsed again
// for each of some fifty pages): those copies were 6.9 MB in 130,000
// objects that the garbage collector marked at every cycle, most of its
// work in a server whose heap is otherwise small, and a cycle comes every
// few logins, each of which allocates a 19 MiB hash (issue 15).
// html/template escapes each template once per context it is called in,
// so the shared halves and partials are escaped once for all pages.
type pages struct {
	set *template.Template
}

// contentMark is where the layout shows the page's content; the layout
// is parsed as the halves before and after it.
const contentMark = `{{template "content" .}}`

func parsePages() (*pages, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	layout, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	head, foot, ok := strings.Cut(string(layout), contentMark)
	if !ok || strings.Contains(foot, contentMark) {
		return nil, fmt.Errorf("web: layout.html must show %s exactly once", contentMark)
	}
	set, err := template.New("layout.html").Parse(`{{define "layout_head"}}` + head + `{{end}}{{define "layout_foot"}}` + foot + `{{end}}`)
	if err != nil {
		return nil, fmt.Errorf("web: template layout.html: %w", err)
	}
	if _, err := set.ParseFS(templateFS, partials...); err != nil {
		return nil, fmt.Errorf("web: partials: %w", err)
	}
	for _, f := range files {
		base := path.Base(f)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		name := strings.TrimSuffix(base, ".html")
		// The page's own file defines "content"; parsed alone, its tree is
		// added to the shared set under the page's name. The set it was
		// parsed in is never executed, so the tree is escaped only in the
		// shared set.
		own, err := template.New(base).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", base, err)
		}
		content := own.Lookup("content")
		if content == nil {
			return nil, fmt.Errorf("web: template %s defines no content", base)
		}
		if _, err := set.AddParseTree("content:"+name, content.Tree); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", base, err)
		}
		if _, err := set.New("page:" + name).Parse(`{{template "layout_head" .}}{{template "content:` + name + `" .}}{{template "layout_foot" .}}`); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", base, err)
		}
	}
	return &pages{set: set}, nil
}

// Page is what every template gets: the language, the texts, the site and
// the page's own data.
type Page struct {
	Lang    string
	AltLang string
	// AltURL is the same page in the other language.
	AltURL string
	Title  string
	Site   *policy.Policy
	Data   any
	// Cookies is the cookie notice and the scripts the visitor's choice
	// allows (issue 6, R11, Z5).
	Cookies *cookieView
	// Nav is the header's menu for whoever looks at the page.
	Nav *navView
	// Notice is the banner about a published change of the privacy
	// statement; nil when there is none to show (issue 20).
	Notice *noticeView
	cat    *message.Catalogue
	zone   *time.Location
}

// T returns the catalogue text for key in the page's language.
func (p *Page) T(key string) string { return p.cat.Text(p.Lang, key) }

// Tr returns a policy text in the page's language.
func (p *Page) Tr(t policy.Text) string { return t.In(p.Lang) }

// Tf returns the catalogue text for key in the page's language with its
// {name} arguments filled from name/value pairs.
func (p *Page) Tf(key string, args ...any) string { return p.cat.Format(p.Lang, key, args...) }

// page builds the Page for a request in the given language.
func (s *Server) page(r *http.Request, lang, titleKey string, data any) *Page {
	alt := policy.Languages[0]
	if lang == alt {
		alt = policy.Languages[1]
	}
	p := &Page{Lang: lang, AltLang: alt, AltURL: withLang(r.URL, alt), Site: s.cfg.Policy, Data: data, cat: s.catalog, zone: time.UTC}
	if d := s.desk(); d != nil {
		p.zone = d.Location()
	}
	if titleKey != "" {
		p.Title = p.T(titleKey)
	}
	p.Nav = s.nav(s.viewer(r), lang)
	if s.consent != nil {
		p.Cookies = s.cookieView(r, lang)
	}
	p.Notice = s.noticeView(r, lang)
	return p
}

// render executes a page template into a buffer first, so a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	t := s.pages.set.Lookup("page:" + name)
	if t == nil {
		s.cfg.Log.Error("render: no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		s.cfg.Log.Error("render failed", "page", name, "request_id", RequestID(r.Context()), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// httpStatus is the one mapping from application error codes to HTTP
// statuses.
func httpStatus(code string) int {
	switch code {
	case steward.EINVALID:
		return http.StatusBadRequest
	case steward.ENOTFOUND:
		return http.StatusNotFound
	case steward.ECONFLICT:
		return http.StatusConflict
	case steward.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case steward.EFORBIDDEN:
		return http.StatusForbidden
	case steward.ETOOMANY:
		return http.StatusTooManyRequests
	case steward.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case steward.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusInternalServerError
	}
}

// apiProblem is one error of an API answer.
type apiProblem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// apiError is the JSON body of every API error: the error, and when a form
// had several problems, all of them under "errors".
type apiError struct {
	Error  apiProblem   `json:"error"`
	Errors []apiProblem `json:"errors,omitempty"`
}

// fail is the one error responder: it answers err with the status its code
// maps to (httpStatus), its message rendered from the catalogue in the
// request's language, as JSON under /api/ and as an error page elsewhere.
// Internal errors are logged with the request id; their details never
// reach the response.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := steward.ErrorCode(err)
	status := httpStatus(code)
	if status == http.StatusInternalServerError {
		s.cfg.Log.Error("request failed", "request_id", RequestID(r.Context()), "path", r.URL.Path, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		// Busy, not broken (account.ErrHashBusy): a client may try again
		// in a moment; the answer came at once, without waiting.
		w.Header().Set("Retry-After", "2")
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.failAPI(w, r, status, err)
		return
	}
	lang := mustLang(r)
	title := "error.title"
	if status == http.StatusNotFound {
		// A page or thing that is not there is not a failure (issue 13).
		title = "error.not_found_title"
	}
	p := s.page(r, lang, title, struct {
		Status  int
		Message string
	}{status, s.catalog.Error(lang, err)})
	s.render(w, r, status, "error", p)
}

// failAPI writes the JSON error body. API clients are programs whose
// documentation is English: the messages are English unless the request
// asks for a language with ?lang=.
func (s *Server) failAPI(w http.ResponseWriter, r *http.Request, status int, err error) {
	lang := "en"
	if l, lerr := langOf(r); lerr == nil && r.URL.Query().Has("lang") {
		lang = l
	}
	problem := func(err error) apiProblem {
		p := apiProblem{Code: steward.ErrorCode(err), Message: s.catalog.Error(lang, err)}
		var e *steward.Error
		if errors.As(err, &e) {
			p.Field = e.Field
		}
		return p
	}
	body := apiError{Error: problem(err)}
	if fe := account.AsFieldErrors(err); len(fe) > 1 {
		for _, e := range fe {
			body.Errors = append(body.Errors, problem(e))
		}
		body.Error = body.Errors[0]
	}
	writeJSON(w, status, body)
}

func (s *Server) staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Files only: a directory is 404, never a listing of what is there.
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if st, err := fs.Stat(sub, strings.TrimSuffix(name, "/")); name == "" || err != nil || st.IsDir() {
			s.notFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
