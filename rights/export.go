package rights

import (
	"archive/zip"
	"compress/flate"
	"encoding/csv"
	"encoding/json"
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

// WriteExport writes a person's export (Art. 15(3), Art. 20 GDPR: a copy in
// a structured, commonly used, machine-readable format) as a ZIP straight
// to w: data.json, the whole Overview in the versioned schema of
// docs/export-schema.md, and one CSV per record kind of the policy, named
// after the kind, with a header row even when the person has no items of
// it, so every kind the policy declares is visibly there.
func WriteExport(w io.Writer, ov *Overview) error {
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
	if err := json.NewEncoder(f).Encode(ov); err != nil {
		return fmt.Errorf("rights: export: %w", err)
	}
	for i := range ov.Categories {
		if err := writeCSV(z, &ov.Categories[i], ov.GeneratedAt); err != nil {
			return fmt.Errorf("rights: export %s: %w", ov.Categories[i].Kind, err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("rights: export: %w", err)
	}
	return nil
}

// CSVName is the file a record kind's items are in.
func CSVName(kind string) string { return kind + ".csv" }

func writeCSV(z *zip.Writer, c *Category, at time.Time) error {
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
	for _, it := range c.Items {
		row[0], row[1] = it.ID, timeText(it.CreatedAt)
		row[2], row[3], row[4] = dateText(it.Deletion.Date), it.Deletion.Action, it.Deletion.Rule
		for j, fid := range fields {
			row[len(header)+j] = csvSafe(it.Values[fid])
		}
		if err := w.Write(row); err != nil {
			return err
		}
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
