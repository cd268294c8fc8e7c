package rights

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// ExportDataFile is the name of the JSON document in the export.
const ExportDataFile = "data.json"

// ExportFileName is the name a person's export is offered under.
func ExportFileName(site string, at time.Time) string {
	return fmt.Sprintf("%s-my-data-%s.zip", site, at.UTC().Format("20060102"))
}

// Items calls fn with each of the person's items of category c, in
// order, read as it goes; fn must not keep the item after it returns.
// WriteExport calls it once per kind, and a second time only for a kind
// whose CSV outgrew csvBufferLimit, so a large export is never held in
// memory.
type Items func(c *Category, fn func(*Item) error) error

// csvBufferLimit bounds the CSV of one kind held while data.json is
// written. A CSV of 10,000 records is well under a MiB; one past the limit
// is dropped and its kind read again after data.json, so memory stays
// bounded whatever the person holds. A variable for tests.
var csvBufferLimit = 8 << 20

// WriteExport writes a person's export (Art. 15(3), Art. 20 GDPR: a copy in
// a structured, commonly used, machine-readable format) as a ZIP straight
// to w: data.json, the whole Overview in the versioned schema of
// docs/export-schema.md, and one CSV per record kind of the policy, named
// after the kind, with a header row even when the person has no items of
// it, so every kind the policy declares is visibly there. The categories'
// items come from items, kind by kind; with items nil they are the
// categories' own Items. Each kind is read once: while its items go into
// data.json, its CSV is written into a bounded buffer and stored after
// data.json.
//
// The same overview and items give the same bytes: every file carries the
// export's time (ov.GeneratedAt) and nothing else varies, so a person's
// own export and the one staff produce for their request are identical.
func WriteExport(w io.Writer, ov *Overview, items Items) error {
	if items == nil {
		items = func(c *Category, fn func(*Item) error) error {
			for i := range c.Items {
				if err := fn(&c.Items[i]); err != nil {
					return err
				}
			}
			return nil
		}
	}
	z := zip.NewWriter(w)
	z.RegisterCompressor(zip.Deflate, newCompressor())
	at := ov.GeneratedAt.UTC()
	f, err := createFile(z, ExportDataFile, at)
	if err != nil {
		return fmt.Errorf("rights: export: %w", err)
	}
	parts := make([]*csvPart, len(ov.Categories))
	both := func(c *Category, fn func(*Item) error) error {
		p, err := newCSVPart(c)
		if err != nil {
			return err
		}
		parts[c.index(ov)] = p
		return items(c, func(it *Item) error {
			if err := fn(it); err != nil {
				return err
			}
			return p.add(it)
		})
	}
	if err := writeJSON(f, ov, both); err != nil {
		return fmt.Errorf("rights: export: %w", err)
	}
	for i := range ov.Categories {
		c := &ov.Categories[i]
		if err := parts[i].store(z, at, CSVName(c.Kind)); err == nil {
			continue
		} else if !errors.Is(err, errPartDropped) {
			return fmt.Errorf("rights: export %s: %w", c.Kind, err)
		}
		if err := writeCSV(z, c, at, items); err != nil {
			return fmt.Errorf("rights: export %s: %w", c.Kind, err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("rights: export: %w", err)
	}
	return nil
}

// createFile starts a deflated file of the export. Modified is the
// export's time, never the clock's, so the archive is the same bytes for
// the same data.
func createFile(z *zip.Writer, name string, at time.Time) (io.Writer, error) {
	return z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: at})
}

// newCompressor returns the export's deflate compressor. Fast
// compression: an export is made once and downloaded at once; BestSpeed
// keeps a large one well within the time the person waits. A ZIP is
// written one file at a time, so one flate.Writer, reset per file, serves
// them all — a new one per file clears a megabyte of tables each time.
func newCompressor() zip.Compressor {
	var fw *flate.Writer
	return func(out io.Writer) (io.WriteCloser, error) {
		if fw == nil {
			var err error
			fw, err = flate.NewWriter(out, flate.BestSpeed)
			return fw, err
		}
		fw.Reset(out)
		return fw, nil
	}
}

// index returns c's position in ov.Categories.
func (c *Category) index(ov *Overview) int {
	for i := range ov.Categories {
		if &ov.Categories[i] == c {
			return i
		}
	}
	panic("rights: category not in overview")
}

// errPartDropped says a kind's CSV outgrew csvBufferLimit and must be read
// again.
var errPartDropped = errors.New("csv part dropped")

// csvPart is one kind's CSV, held in memory while data.json is written:
// a ZIP is written one file at a time, and data.json comes first.
type csvPart struct {
	buf     bytes.Buffer
	w       *csv.Writer
	fields  []string
	row     []string
	dropped bool
}

func newCSVPart(c *Category) (*csvPart, error) {
	p := &csvPart{}
	p.w = csv.NewWriter(&p.buf)
	header, fields := csvHeader(c)
	p.fields, p.row = fields, make([]string, len(header))
	return p, p.w.Write(header)
}

func (p *csvPart) add(it *Item) error {
	if p.dropped {
		return nil
	}
	fillRow(p.row, p.fields, it)
	if err := p.w.Write(p.row); err != nil {
		return err
	}
	if p.buf.Len() > csvBufferLimit {
		p.dropped, p.buf = true, bytes.Buffer{}
	}
	return nil
}

