// Package doccheck keeps the documents that name tests true: it checks
// "`path/file_test.go` → `TestX`" references against the test files.
package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// TestRefs checks the references a document makes to tests —
// "`path/file_test.go` → `TestX`" in docs/requirements.md and
// docs/security.md — against the test files themselves, so a test that is
// moved or renamed fails the document's own test until it follows. Files
// are parsed once.
type TestRefs struct {
	// Root is the repository root the referenced paths are relative to.
	Root  string
	files map[string]*testFile
}

// testNameRE is a test, benchmark or fuzz function, optionally with a
// subtest: "TestX/case".
var testNameRE = regexp.MustCompile(`^((?:Test|Benchmark|Fuzz)[A-Za-z0-9_]*)(?:/(\S+))?$`)

// Check returns the problems of one reference: file must be a _test.go
// file that exists and holds every named function (and subtest name).
func (c *TestRefs) Check(file string, names []string) []string {
	if !strings.HasSuffix(file, "_test.go") {
		return []string{file + " is not a _test.go file"}
	}
	if c.files == nil {
		c.files = map[string]*testFile{}
	}
	f, ok := c.files[file]
	if !ok {
		f = parseTestFile(filepath.Join(c.Root, filepath.FromSlash(file)))
		c.files[file] = f
	}
	if f.err != nil {
		return []string{fmt.Sprintf("%s does not exist or does not parse: %v", file, f.err)}
	}
	var problems []string
	for _, name := range names {
		m := testNameRE.FindStringSubmatch(name)
		switch {
		case m == nil:
			problems = append(problems, fmt.Sprintf("%s: %q is not a TestX, BenchmarkX or FuzzX name", file, name))
		case !f.funcs[m[1]]:
			problems = append(problems, fmt.Sprintf("%s has no function %s", file, m[1]))
		case m[2] != "" && !f.strings[m[2]]:
			problems = append(problems, fmt.Sprintf("%s has no subtest named %s (no string literal %q in the file)", file, m[2], m[2]))
		}
	}
	return problems
}

// testFile is what a reference is checked against: the file's top-level
// functions and its string literals (the names of table cases and t.Run
// subtests).
type testFile struct {
	funcs   map[string]bool
	strings map[string]bool
	err     error
}

func parseTestFile(path string) *testFile {
	f := &testFile{funcs: map[string]bool{}, strings: map[string]bool{}}
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		f.err = err
		return f
	}
	for _, d := range file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
			f.funcs[fd.Name.Name] = true
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				f.strings[s] = true
			}
		}
		return true
	})
	return f
}
