package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a policy file, with its position.
type Problem struct {
	File string
	Pos  Pos
	Msg  string
}

// Error formats the problem as file:line:col: message.
func (p Problem) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Pos.Line, p.Pos.Col, p.Msg)
}

// Problems is every problem found in a policy file. It is the error type
// Parse, Load and Validate return, so callers can list them all.
type Problems []Problem

// Error lists every problem, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// ErrInvalid is matched (errors.Is) by every Problems value.
var ErrInvalid = errors.New("policy: invalid")

// Is makes errors.Is(err, ErrInvalid) true for problem lists.
func (ps Problems) Is(target error) bool { return target == ErrInvalid }

// scalarDecoder is implemented by types written as one YAML scalar.
type scalarDecoder interface {
	decodeScalar(string) error
}

var (
	scalarDecoderType = reflect.TypeFor[scalarDecoder]()
	posType           = reflect.TypeFor[Pos]()
)

// decoder turns a yaml.Node tree into Go values strictly: unknown keys,
// duplicate keys, wrong kinds and malformed scalars are all problems, and
// decoding goes on after one so that every problem is reported at once.
type decoder struct {
	file     string
	problems Problems
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Pos: Pos{n.Line, n.Column}, Msg: fmt.Sprintf(format, args...)})
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "an empty document"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.fail(n, "%s: anchors and aliases are not allowed in a policy file", path)
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(scalarDecoderType) {
		if n.Kind != yaml.ScalarNode || isNull(n) {
			d.fail(n, "%s: want a single value, got %s", path, kindName(n))
			return
		}
		if err := v.Addr().Interface().(scalarDecoder).decodeScalar(n.Value); err != nil {
			d.fail(n, "%s: %v", path, err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.fail(n, "%s: want a list, got %s", path, kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, "%s: want text, got %s", path, kindName(n))
			return
		}
		if isNull(n) {
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.fail(n, "%s: want true or false, got %s", path, kindName(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.fail(n, "%s: want a whole number, got %s", path, kindName(n))
			return
		}
		i, err := strconv.ParseInt(n.Value, 0, 32)
		if err != nil {
			d.fail(n, "%s: number %q out of range", path, n.Value)
			return
		}
		v.SetInt(i)
	default:
		// Only reachable through a programming error in the model.
		d.fail(n, "%s: cannot decode into %s", path, v.Type())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, "%s: want a mapping, got %s", where(path), kindName(n))
		return
	}
	t := v.Type()
	fields := make(map[string]int, t.NumField())
	var known []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type == posType && f.Name == "Pos" {
			v.Field(i).Set(reflect.ValueOf(Pos{n.Line, n.Column}))
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		known = append(known, tag)
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		idx, ok := fields[key]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.fail(k, "%s: keys must be plain words", where(path))
			continue
		case k.Anchor != "":
			d.fail(k, "%s: anchors and aliases are not allowed in a policy file", sub)
			continue
		case !ok:
			d.fail(k, "unknown key %q (known: %s)", sub, strings.Join(known, ", "))
			continue
		case seen[key]:
			d.fail(k, "duplicate key %q", sub)
			continue
		}
		seen[key] = true
		d.decode(val, v.Field(idx), sub)
	}
}

// where names a path in a message; the empty path is the whole file.
func where(path string) string {
	if path == "" {
		return "policy file"
	}
	return path
}

// MaxFileSize bounds a policy file; a larger one is refused before parsing.
const MaxFileSize = 1 << 20

// Parse decodes a policy strictly and validates it. name is used in problem
// positions. On failure the error is Problems listing everything found.
func Parse(name string, data []byte) (*Policy, error) {
	if len(data) > MaxFileSize {
		return nil, Problems{{File: name, Pos: Pos{1, 1}, Msg: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	root, problem := parseYAML(name, data)
	if problem != nil {
		return nil, Problems{*problem}
	}
	d := &decoder{file: name}
	p := &Policy{File: name}
	d.decode(root, reflect.ValueOf(p).Elem(), "")
	if len(d.problems) > 0 {
		return nil, d.problems
	}
	if ps := Validate(p); len(ps) > 0 {
		return nil, ps
	}
	p.index()
	return p, nil
}

// parseYAML parses data as exactly one YAML document and returns its root.
func parseYAML(name string, data []byte) (root *yaml.Node, problem *Problem) {
	defer func() {
		// The YAML parser is third-party code; a bug in it must surface as a
		// problem with this file, never crash the server that loads it.
		// Only the parser is guarded: a panic in Steward's own decoder or
		// validator is a bug that FuzzParse must be able to see.
		if r := recover(); r != nil {
			root, problem = nil, &Problem{File: name, Pos: Pos{1, 1}, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Problem{File: name, Pos: Pos{1, 1}, Msg: "the file is empty"}
		}
		p := yamlProblem(name, data, err)
		return nil, &p
	}
	// A second document, even a broken one, is refused: what follows the
	// first document would otherwise be silently ignored.
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &Problem{File: name, Pos: Pos{max(extra.Line, 1), max(extra.Column, 1)}, Msg: "a policy file holds one YAML document"}
	case !errors.Is(err, io.EOF):
		p := yamlProblem(name, data, err)
		return nil, &p
	}
	root = &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	return root, nil
}

// yamlProblem turns a syntax error from the YAML parser into a Problem,
// keeping the line number it reports. data is the file, to place errors
// the parser reports vaguely.
func yamlProblem(name string, data []byte, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ":"); ok {
			if l, convErr := strconv.Atoi(num); convErr == nil {
				line, msg = l, strings.TrimSpace(after)
			}
		}
	}
	// The parser (unlike the scanner) reports the 0-based line of the
	// block or list the error is in, not of the error itself.
	if parserError(msg) {
		line++
		if strings.HasPrefix(msg, "did not find expected") && !strings.Contains(msg, "<") {
			msg += " (in the block or list that starts on this line)"
		}
	}
	col := 1
	// A tab in the indentation is the most common mistake of all; the
	// scanner reports the line its block starts on, so find the tab.
	if strings.Contains(msg, "tab character") {
		lines := strings.Split(string(data), "\n")
		for i := max(line-1, 0); i < len(lines); i++ {
			indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " \t"))]
			if j := strings.IndexByte(indent, '\t'); j >= 0 {
				line, col = i+1, j+1
				msg = "tabs are not allowed for indentation; use spaces"
				break
			}
		}
	}
	return Problem{File: name, Pos: Pos{line, col}, Msg: "YAML syntax: " + msg}
}

// parserError reports whether msg comes from the YAML parser rather than
// its scanner; the two count lines differently.
func parserError(msg string) bool {
	for _, prefix := range []string{"did not find expected", "found undefined tag handle", "found duplicate %", "found incompatible YAML document"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}