// store adds the part to z, or returns errPartDropped when it was given
// up (or never written).
func (p *csvPart) store(z *zip.Writer, at time.Time, name string) error {
	if p == nil || p.dropped {
		return errPartDropped
	}
	p.w.Flush()
	if err := p.w.Error(); err != nil {
		return err
	}
	fw, err := createFile(z, name, at)
	if err != nil {
		return err
	}
	_, err = fw.Write(p.buf.Bytes())
	return err
}

// writeJSON writes ov as data.json — the document json.Marshal makes of
// the whole Overview, ended by a newline as json.Encoder ends it
// (TestWriteJSONIsMarshal) — with each category's items streamed in from
// items rather than held.
func writeJSON(w io.Writer, ov *Overview, items Items) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	shell := *ov
	shell.Categories = nil
	enc := newItemEncoder()
	err := writeObject(bw, &shell, "categories", func() error {
		bw.WriteByte('[')
		for i := range ov.Categories {
			if i > 0 {
				bw.WriteByte(',')
			}
			if err := writeCategory(bw, &ov.Categories[i], items, enc); err != nil {
				return err
			}
		}
		return bw.WriteByte(']')
	})
	if err != nil {
		return err
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

// writeCategory writes c as json.Marshal would, its items read from items.
func writeCategory(w *bufio.Writer, c *Category, items Items, enc *itemEncoder) error {
	shell := *c
	shell.Items = nil
	return writeObject(w, &shell, "items", func() error {
		w.WriteByte('[')
		n := 0
		err := items(c, func(it *Item) error {
			if n > 0 {
				w.WriteByte(',')
			}
			n++
			return enc.encode(w, it)
		})
		if err != nil {
			return err
		}
		return w.WriteByte(']')
	})
}

// writeObject writes v, a struct, as json.Marshal encodes it, except that
// the value of its member name is written by stream. The members and
// their order are read back from v's own encoding, so the document
// follows the struct's fields and tags as they change.
func writeObject(w io.Writer, v any, name string, stream func() error) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	if _, err := dec.Token(); err != nil { // the object's '{'
		return err
	}
	if _, err := io.WriteString(w, "{"); err != nil {
		return err
	}
	streamed := false
	for n := 0; dec.More(); n++ {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return err
		}
		member, err := json.Marshal(key)
		if err != nil {
			return err
		}
		if n > 0 {
			member = append([]byte{','}, member...)
		}
		if _, err := w.Write(append(member, ':')); err != nil {
			return err
		}
		if key == name {
			streamed = true
			err = stream()
		} else {
			_, err = w.Write(value)
		}
		if err != nil {
			return err
		}
	}
	if !streamed {
		return fmt.Errorf("%T has no member %q to stream", v, name)
	}
	_, err = io.WriteString(w, "}")
	return err
}

// itemEncoder encodes items with one json.Encoder into one reused buffer:
// ten thousand items for a busy person, each the bytes json.Marshal gives.
type itemEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newItemEncoder() *itemEncoder {
	e := &itemEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}

func (e *itemEncoder) encode(w io.Writer, it *Item) error {
	e.buf.Reset()
	if err := e.enc.Encode(it); err != nil {
		return err
	}
	// Encode ends each value with a newline; inside the list it would
	// make the document differ from json.Marshal's.
	_, err := w.Write(bytes.TrimSuffix(e.buf.Bytes(), []byte{'\n'}))
	return err
}

// CSVName is the file a record kind's items are in.
func CSVName(kind string) string { return kind + ".csv" }

// csvHeader returns a kind's CSV header and the field ids of its columns.
func csvHeader(c *Category) (header, fields []string) {
	header = []string{"id", "created_at", "deleted_on", "deletion_action", "deletion_rule"}
	for _, fi := range c.Fields {
		if fi.ID != "password" {
			fields = append(fields, fi.ID)
		}
	}
	return append(header, fields...), fields
}

// fillRow writes it into row, laid out as csvHeader says.
func fillRow(row, fields []string, it *Item) {
	row[0], row[1] = it.ID, timeText(it.CreatedAt)
	row[2], row[3], row[4] = dateText(it.Deletion.Date), it.Deletion.Action, it.Deletion.Rule
	n := len(row) - len(fields)
	for j, fid := range fields {
		row[n+j] = csvSafe(it.Values[fid])
	}
}

// writeCSV writes a kind's CSV read afresh, for a kind whose buffered CSV
// was dropped.
func writeCSV(z *zip.Writer, c *Category, at time.Time, items Items) error {
	f, err := createFile(z, CSVName(c.Kind), at)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	header, fields := csvHeader(c)
	if err := w.Write(header); err != nil {
		return err
	}
	row := make([]string, len(header))
	err = items(c, func(it *Item) error {
		fillRow(row, fields, it)
		return w.Write(row)
	})
	if err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

// csvSafe defuses a value a spreadsheet would run as a formula (CSV
// injection): the person's own text must not become code on their machine.
func csvSafe(v string) string {
	if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r') {
		return "'" + v
	}
	return v
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}
