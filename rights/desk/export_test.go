package desk_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"testing"

	"steward"
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

// TestExportForRequest: for a verified access or portability request that
// arrived by letter, staff get the very ZIP the person's own export is —
// the same bytes — with export.download recorded by the staff member on
// the request, and an export_produced step on its timeline (R12, R13, Z8).
// An unverified request, one of another type, a closed one and an unknown
// one are refused: nothing is written, recorded or added to the timeline.
func TestExportForRequest(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2026-03-10")
		f.populate(t)
		ps := audit.Pseudonym(f.person.Pseudonym)
		access := f.add(t, rights.TypeAccess, "2026-03-09")
		portability := f.add(t, rights.TypePortability, "2026-03-09")
		erasure := f.add(t, rights.TypeErasure, "2026-03-09")
		for _, r := range []*rights.Request{portability, erasure} {
			if _, err := f.d.VerifyManually(ctx, staff, r.ID, "identity card shown at the desk"); err != nil {
				t.Fatal(err)
			}
		}
		steps := func(id string) int {
			t.Helper()
			it, err := f.d.Request(ctx, id, "")
			if err != nil {
				t.Fatal(err)
			}
			return len(it.Steps)
		}
		refused := func(id, code, says string) {
			t.Helper()
			before := 0
			if code != steward.ENOTFOUND {
				before = steps(id)
			}
			since := testkit.AuditHead(t, s)
			var buf bytes.Buffer
			err := f.d.ExportForRequest(ctx, &buf, id, staff, desk.CollectOptions{})
			wantCode(t, err, code)
			if says != "" && steward.ErrorKey(err) != says {
				t.Errorf("refusal %q has message key %q, want %q", err, steward.ErrorKey(err), says)
			}
			if buf.Len() != 0 {
				t.Errorf("a refused export wrote %d bytes", buf.Len())
			}
			testkit.AssertAudit(t, s, since)
			if code != steward.ENOTFOUND && steps(id) != before {
				t.Errorf("a refused export changed the timeline of %s", id)
			}
		}
		refused(access.ID, steward.ECONFLICT, "error.export_identity_not_verified")
		refused(erasure.ID, steward.ECONFLICT, "error.only_access_or_portability")
		refused("req_nope", steward.ENOTFOUND, "")

		// The person's own export, for comparison, at the same moment.
		var own bytes.Buffer
		if err := f.d.Export(ctx, &own, f.person.ID, audit.SubjectActor(ps), desk.CollectOptions{}); err != nil {
			t.Fatal(err)
		}
		since := testkit.AuditHead(t, s)
		var got bytes.Buffer
		if err := f.d.ExportForRequest(ctx, &got, portability.ID, staff, desk.CollectOptions{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), own.Bytes()) {
			t.Fatalf("the export for the request (%d bytes) differs from the person's own (%d bytes)", got.Len(), own.Len())
		}
		if _, err := zip.NewReader(bytes.NewReader(got.Bytes()), int64(got.Len())); err != nil {
			t.Fatalf("not a ZIP: %v", err)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ExportDownload, Actor: staff, ObjectKind: "request",
			ObjectID: portability.ID, Subject: ps, Fields: []string{"export_v1"}})
		it, err := f.d.Request(ctx, portability.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		last := it.Steps[len(it.Steps)-1]
		if last.Kind != rights.StepExportProduced || last.Actor != string(staff) || !last.At.Equal(f.clk.Now()) {
			t.Fatalf("last step %+v, want export_produced by %s", last, staff)
		}
		if it.Status != rights.StatusVerified {
			t.Fatalf("producing the export changed the status to %s", it.Status)
		}

		// Closed: no export any more.
		if _, err := f.d.Complete(ctx, staff, portability.ID, "export handed over on a USB stick"); err != nil {
			t.Fatal(err)
		}
		refused(portability.ID, steward.ECONFLICT, "error.request_closed_no_export")
	})
}
