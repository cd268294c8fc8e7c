package policy

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a policy file, with its position.
type Problem struct {
	File string
	Pos  Pos
	Msg  string
	// About are the keys whose values the problem is about: keys of the
	// mapping at Pos, or of the sections it is in (site, rights, ...).
	// Parse drops what the validator says about a value the decoder
	// already refused (decoder.unknowable); nil is about no key in
	// particular.
	About []string
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
	// failed are the keys whose value was of the wrong kind or malformed,
	// so the policy holds no value for them (see unknowable).
	failed []failedValue
	// marked are the values tagged !unconfirmed, in file order.
	marked []Unconfirmed
}

// failedValue is a key whose value could not be decoded.
type failedValue struct {
	key string
	// at is the position of the mapping the key is in, where the
	// validator reports problems of that mapping.
	at Pos
	// section marks a mapping or list: everything under it is missing.
	section bool
}

// unknowable reports whether a validator problem is about a value the
// decoder already refused: its value is unknown, so what the validator
// says of it (missing, zero, not marked) is not news. Such a problem is
// about the key and sits where that key's mapping is, or anywhere when a
// whole section was refused.
func (d *decoder) unknowable(p Problem) bool {
	for _, f := range d.failed {
		if !slices.Contains(p.About, f.key) {
			continue
		}
		if f.section || p.Pos == f.at || p.Pos == (Pos{1, 1}) {
			return true
		}
	}
	return false
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

// decode sets v from n and reports whether it could: false when n is of
// the wrong kind or a malformed value, so v holds no value from the file
// (problems inside a mapping or list that decoded do not count).
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.fail(n, "%s: anchors and aliases are not allowed in a policy file", path)
		return false
	}
	n = d.unconfirmed(n, path)
	if v.CanAddr() && v.Addr().Type().Implements(scalarDecoderType) {
		if n.Kind != yaml.ScalarNode || isNull(n) {
			d.fail(n, "%s: want a single value, got %s", path, kindName(n))
			return false
		}
		if err := v.Addr().Interface().(scalarDecoder).decodeScalar(n.Value); err != nil {
			d.fail(n, "%s: %v", path, err)
			return false
		}
		return true
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return true
		}
		p := reflect.New(v.Type().Elem())
		ok := d.decode(n, p.Elem(), path)
		v.Set(p)
		return ok
	case reflect.Struct:
		return d.decodeStruct(n, v, path)
	case reflect.Slice:
		if isNull(n) {
			return true
		}
		if n.Kind != yaml.SequenceNode {
			d.fail(n, "%s: want a list, got %s", path, kindName(n))
			return false
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, "%s: want text, got %s", path, kindName(n))
			return false
		}
		if !isNull(n) {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.fail(n, "%s: want true or false, got %s", path, kindName(n))
			return false
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.fail(n, "%s: want a whole number, got %s", path, kindName(n))
			return false
		}
		i, err := strconv.ParseInt(n.Value, 0, 32)
		if err != nil {
			d.fail(n, "%s: number %q out of range", path, n.Value)
			return false
		}
		v.SetInt(i)
	default:
		// Only reachable through a programming error in the model.
		d.fail(n, "%s: cannot decode into %s", path, v.Type())
		return false
	}
	return true
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) bool {
	if isNull(n) {
		return true
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, "%s: want a mapping, got %s", where(path), kindName(n))
		return false
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
		if !d.decode(val, v.Field(idx), sub) {
			f := v.Type().Field(idx)
			d.failed = append(d.failed, failedValue{key: key, at: Pos{n.Line, n.Column},
				section: f.Type.Kind() == reflect.Struct || f.Type.Kind() == reflect.Slice})
		}
	}
	return true
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
	sum := sha256.Sum256(data)
	p := &Policy{File: name, SHA256: hex.EncodeToString(sum[:])}
	d.decode(root, reflect.ValueOf(p).Elem(), "")
	p.Unconfirmed = d.marked
	if root.Kind != yaml.MappingNode {
		// Nothing was decoded, so there is nothing to validate.
		if len(d.problems) == 0 { // an empty document: "---"
			d.problems = Problems{{File: name, Pos: Pos{max(root.Line, 1), max(root.Column, 1)}, Msg: "the file is empty"}}
		}
		return nil, d.problems
	}
	// What decoded is validated as well, so a file with an unknown key and
	// a purpose that does not exist is told both at once.
	ps := append(d.problems, fillStewardCookies(p)...)
	for _, pr := range Validate(p) {
		if !d.unknowable(pr) {
			ps = append(ps, pr)
		}
	}
	if len(ps) > 0 {
		return nil, ps.sorted()
	}
	p.index()
	return p, nil
}

// sorted returns the problems in file order (line, then column), each
// once.
func (ps Problems) sorted() Problems {
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	return slices.CompactFunc(out, func(a, b Problem) bool { return a.File == b.File && a.Pos == b.Pos && a.Msg == b.Msg })
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
