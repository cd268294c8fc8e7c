package desk_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"testing"

	"steward/audit"
	"steward/internal/testkit"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
)

// TestExportStreamsWhatMyDataShows checks that the export, streamed from
// the database kind by kind, carries exactly the overview "My data"
// shows: data.json decodes to the same document, and each kind's CSV has
// a row per item (Art. 15(3), 20 GDPR).
func TestExportStreamsWhatMyDataShows(t *testing.T) {
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				f := newFixture(t, s, site, "2026-03-10")
				f.populate(t)
				ov, err := f.d.Collect(ctx, f.person.ID, desk.CollectOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := f.d.Export(ctx, &buf, f.person.ID, audit.SubjectActor(audit.Pseudonym(f.person.Pseudonym)), desk.CollectOptions{}); err != nil {
					t.Fatal(err)
				}
				z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
				if err != nil {
					t.Fatal(err)
				}
				files := map[string][]byte{}
				for _, zf := range z.File {
					r, err := zf.Open()
					if err != nil {
						t.Fatal(err)
					}
					files[zf.Name], _ = io.ReadAll(r)
					r.Close()
				}
				want, _ := json.Marshal(ov)
				var got, wantDoc any
				if err := json.Unmarshal(files[rights.ExportDataFile], &got); err != nil {
					t.Fatalf("data.json is not JSON: %v\n%s", err, files[rights.ExportDataFile])
				}
				json.Unmarshal(want, &wantDoc)
				gotText, _ := json.Marshal(got)
				wantText, _ := json.Marshal(wantDoc)
				if !bytes.Equal(gotText, wantText) {
					t.Fatalf("streamed data.json differs from My data:\n got %s\nwant %s", gotText, wantText)
				}
				for _, c := range ov.Categories {
					rows, err := csv.NewReader(bytes.NewReader(files[rights.CSVName(c.Kind)])).ReadAll()
					if err != nil {
						t.Fatalf("%s: %v", rights.CSVName(c.Kind), err)
					}
					if len(rows) != 1+len(c.Items) {
						t.Errorf("%s has %d rows, want a header and %d items", rights.CSVName(c.Kind), len(rows), len(c.Items))
					}
				}
			})
		})
	}
}
