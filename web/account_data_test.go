package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/internal/testkit"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
)

// personID returns the account id of the person with the given address.
func personID(t *testing.T, s *store.Store, email string) string {
	t.Helper()
	a, err := s.AccountByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// addRecord stores one record of kind for subject.
func addRecord(t testing.TB, s *store.Store, site, subject, kind string, at time.Time, vals map[string]string) {
	t.Helper()
	p := testkit.Policy(t, site)
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.InsertRecord(context.Background(), p, &store.Record{Subject: subject, Kind: kind, CreatedAt: at, Values: vals})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testDesk(t testing.TB, st *site, siteName string) *desk.Desk {
	return &desk.Desk{Store: st.store, Policy: testkit.Policy(t, siteName), Clock: st.clock}
}

func TestMyDataExportAndErasureEndToEnd(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		b := st.browser()
		st.signUpAndConfirm(b, "anna@example.org")
		if resp := b.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		id := personID(t, s, "anna@example.org")
		addRecord(t, s, "ivm", id, "order", st.clock.Now().AddDate(0, -1, 0), map[string]string{"order_number": "ORD-4711", "items": "Handboek medicatieveiligheid"})
		// Issue 17: the paid order's invoice is what erasure keeps.
		addRecord(t, s, "ivm", id, "invoice", st.clock.Now().AddDate(0, -1, 0), map[string]string{"invoice_number": "2026-000001", "items": "Handboek medicatieveiligheid"})
		d := testDesk(t, st, "ivm")
		if _, err := d.RecordDisclosure(ctx, audit.Staff("a-po"), rights.NewDisclosure{SubjectID: id, Ground: "fraud_authorities",
			Recipient: "Politie Utrecht", Categories: []string{"order"}, DisclosedOn: st.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.RecordDisclosure(ctx, audit.Staff("a-po"), rights.NewDisclosure{SubjectID: id, Ground: "fraud_authorities",
			Recipient: "FIOD geheim", Categories: []string{"account"}, DisclosedOn: st.clock.Now(), Withheld: true, WithholdReason: "Sv 126nd"}); err != nil {
			t.Fatal(err)
		}
		// Someone else, whose data must never show.
		other := st.browser()
		st.signUpAndConfirm(other, "piet@example.org")
		otherID := personID(t, s, "piet@example.org")
		otherReq, err := d.Add(ctx, audit.Staff("a-po"), rights.NewRequest{SubjectID: otherID, Type: rights.TypeAccess, Channel: rights.ChannelEmail, ReceivedOn: st.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}

		resp, body := b.get("/account/data")
		if resp.StatusCode != 200 {
			t.Fatalf("my data: %d\n%s", resp.StatusCode, body)
		}
		for _, want := range []string{"Apotheek Noord", "ORD-4711", `id="kind-order"`, "Politie Utrecht", "Proserve", "november 2033"} {
			if !strings.Contains(body, want) {
				t.Errorf("my data lacks %q", want)
			}
		}
		for _, never := range []string{"FIOD geheim", "piet@example.org"} {
			if strings.Contains(body, never) {
				t.Errorf("my data shows %q", never)
			}
		}

		// The API gives the same overview in the export's schema.
		resp, body = b.get("/api/v1/me/data")
		var ov rights.Overview
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &ov) != nil || ov.Schema != rights.ExportSchema || ov.SubjectID != id {
			t.Fatalf("api: %d %s", resp.StatusCode, body)
		}

		// Export: a ZIP with data.json and one CSV per record kind.
		since := testkit.AuditHead(t, s)
		resp, body = b.get("/account/data/export")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		files := unzip(t, body)
		for _, rec := range testkit.Policy(t, "ivm").Records {
			if _, ok := files[rights.CSVName(rec.ID)]; !ok {
				t.Errorf("export lacks %s", rights.CSVName(rec.ID))
			}
		}
		if !strings.Contains(files["order.csv"], "ORD-4711") || !strings.Contains(files[rights.ExportDataFile], "Politie Utrecht") {
			t.Errorf("export lacks the order or the disclosure")
		}
		for name, content := range files {
			for _, never := range []string{"FIOD geheim", "piet@example.org", otherID} {
				if strings.Contains(content, never) {
					t.Errorf("%s holds %q", name, never)
				}
			}
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ExportDownload, ObjectID: id})

		// Restriction and a self-service request.
		if resp, _ := b.submit("/account/data", "/account/data/restrict", url.Values{"reason": {"the order amount is wrong"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("restrict: %d", resp.StatusCode)
		}
		if resp, _ := b.submit("/account/data", "/account/data/requests", url.Values{"type": {"rectification"}, "details": {"order address"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("request: %d", resp.StatusCode)
		}
		_, body = b.get("/account/data")
		if !strings.Contains(body, `id="restricted"`) || !strings.Contains(body, "rectification") {
			t.Fatalf("restriction or request missing from my data")
		}
		reqID := regexp.MustCompile(`/account/data/requests/(req_[0-9a-f]+)`).FindStringSubmatch(body)
		if reqID == nil {
			t.Fatal("no request link")
		}
		if resp, _ := b.get("/account/data/requests/" + reqID[1]); resp.StatusCode != 200 {
			t.Fatalf("own request: %d", resp.StatusCode)
		}
		// IDOR: someone else's request is not found, and unchanged.
		if resp, _ := b.get("/account/data/requests/" + otherReq.ID); resp.StatusCode != 404 {
			t.Fatalf("other's request: %d, want 404", resp.StatusCode)
		}

		// Erasure: the plan first, then one transaction.
		_, body = b.get("/account/data/erase")
		if !strings.Contains(body, "step-keep") || !strings.Contains(body, "step-delete") {
			t.Fatalf("erase plan lacks keep/delete:\n%s", body)
		}
		if resp, body := b.submit("/account/data/erase", "/account/data/erase", url.Values{}); resp.StatusCode == 200 {
			t.Fatalf("erase without confirmation succeeded: %s", body)
		}
		if resp, body := b.submit("/account/data/erase", "/account/data/erase", url.Values{"confirm": {"yes"}}); resp.StatusCode != 200 {
			t.Fatalf("erase: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := b.get("/account/data"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session survived erasure: %d", resp.StatusCode)
		}
		if _, err := d.Erase(ctx, id, audit.Staff("a-po")); err == nil {
			t.Fatal("erasing twice succeeded")
		}
		// The other person is untouched.
		if _, err := d.Request(ctx, otherReq.ID, otherID); err != nil {
			t.Fatalf("other person's request changed: %v", err)
		}
		// The address is free again and gives a fresh account.
		fresh := st.browser()
		st.signUpAndConfirm(fresh, "anna@example.org")
		if again := personID(t, s, "anna@example.org"); again == id {
			t.Fatal("re-using the address revived the erased account")
		}
		st.log.AssertNoValues(t, "anna@example.org", "ORD-4711", "Apotheek Noord")
	})
}

func unzip(t *testing.T, body string) map[string]string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		t.Fatalf("export is not a ZIP: %v", err)
	}
	out := map[string]string{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		out[f.Name] = string(b)
	}
	return out
}
