package web

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/policy"
	"steward/rights"
)

// TestTermsCoverEveryCode: every coded value "My data" and the staff
// request pages show — request types, statuses, channels, steps and
// verification methods, consent channels, legal bases, deletion actions —
// has a text in every language, so no page shows a raw
// id or a bracketed key (G1).
func TestTermsCoverEveryCode(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string][]any{}
	for _, v := range rights.Types {
		groups["request_type"] = append(groups["request_type"], v)
	}
	for _, v := range []rights.Status{rights.StatusReceived, rights.StatusVerified, rights.StatusCompleted, rights.StatusRefused} {
		groups["request_status"] = append(groups["request_status"], v)
	}
	for _, v := range rights.Channels {
		groups["request_channel"] = append(groups["request_channel"], v)
	}
	for _, v := range []rights.StepKind{rights.StepReceived, rights.StepVerifyAsked, rights.StepVerified, rights.StepExtended,
		rights.StepExtendMailed, rights.StepNote, rights.StepCompleted, rights.StepRefused} {
		groups["request_step"] = append(groups["request_step"], v)
	}
	for _, v := range []rights.Verification{rights.VerifySession, rights.VerifyEmailLink, rights.VerifyManual} {
		groups["request_verification"] = append(groups["request_verification"], v)
	}
	for _, v := range policy.Channels {
		groups["consent_channel"] = append(groups["consent_channel"], v)
	}
	for _, v := range policy.LegalBases {
		groups["legal_basis"] = append(groups["legal_basis"], v)
	}
	for _, v := range []policy.Action{policy.ActionDelete, policy.ActionAnonymise} {
		groups["deletion_action"] = append(groups["deletion_action"], v)
	}
	for _, lang := range policy.Languages {
		p := &Page{Lang: lang, cat: cat}
		for g, ids := range groups {
			for _, id := range ids {
				if s := p.Term(g, id); s == "" || s[0] == '[' {
					t.Errorf("%s: no text for %s %s", lang, g, fmt.Sprint(id))
				}
			}
		}
	}
}

// requirementID is a requirement id such as (R4) or (Z9): the reviewers'
// shorthand, never a text for the person reading a page.
var requirementID = regexp.MustCompile(`\([RZG][0-9]+\)`)

// TestEveryMessageHasTextInEveryLanguage reads the message literals of
// web/*.go and account/*.go that can reach a page — steward.FieldError,
// steward.Errorf (not internal errors, whose text is never shown),
// s.fail, s.msg and plainMsg — and checks that the catalogue translates
// each in every language, the way Server.msg looks it up (numbers as {n}),
// and that no text a person reads carries a requirement id. A message
// whose text is built at run time (%s, %q, %v) cannot have a key and is
// not checked; the JSON API (api_*.go, the bearer header) answers
// programs in English.
func TestEveryMessageHasTextInEveryLanguage(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	apiOnly := map[string]bool{"Authorization must be 'Bearer TOKEN'": true}
	argAt := map[string]int{"FieldError": 1, "Errorf": 1, "fail": 3, "msg": 1, "plainMsg": 1}
	fset := token.NewFileSet()
	seen := 0
	for _, pattern := range []string{"*.go", "../account/*.go"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			base := filepath.Base(file)
			if strings.HasSuffix(base, "_test.go") || strings.HasPrefix(base, "api_") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var name string
				switch fn := call.Fun.(type) {
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
				}
				i, ok := argAt[name]
				if !ok || len(call.Args) <= i {
					return true
				}
				lit, ok := call.Args[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				if sel, ok := call.Args[0].(*ast.SelectorExpr); ok && name == "Errorf" && sel.Sel.Name == "EINTERNAL" {
					return true
				}
				text, err := strconv.Unquote(lit.Value)
				if err != nil || apiOnly[text] {
					return true
				}
				text = strings.ReplaceAll(text, "%d", "7")
				if strings.Contains(text, "%") {
					return true
				}
				seen++
				key := "msg." + number.ReplaceAllString(text, "{n}")
				for _, lang := range policy.Languages {
					got, ok := cat[lang][key]
					if !ok {
						t.Errorf("%s: %q has no text in %s.json (key %q)", fset.Position(lit.Pos()), text, lang, key)
						continue
					}
					if requirementID.MatchString(cat.msg(lang, text)) {
						t.Errorf("%s: %q shows a requirement id in %s: %q", fset.Position(lit.Pos()), text, lang, got)
					}
				}
				return true
			})
		}
	}
	if seen < 30 {
		t.Fatalf("found only %d messages: the scan no longer sees the calls", seen)
	}
	for _, lang := range policy.Languages {
		for key, text := range cat[lang] {
			if requirementID.MatchString(text) {
				t.Errorf("%s.json: %s shows a requirement id: %q", lang, key, text)
			}
		}
	}
}

// TestBodyLimitAnswersInThePageLanguage: the plain-text 413 of an
// oversize body is in the page's language, Dutch by default.
func TestBodyLimitAnswersInThePageLanguage(t *testing.T) {
	h := withBodyLimit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the handler ran for an oversize body")
	}))
	for target, want := range map[string]string{"/signup": "Het verzoek is te groot.", "/signup?lang=en": "The request is too large."} {
		req := httptest.NewRequest("POST", target, strings.NewReader(strings.Repeat("x", maxBody+1)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge || strings.TrimSpace(rec.Body.String()) != want {
			t.Errorf("POST %s: %d %q, want 413 %q", target, rec.Code, rec.Body.String(), want)
		}
	}
}

// TestFormRefusalsAreDutch: a sign-up with a record the form does not ask
// and a form that cannot be read are refused in Dutch on a Dutch page,
// without English words or requirement ids.
func TestFormRefusalsAreDutch(t *testing.T) {
	h := NewForTest(t, Config{Policy: testkit.Policy(t, "ivm"), Store: testkit.SQLite(t), Log: testkit.Log(t).Logger,
		Clock: clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))},
		wiring.Config{HashParams: &account.HashParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path, body string) (int, string) {
		resp, err := c.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, html.UnescapeString(string(b))
	}
	resp, err := c.Get(srv.URL + "/signup")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token on /signup:\n%s", page)
	}
	form := url.Values{"csrf": {string(m[1])}, "account.email": {"anna@example.nl"}, "account.first_name": {"Anna"}, "account.last_name": {"de Vries"},
		"account.organisation": {"Apotheek Noord"}, "account.job_title": {"apotheker"}, "account.sector": {"zorg"},
		"password": {"correct horse battery"}, "hobby.name": {"zeilen"}}
	code, body := post("/signup", form.Encode())
	if code != http.StatusBadRequest && code != http.StatusUnprocessableEntity {
		t.Errorf("sign-up with an undeclared record: %d, want 400 or 422", code)
	}
	if !strings.Contains(body, "wordt bij het aanmelden niet gevraagd") || strings.Contains(body, "is not asked") || requirementID.MatchString(body) {
		t.Errorf("sign-up refusal is not Dutch or shows a requirement id:\n%s", body)
	}
	code, body = post("/cookies", "choice=%zz")
	if code != http.StatusBadRequest || !strings.Contains(body, "Het formulier kon niet worden gelezen") {
		t.Errorf("unreadable cookie form: %d, want 400 in Dutch:\n%s", code, body)
	}
}
