package rights

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"slices"
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
// whose compressed CSV outgrew csvBufferLimit, so a large export is never
// held in memory.
type Items func(c *Category, fn func(*Item) error) error

// csvBufferLimit bounds the compressed CSV of one kind held while data.json
// is written. A CSV of 10,000 records compresses to a few hundred KiB; one
// past the limit is dropped and its kind read again after data.json, so
// memory stays bounded whatever the person holds. A variable for tests.
var csvBufferLimit = 8 << 20

// WriteExport writes a person's export (Art. 15(3), Art. 20 GDPR: a copy in
// a structured, commonly used, machine-readable format) as a ZIP straight
// to w: data.json, the whole Overview in the versioned schema of
// docs/export-schema.md, and one CSV per record kind of the policy, named
// after the kind, with a header row even when the person has no items of
// it, so every kind the policy declares is visibly there. The categories'
// items come from items, kind by kind; with items nil they are the
// categories' own Items. Each kind is read once: while its items go into
// data.json, its CSV is written compressed into a bounded buffer and
// stored after data.json as it is (zip.CreateRaw).
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
	// Fast compression: an export is made once and downloaded at once;
	// BestSpeed keeps a large one well within the time the person waits.
	z.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	f, err := z.CreateHeader(&zip.FileHeader{Name: ExportDataFile, Method: zip.Deflate, Modified: ov.GeneratedAt})
	if err != nil {
		return fmt.Errorf("rights: export: %w", err)
	}
	parts := make([]*csvPart, len(ov.Categories))
	both := func(c *Category, fn func(*Item) error) error {
		i := c.index(ov)
		p, err := newCSVPart(c)
		if err != nil {
			return err
		}
		parts[i] = p
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
		if err := parts[i].store(z, ov.GeneratedAt, CSVName(c.Kind)); err == nil {
			continue
		} else if !errors.Is(err, errPartDropped) {
			return fmt.Errorf("rights: export %s: %w", c.Kind, err)
		}
		if err := writeCSV(z, c, ov.GeneratedAt, items); err != nil {
			return fmt.Errorf("rights: export %s: %w", c.Kind, err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("rights: export: %w", err)
	}
	return nil
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

// csvPart is one kind's CSV, deflated into memory as data.json is
// written, with what the ZIP's raw header needs: CRC-32 and sizes.
type csvPart struct {
	buf     bytes.Buffer
	zw      *flate.Writer
	crc     hash.Hash32
	size    int64
	w       *csv.Writer
	fields  []string
	row     []string
	dropped bool
}

func newCSVPart(c *Category) (*csvPart, error) {
	p := &csvPart{crc: crc32.NewIEEE()}
	var err error
	if p.zw, err = flate.NewWriter(&p.buf, flate.BestSpeed); err != nil {
		return nil, err
	}
	p.w = csv.NewWriter(io.MultiWriter(p.zw, p.crc, (*counter)(&p.size)))
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

// store adds the part to z as a raw deflated file, or returns
// errPartDropped when it was given up (or never written).
func (p *csvPart) store(z *zip.Writer, at time.Time, name string) error {
	if p == nil || p.dropped {
		return errPartDropped
	}
	p.w.Flush()
	if err := p.w.Error(); err != nil {
		return err
	}
	if err := p.zw.Close(); err != nil {
		return err
	}
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: p.crc.Sum32(),
		CompressedSize64: uint64(p.buf.Len()), UncompressedSize64: uint64(p.size)}
	setModified(h, at)
	fw, err := z.CreateRaw(h)
	if err != nil {
		return err
	}
	_, err = fw.Write(p.buf.Bytes())
	return err
}

// setModified gives a raw entry the modification time CreateHeader would:
// the MS-DOS date and time and the extended-timestamp field (UTC seconds),
// since CreateRaw writes the header as given.
func setModified(h *zip.FileHeader, t time.Time) {
	t = t.UTC()
	h.Modified = t
	//lint:ignore SA1019 CreateRaw does not fill the MS-DOS time from Modified; unzip tools read it.
	h.ModifiedDate = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	//lint:ignore SA1019 as above.
	h.ModifiedTime = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	ext := make([]byte, 9)
	binary.LittleEndian.PutUint16(ext[0:], 0x5455) // extended timestamp
	binary.LittleEndian.PutUint16(ext[2:], 5)
	ext[4] = 1 // modification time present
	binary.LittleEndian.PutUint32(ext[5:], uint32(t.Unix()))
	h.Extra = append(h.Extra, ext...)
}

// counter counts the bytes written through it.
type counter int64

func (c *counter) Write(b []byte) (int, error) { *c += counter(len(b)); return len(b), nil }

// writeJSON writes ov as data.json — the same document json.Marshal would
// make of the whole Overview — with each category's items streamed in:
// the overview and each category are marshalled with empty items, and the
// items go where the empty list was.
func writeJSON(w io.Writer, ov *Overview, items Items) error {
	shell := *ov
	shell.Categories = []Category{}
	doc, err := json.Marshal(&shell)
	if err != nil {
		return err
	}
	head, tail, ok := bytes.Cut(doc, []byte(`"categories":[]`))
	if !ok {
		return errors.New("overview document has no categories list")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	bw.WriteString(`"categories":[`)
	for i := range ov.Categories {
		if i > 0 {
			bw.WriteByte(',')
		}
		c := ov.Categories[i]
		c.Items = []Item{}
		cdoc, err := json.Marshal(&c)
		if err != nil {
			return err
		}
		open, ok := bytes.CutSuffix(cdoc, []byte(`"items":[]}`))
		if !ok {
			return fmt.Errorf("category %s: items is not the last member", c.Kind)
		}
		bw.Write(open)
		bw.WriteString(`"items":[`)
		n := 0
		var buf []byte
		err = items(&ov.Categories[i], func(it *Item) error {
			if n > 0 {
				bw.WriteByte(',')
			}
			n++
			buf = appendItem(buf[:0], it)
			_, err := bw.Write(buf)
			return err
		})
		if err != nil {
			return err
		}
		bw.WriteString(`]}`)
	}
	bw.WriteByte(']')
	bw.Write(tail)
	// json.Encoder ends the document with a newline; so does the export.
	bw.WriteByte('\n')
	return bw.Flush()
}

// appendItem appends it as json.Marshal would encode it — the export's
// hottest loop, ten thousand items for a busy person, where reflection and
// map-key sorting cost more than reading them (TestAppendItemIsMarshal).
func appendItem(b []byte, it *Item) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, it.ID)
	if !it.CreatedAt.IsZero() {
		b = append(b, `,"created_at":"`...)
		b = it.CreatedAt.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = append(b, `,"values":`...)
	if it.Values == nil {
		b = append(b, "null"...)
	} else {
		keys := make([]string, 0, len(it.Values))
		for k := range it.Values {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, it.Values[k])
		}
		b = append(b, '}')
	}
	d := &it.Deletion
	b = append(b, `,"deletion":{`...)
	sep := false
	member := func(name, v string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
		b = appendString(b, v)
	}
	if !d.Date.IsZero() {
		sep = true
		b = append(b, `"date":"`...)
		b = d.Date.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	for _, m := range [...]struct{ name, v string }{{"action", d.Action}, {"rule", d.Rule}, {"reason", d.Reason}, {"via", d.Via}} {
		if m.v != "" {
			member(m.name, m.v)
		}
	}
	return append(b, "}}"...)
}

// appendString appends s as a JSON string: plain printable ASCII as it is,
// anything else (quotes, HTML characters, control characters, non-ASCII)
// through encoding/json, so the escaping is exactly json.Marshal's.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
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
	f, err := z.CreateHeader(&zip.FileHeader{Name: CSVName(c.Kind), Method: zip.Deflate, Modified: at})
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
