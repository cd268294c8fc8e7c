package steward

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// ImportResult counts what an idempotent import of a site's catalogue
// (courses, products) did.
type ImportResult struct{ Added, Changed, Unchanged int }

// Importable is what ImportEach asks of an imported item: its checks (which
// may also normalise it) and the names of the fields in which it differs
// from the stored one.
type Importable[T any] interface {
	*T
	Check() error
	Changed(old *T) []string
}

// ImportEach is the loop the course and product imports share, run inside
// the caller's transaction: each item is checked, then stored reads the
// stored item of its key (an ENOTFOUND error when there is none). An item
// equal to the stored one is counted unchanged and left alone; any other
// is written by write and then handed to audit with the names of the
// fields that changed — newFields for a new one. The first error stops it.
func ImportEach[T any, P Importable[T]](items []T, newFields []string, stored func(P) (P, error), write func(P) error, audit func(it P, fields []string) error) (ImportResult, error) {
	var res ImportResult
	for i := range items {
		it := P(&items[i])
		if err := it.Check(); err != nil {
			return res, err
		}
		fields := newFields
		old, err := stored(it)
		switch {
		case err == nil:
			if fields = it.Changed(old); len(fields) == 0 {
				res.Unchanged++
				continue
			}
			res.Changed++
		case ErrorCode(err) == ENOTFOUND:
			res.Added++
		default:
			return res, err
		}
		if err := write(it); err != nil {
			return res, err
		}
		if err := audit(it, fields); err != nil {
			return res, err
		}
	}
	return res, nil
}

// LineError wraps the error of a catalogue file's item with the line of
// the file it is on, naming the field when the error has one.
func LineError(line int, err error) error {
	var se *Error
	if errors.As(err, &se) && se.Field != "" {
		return Errorf(EINVALID, "error.import_line_field", "line", line, "field", se.Field, "err", err)
	}
	return Errorf(EINVALID, "error.import_line", "line", line, "err", err)
}

// ParseCSV reads a catalogue file in CSV that starts with header (a
// byte-order mark before it is allowed): row turns each record into an
// item, which is then checked, and slug gives the item's slug, which may
// not repeat. A line that is wrong makes the whole file wrong, with its
// number in the error.
func ParseCSV[T any, P Importable[T]](data []byte, header []string, row func(rec []string) (T, error), slug func(P) string) ([]T, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(header)
	headerErr := LineError(1, Errorf(EINVALID, "error.import_header", "header", strings.Join(header, ",")))
	head, err := r.Read()
	if err != nil {
		return nil, headerErr
	}
	head[0] = strings.TrimPrefix(head[0], "\ufeff")
	for i := range header {
		if strings.TrimSpace(head[i]) != header[i] {
			return nil, headerErr
		}
	}
	items := catalogue[T, P]{slug: slug, seen: map[string]int{}}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return items.out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, LineError(pe.StartLine, Errorf(EINVALID, "error.import_csv_row", "columns", len(header)))
			}
			return nil, err
		}
		line, _ := r.FieldPos(0)
		it, err := row(rec)
		if err != nil {
			return nil, LineError(line, err)
		}
		if err := items.add(it, line); err != nil {
			return nil, err
		}
	}
}

// ParseJSON reads a catalogue file in JSON: an array of objects J, each
// turned into an item by conv, then checked as ParseCSV does. Unknown
// keys are refused. An error names the line its object starts on.
func ParseJSON[T, J any, P Importable[T]](data []byte, conv func(J) T, slug func(P) string) ([]T, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n")) }
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, LineError(1, Errorf(EINVALID, "error.import_json_array"))
	}
	items := catalogue[T, P]{slug: slug, seen: map[string]int{}}
	for dec.More() {
		off := dec.InputOffset()
		// The object starts after the separator and white space.
		for int(off) < len(data) && strings.ContainsRune(", \t\r\n", rune(data[off])) {
			off++
		}
		line := lineAt(off)
		var j J
		if err := dec.Decode(&j); err != nil {
			return nil, LineError(line, Errorf(EINVALID, "error.import_json_object"))
		}
		if err := items.add(conv(j), line); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, LineError(lineAt(dec.InputOffset()), Errorf(EINVALID, "error.import_json_array"))
	}
	return items.out, nil
}

// catalogue gathers a file's items, checked, refusing a slug seen before.
type catalogue[T any, P Importable[T]] struct {
	slug func(P) string
	seen map[string]int // slug → line
	out  []T
}

func (c *catalogue[T, P]) add(it T, line int) error {
	if err := P(&it).Check(); err != nil {
		return LineError(line, err)
	}
	k := c.slug(&it)
	if first, ok := c.seen[k]; ok {
		return LineError(line, FieldError("slug", "error.import_duplicate_slug", "first", first))
	}
	c.seen[k] = line
	c.out = append(c.out, it)
	return nil
}
