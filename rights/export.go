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
// WriteExport calls it twice per kind (for data.json and for the kind's
// CSV), so a large export is never held in memory.
type Items func(c *Category, fn func(*Item) error) error

// WriteExport writes a person's export (Art. 15(3), Art. 20 GDPR: a copy in
// a structured, commonly used, machine-readable format) as a ZIP straight
// to w: data.json, the whole Overview in the versioned schema of
// docs/export-schema.md, and one CSV per record kind of the policy, named
// after the kind, with a header row even when the person has no items of
// it, so every kind the policy declares is visibly there. The categories'
// items come from items, kind by kind; with items nil they are the
// categories' own Items.
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
	if err := writeJSON(f, ov, items); err != nil {
		return fmt.Errorf("rights: export: %w", err)
	}
	for i := range ov.Categories {
		if err := writeCSV(z, &ov.Categories[i], ov.GeneratedAt, items); err != nil {
			return fmt.Errorf("rights: export %s: %w", ov.Categories[i].Kind, err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("rights: export: %w", err)
	}
	return nil
}

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
		err = items(&ov.Categories[i], func(it *Item) error {
			if n > 0 {
				bw.WriteByte(',')
			}
			n++
			b, err := json.Marshal(it)
			if err != nil {
				return err
			}
			_, err = bw.Write(b)
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

// CSVName is the file a record kind's items are in.
func CSVName(kind string) string { return kind + ".csv" }

func writeCSV(z *zip.Writer, c *Category, at time.Time, items Items) error {
	f, err := z.CreateHeader(&zip.FileHeader{Name: CSVName(c.Kind), Method: zip.Deflate, Modified: at})
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	header := []string{"id", "created_at", "deleted_on", "deletion_action", "deletion_rule"}
	var fields []string
	for _, fi := range c.Fields {
		if fi.ID != "password" {
			fields = append(fields, fi.ID)
		}
	}
	if err := w.Write(append(header, fields...)); err != nil {
		return err
	}
	row := make([]string, len(header)+len(fields))
	err = items(c, func(it *Item) error {
		row[0], row[1] = it.ID, timeText(it.CreatedAt)
		row[2], row[3], row[4] = dateText(it.Deletion.Date), it.Deletion.Action, it.Deletion.Rule
		for j, fid := range fields {
			row[len(header)+j] = csvSafe(it.Values[fid])
		}
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
