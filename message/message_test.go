package message_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"steward/message"
	"steward/policy"
)

// TestLanguagesAreThePolicyLanguages: the catalogue speaks exactly the
// languages a policy is written in, Dutch first (G1).
func TestLanguagesAreThePolicyLanguages(t *testing.T) {
	if !slices.Equal(message.Languages, policy.Languages) {
		t.Fatalf("message.Languages %v, policy.Languages %v", message.Languages, policy.Languages)
	}
}

func TestLoadRefusesCataloguesThatDisagree(t *testing.T) {
	fsys := fstest.MapFS{
		"nl.json": {Data: []byte(`{"a.b": "nl", "a.c": "nl"}`)},
		"en.json": {Data: []byte(`{"a.b": "en"}`)},
	}
	if _, err := message.Load(fsys); err == nil || !strings.Contains(err.Error(), "a.c") {
		t.Fatalf("Load = %v, want an error naming the missing a.c", err)
	}
}

// keyed is an error with a catalogue key, as steward.Error is.
type keyed struct {
	key  string
	args []any
}

func (k keyed) Error() string               { return k.key }
func (k keyed) MessageKey() (string, []any) { return k.key, k.args }

func TestFormatFillsNamedArguments(t *testing.T) {
	c, err := message.Load(fstest.MapFS{
		"nl.json": {Data: []byte(`{"x.limit": "mag hoogstens {n} tekens zijn", "x.kind": "verzoek", "x.wrap": "{what}: {err}", "error.internal": "fout"}`)},
		"en.json": {Data: []byte(`{"x.limit": "must be at most {n} characters", "x.kind": "request", "x.wrap": "{what}: {err}", "error.internal": "error"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	inner := keyed{"x.limit", []any{"n", 50}}
	for _, tc := range []struct{ lang, got, want string }{
		{"nl", c.Format("nl", "x.limit", "n", 50), "mag hoogstens 50 tekens zijn"},
		{"en", c.Format("en", "x.limit", "n", 50), "must be at most 50 characters"},
		{"key_argument_in_the_same_language", c.Format("nl", "x.wrap", "what", message.Key("x.kind"), "err", "?"), "verzoek: ?"},
		{"nested_error_in_the_same_language", c.Format("nl", "x.wrap", "what", "naam", "err", fmt.Errorf("ctx: %w", inner)), "naam: mag hoogstens 50 tekens zijn"},
		{"plain_error_argument", c.Format("en", "x.wrap", "what", "file", "err", errors.New("denied")), "file: denied"},
		{"unknown_language_falls_back", c.Text("de", "x.kind"), "verzoek"},
		{"missing_key_is_bracketed", c.Text("en", "x.none"), "[x.none]"},
		{"error_in_lang", c.Error("nl", inner), "mag hoogstens 50 tekens zijn"},
		{"unkeyed_error_is_internal", c.Error("en", errors.New("pq: 10.0.0.7")), "error"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.lang, tc.got, tc.want)
		}
	}
}

// runtimeFamilies are the key families whose last part is a code value
// joined at run time (Page.Term, the statement's lexicon, the request
// mails): their members count as used when the family is. Other tests
// check that every code value has its text (web TestTermsCoverEveryCode,
// statement TestCatalogueCoversTheModel, desk
// TestMailTextsCoverEveryRequestType).
var runtimeFamilies = []string{
	"consent_channel.", "deletion_action.", "legal_basis.", "request_channel.", "request_status.",
	"request_step.", "request_type.", "request_verification.", "role.",
	"staff_step.", "mail_kind.", "mail_status.", "viewed_field.",
}

// notKeys are literals in a catalogue namespace that name something else:
// audit actions and a file name.
var notKeys = map[string]bool{"profile.update": true, "staff.view": true, "data.json": true, "newsletter.preview": true, "panel.invite": true}

// keyLiteral is what a catalogue key looks like: lower-case parts joined
// by dots.
var keyLiteral = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

// source is one file the scan read: its literals, and whether it is a test.
type source struct {
	path     string
	literals []literal
	test     bool
}

type literal struct {
	pos  string
	text string
}

// scan reads every string literal of the module's Go files (not those of a
// nested module such as bench/) and every
// quoted string of its templates. Statement sources name their keys without
// the "statement." namespace, which the statement package adds.
func scan(t *testing.T) []source {
	t.Helper()
	var out []source
	action := regexp.MustCompile(`{{.*?}}`)
	quoted := regexp.MustCompile(`"([^"\\]*)"`)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || name == "node_modules" || (strings.HasPrefix(name, ".") && name != "..") {
				return filepath.SkipDir
			}
			// A directory with its own go.mod (bench/) is another module,
			// whose strings are not the catalogue's.
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != ".." {
				return filepath.SkipDir
			}
			return nil
		}
		prefix := ""
		if strings.HasPrefix(filepath.ToSlash(path), "../statement/") {
			prefix = "statement."
		}
		// internal/testkit is the tests' own code (test servers, synthetic
		// people): it names field ids freely, as tests do.
		test := strings.HasSuffix(path, "_test.go") || strings.HasPrefix(filepath.ToSlash(path), "../internal/testkit/")
		src := source{path: path, test: test}
		switch {
		case strings.HasSuffix(path, ".go"):
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						src.literals = append(src.literals, literal{fset.Position(lit.Pos()).String(), prefix + s})
					}
				}
				return true
			})
		case strings.Contains(path, "templates/"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(b), "\n") {
				for _, a := range action.FindAllString(line, -1) {
					for _, m := range quoted.FindAllStringSubmatch(a, -1) {
						src.literals = append(src.literals, literal{fmt.Sprintf("%s:%d", path, i+1), prefix + m[1]})
					}
				}
			}
		default:
			return nil
		}
		out = append(out, src)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryKeyExistsAndIsUsed: every key the code or a template names is in
