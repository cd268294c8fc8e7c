package rights

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"steward/policy"
)

// TestWriteExportReadsEachKindOnce: the export reads each kind's items
// once, buffering its CSV, and reads a kind a second time only
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
	var zips [][]byte
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
		zips = append(zips, buf.Bytes())
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
	if !bytes.Equal(zips[0], zips[1]) {
		t.Error("the ZIP with buffered CSVs differs from the one with a CSV read again")
	}
	if got, want := string(once["empty.csv"]), "id,created_at,deleted_on,deletion_action,deletion_rule,x\n"; got != want {
		t.Errorf("empty.csv = %q, want %q", got, want)
	}
	if !bytes.Contains(once["order.csv"], []byte("\n1999,2026-03-10T12:00:00Z,,,,'=N001999\n")) || bytes.Contains(once["order.csv"], []byte("secret")) {
		t.Errorf("order.csv lacks the last row, defused, or has the password:\n%s", once["order.csv"][len(once["order.csv"])-200:])
	}
}

// TestWriteJSONIsMarshal: data.json, streamed kind by kind, is byte for
// byte the document json.Marshal makes of the whole overview, whatever the
// values hold.
func TestWriteJSONIsMarshal(t *testing.T) {
	ov := exportOverview()
	want, err := json.Marshal(ov)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := writeJSON(&got, ov, func(c *Category, fn func(*Item) error) error {
		for i := range c.Items {
			if err := fn(&c.Items[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want = append(want, '\n'); !bytes.Equal(got.Bytes(), want) {
		t.Errorf("data.json:\n got %s\nwant %s", got.Bytes(), want)
	}
}

// TestWriteExportIsDeterministic: the same data gives the same bytes —
// the ZIP carries the export's time, not the clock's, and values held in
// maps come out in one order — so the export staff produce for a request
// is the very file the person downloads (Art. 15(3), 20 GDPR).
func TestWriteExportIsDeterministic(t *testing.T) {
	export := func() []byte {
		t.Helper()
		var buf bytes.Buffer
		if err := WriteExport(&buf, exportOverview(), nil); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	first := export()
	time.Sleep(2 * time.Second) // past the ZIP's two-second time resolution
	for range 5 {
		if again := export(); !bytes.Equal(first, again) {
			t.Fatalf("two exports of the same data differ (%d and %d bytes)", len(first), len(again))
		}
	}
	z, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatal(err)
	}
	at := exportOverview().GeneratedAt
	for _, f := range z.File {
		if !f.Modified.Equal(at) {
			t.Errorf("%s modified %v, want the export's time %v", f.Name, f.Modified, at)
		}
	}
}

// exportOverview is an overview whose items hold what JSON must escape,
// times in two zones and maps of several keys.
func exportOverview() *Overview {
	ams := time.FixedZone("CET", 3600)
	items := []Item{
		{},
		{ID: "1", Values: map[string]string{}},
		{ID: "account", CreatedAt: time.Date(2026, 3, 10, 12, 0, 0, 123456789, time.UTC),
			Values:   map[string]string{"z": "last", "a": "first", "email": "anna@example.org", "note": "\"quoted\" \\ <b>&amp;</b>\n\t\x01 é 😀 \u2028 \xff"},
			Deletion: Deletion{Date: time.Date(2033, 11, 24, 0, 0, 0, 0, time.UTC), Action: "delete", Rule: "r", Reason: policy.Text{NL: "waarom <zo>", EN: "why <so>"}, Via: "account"}},
		{ID: "7", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, ams), Values: map[string]string{"x": ""},
			Deletion: Deletion{Rule: "only-rule"}},
		{ID: "\u00e9", Deletion: Deletion{Date: time.Date(2030, 1, 1, 0, 0, 0, 0, ams), Via: "v"}},
	}
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	return &Overview{Schema: ExportSchema, GeneratedAt: at, Site: "ivm <&>", Policy: "v1", SubjectID: "a-1", Categories: []Category{
		{Kind: "account", System: "web", Erasure: "anonymise", KeepPeriod: "P7Y", Fields: []FieldInfo{{ID: "email"}, {ID: "note"}, {ID: "password"}}, Items: items},
		// The export writes an empty list, never null, for a kind without items.
		{Kind: "empty", Fields: []FieldInfo{{ID: "x"}}, Items: []Item{}},
		{Kind: "order", Fields: []FieldInfo{{ID: "x"}}, Items: items[3:]},
	}}
}
