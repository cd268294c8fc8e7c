package steward

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"steward/internal/doccheck"
)

// requirementsDoc is the map from requirement ids to code and tests
// (issue 12 item 8). It is read relative to the repository root, the
// directory of this package.
const requirementsDoc = "docs/requirements.md"

// TestRequirements keeps docs/requirements.md true: every requirement id of
// the specification (R1–R14, Z1–Z11, G1–G4) has a section with a status,
// every file it links exists in the repository, and every test it names
// (`file_test.go` → `TestX`, `BenchmarkX`, `FuzzX`, or `TestX/subtest`)
// exists in the file named beside it. A test that moves or is renamed
// fails this one until its line in the document follows.
func TestRequirements(t *testing.T) {
	doc, err := os.ReadFile(requirementsDoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkRequirements(doc, ".") {
		t.Error(p)
	}
}

// TestRequirementsCatchesDrift shows the check fails on what it must: a
// missing or unknown id, a section without a status, a linked file that is
// not there, a test file that is not there, a test function or subtest that
// the file does not hold, and a malformed reference.
func TestRequirementsCatchesDrift(t *testing.T) {
	var b strings.Builder
	for _, id := range requirementIDs() {
		if id == "Z7" {
			continue // missing
		}
		fmt.Fprintf(&b, "## %s Something\n\n**Status**: built.\n\n- `errors_test.go` → `TestErrorCodeFollowsTheWrapChain`\n\n", id)
	}
	b.WriteString("## R15 Unknown\n\n**Status**: built.\n\n")
	b.WriteString("## G2 Twice\n\n")
	b.WriteString("- [`gone.go`](../gone.go) and [`errors.go`](../errors.go#L1) and [outside](../../x.md)\n")
	b.WriteString("- `gone_test.go` → `TestGone`\n")
	b.WriteString("- `errors_test.go` → `TestNoSuchFunction`, `TestErrorCodeFollowsTheWrapChain/no_such_case`\n")
	b.WriteString("- `errors_test.go` → TestWithoutQuotes\n")
	b.WriteString("- `errors.go` → `TestErrorCodeFollowsTheWrapChain`\n")
	got := strings.Join(checkRequirements([]byte(b.String()), "."), "\n")
	for _, want := range []string{
		"Z7 has no section",
		"unknown requirement id R15",
		"G2 has a second section",
		"G2 has no **Status** line",
		"links ../gone.go, which does not exist",
		"links ../../x.md, which is outside the repository",
		"gone_test.go does not exist",
		"errors_test.go has no function TestNoSuchFunction",
		"errors_test.go has no subtest named no_such_case",
		"names no test in backquotes",
		"errors.go is not a _test.go file",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the check does not report %q; it reports:\n%s", want, got)
		}
	}
	if strings.Contains(got, "errors.go#L1") {
		t.Errorf("a link with a fragment to an existing file is reported:\n%s", got)
	}
}

// requirementIDs lists the specification's requirement ids in order.
func requirementIDs() []string {
	var ids []string
	for _, g := range []struct {
		prefix string
		n      int
	}{{"R", 14}, {"Z", 11}, {"G", 4}} {
		for i := 1; i <= g.n; i++ {
			ids = append(ids, g.prefix+strconv.Itoa(i))
		}
	}
	return ids
}

var (
	// sectionRE is a requirement's heading: "## R9 Website retention".
	sectionRE = regexp.MustCompile(`^## ([RZG][0-9]+)\b`)
	// linkRE is a Markdown link's target.
	linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// testRefRE is a test reference: "- `web/x_test.go` → `TestA`, `TestB` — why".
	testRefRE = regexp.MustCompile("^- `([^`]+)` → (.*)$")
	// quotedRE is a backquoted span.
	quotedRE = regexp.MustCompile("`([^`]+)`")
)

// checkRequirements returns every problem of doc, a docs/requirements.md
// whose links are relative to root/docs and whose test files are relative
// to root.
func checkRequirements(doc []byte, root string) []string {
	var problems []string
	report := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", requirementsDoc, line, fmt.Sprintf(format, args...)))
	}
	want := map[string]bool{}
	for _, id := range requirementIDs() {
		want[id] = true
	}
	seen := map[string]bool{}
	current, status, headingLine := "", false, 0
	endSection := func() {
		if current != "" && !status {
			report(headingLine, "%s has no **Status** line", current)
		}
	}
	refs := &doccheck.TestRefs{Root: root}
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := sectionRE.FindStringSubmatch(line); m != nil {
			endSection()
			id := m[1]
			current, status, headingLine = id, false, n
			switch {
			case !want[id]:
				report(n, "unknown requirement id %s", id)
			case seen[id]:
				report(n, "%s has a second section", id)
			}
			seen[id] = true
			continue
		}
		if strings.HasPrefix(line, "## ") {
			endSection()
			current = ""
		}
		if strings.HasPrefix(line, "**Status**:") {
			status = true
		}
		for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
			checkLink(root, m[1], func(format string, args ...any) { report(n, format, args...) })
		}
		if strings.HasPrefix(line, "- `") && strings.Contains(line, "→") {
			checkTestRef(line, refs, func(format string, args ...any) { report(n, format, args...) })
		}
	}
	endSection()
	for _, id := range requirementIDs() {
		if !seen[id] {
			problems = append(problems, fmt.Sprintf("%s: %s has no section (want a heading \"## %s …\")", requirementsDoc, id, id))
		}
	}
	return problems
}

// checkLink reports a relative link whose file does not exist in the
// repository. Web addresses and in-page anchors are not checked.
func checkLink(root, target string, report func(string, ...any)) {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
		return
	}
	path, _, _ := strings.Cut(target, "#")
	rel := filepath.Clean(filepath.Join("docs", filepath.FromSlash(path)))
	if rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		report("links %s, which is outside the repository", target)
		return
	}
	if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
		report("links %s, which does not exist", target)
	}
}

// checkTestRef checks one "- `file_test.go` → `TestX` — why" line: the file
// exists and holds each named test function (and subtest name).
func checkTestRef(line string, refs *doccheck.TestRefs, report func(string, ...any)) {
	m := testRefRE.FindStringSubmatch(line)
	if m == nil {
		report("a test reference must read - `path/file_test.go` → `TestName`")
		return
	}
	path := m[1]
	names, _, _ := strings.Cut(m[2], " — ")
	quoted := quotedRE.FindAllStringSubmatch(names, -1)
	if len(quoted) == 0 && strings.HasSuffix(path, "_test.go") {
		report("%s → names no test in backquotes", path)
		return
	}
	var tests []string
	for _, q := range quoted {
		tests = append(tests, q[1])
	}
	for _, p := range refs.Check(path, tests) {
		report("%s", p)
	}
}