// the catalogue (in both languages, which Load checks), and every key of
// the catalogue is named somewhere outside the tests, as itself or as a
// family the code completes at run time ("mail.request_type."+t,
// "number.%d"). Keys are always literals, so this scan finds them all.
func TestEveryKeyExistsAndIsUsed(t *testing.T) {
	c := message.Default()
	keys := c.Keys()
	namespaces := map[string]bool{}
	for _, k := range keys {
		ns, _, _ := strings.Cut(k, ".")
		namespaces[ns] = true
		if ns == "statement" {
			ns2, _, _ := strings.Cut(strings.TrimPrefix(k, "statement."), ".")
			namespaces["statement."+ns2] = true
		}
	}
	used := map[string]bool{}
	var prefixes []string
	seen := 0
	for _, src := range scan(t) {
		for _, lit := range src.literals {
			s := lit.text
			if i := strings.IndexByte(s, '%'); i > 0 && keyLiteral.MatchString(strings.TrimSuffix(s[:i], ".")) {
				// A family completed with fmt ("number.%d").
				if !src.test {
					prefixes = append(prefixes, s[:i])
				}
				continue
			}
			if (strings.HasSuffix(s, ".") || strings.HasSuffix(s, "_")) && keyLiteral.MatchString(strings.TrimRight(s, "._")) {
				if !src.test {
					prefixes = append(prefixes, s)
				}
				continue
			}
			if !keyLiteral.MatchString(s) || notKeys[s] {
				continue
			}
			ns, _, _ := strings.Cut(s, ".")
			if ns == "statement" {
				ns2, _, _ := strings.Cut(strings.TrimPrefix(s, "statement."), ".")
				ns = "statement." + ns2
			}
			if !namespaces[ns] {
				continue
			}
			if c.Has(s) {
				seen++
				if !src.test {
					used[s] = true
				}
				continue
			}
			// A literal in a catalogue namespace that is no key is a
			// missing text, unless it is the stem of keys completed at
			// run time ("mail.verify" of "mail.verify.subject"). Tests name
			// field and record ids freely, so only code is held to it.
			if slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, s+".") }) {
				if !src.test {
					prefixes = append(prefixes, s+".")
				}
				continue
			}
			if !src.test {
				t.Errorf("%s: %q is not in the catalogue", lit.pos, s)
			}
		}
	}
	if seen < 300 {
		t.Fatalf("the scan found only %d key literals: it no longer sees the code", seen)
	}
	prefixes = append(prefixes, runtimeFamilies...)
	for _, k := range keys {
		if used[k] || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			continue
		}
		t.Errorf("catalogue key %s is used nowhere", k)
	}
}
