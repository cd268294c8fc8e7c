package rights

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"
)

// TestWriteExportReadsEachKindOnce: the export reads each kind's items
// once, buffering its compressed CSV, and reads a kind a second time only
// when that buffer outgrows csvBufferLimit; both ways give the same files
// with the export's time (Art. 15(3), 20 GDPR; issue 7's < 100 ms).
func TestWriteExportReadsEachKindOnce(t *testing.T) {
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ov := &Overview{Schema: ExportSchema, GeneratedAt: at, Site: "ivm", Categories: []Category{
		{Kind: "order", Fields: []FieldInfo{{ID: "order_number"}, {ID: "password"}}},
		{Kind: "empty", Fields: []FieldInfo{{ID: "x"}}},
	}}
	for i := range 2000 {
		ov.Categories[0].Items = append(ov.Categories[0].Items, Item{ID: fmt.Sprint(i), CreatedAt: at,
			Values: map[string]string{"order_number": fmt.Sprintf("=N%06d", i), "password": "secret"}})
	}
	export := func(t *testing.T, limit int) (map[string][]byte, map[string]int) {
		t.Helper()
		old := csvBufferLimit
		csvBufferLimit = limit
		defer func() { csvBufferLimit = old }()
		reads := map[string]int{}
		var buf bytes.Buffer
		err := WriteExport(&buf, ov, func(c *Category, fn func(*Item) error) error {
			reads[c.Kind]++
			for i := range c.Items {
				if err := fn(&c.Items[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, f := range z.File {
			if !f.Modified.Equal(at) {
				t.Errorf("%s modified %v, want %v", f.Name, f.Modified, at)
			}
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			if files[f.Name], err = io.ReadAll(r); err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
		}
		return files, reads
	}
	once, reads := export(t, 8<<20)
	for _, k := range []string{"order", "empty"} {
		if reads[k] != 1 {
			t.Errorf("%s read %d times, want once", k, reads[k])
		}
	}
	twice, reads := export(t, 64)
	if reads["order"] != 2 {
		t.Errorf("order read %d times past the buffer limit, want twice", reads["order"])
	}
	if len(once) != 3 {
		t.Fatalf("files %d, want data.json and two CSVs", len(once))
	}
	for name, b := range once {
		if !bytes.Equal(b, twice[name]) {
			t.Errorf("%s differs between the buffered and the re-read CSV", name)
		}
	}
	if got, want := string(once["empty.csv"]), "id,created_at,deleted_on,deletion_action,deletion_rule,x\n"; got != want {
		t.Errorf("empty.csv = %q, want %q", got, want)
	}
	if !bytes.Contains(once["order.csv"], []byte("\n1999,2026-03-10T12:00:00Z,,,,'=N001999\n")) || bytes.Contains(once["order.csv"], []byte("secret")) {
		t.Errorf("order.csv lacks the last row, defused, or has the password:\n%s", once["order.csv"][len(once["order.csv"])-200:])
	}
}

// TestAppendItemIsMarshal: the export's hand-written item encoding is
// byte for byte json.Marshal's, whatever the values hold.
func TestAppendItemIsMarshal(t *testing.T) {
	ams := time.FixedZone("CET", 3600)
	items := []Item{
		{},
		{ID: "1", Values: map[string]string{}},
		{ID: "account", CreatedAt: time.Date(2026, 3, 10, 12, 0, 0, 123456789, time.UTC),
			Values:   map[string]string{"z": "last", "a": "first", "email": "anna@example.org", "note": "\"quoted\" \\ <b>&amp;</b>\n\t\x01 é 😀 \u2028 \xff"},
			Deletion: Deletion{Date: time.Date(2033, 11, 24, 0, 0, 0, 0, time.UTC), Action: "delete", Rule: "r", Reason: "why <so>", Via: "account"}},
		{ID: "7", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, ams), Values: map[string]string{"x": ""},
			Deletion: Deletion{Rule: "only-rule"}},
		{ID: "\u00e9", Deletion: Deletion{Date: time.Date(2030, 1, 1, 0, 0, 0, 0, ams), Via: "v"}},
	}
	for i := range items {
		want, err := json.Marshal(&items[i])
		if err != nil {
			t.Fatal(err)
		}
		if got := appendItem(nil, &items[i]); !bytes.Equal(got, want) {
			t.Errorf("item %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
