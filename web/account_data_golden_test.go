package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/rights"
	"steward/store"
)

// TestMyDataGolden renders /account/data for one fixed, fully populated
// IVM person — profile, a record of every kind, a consent, a request, a
// disclosure, a staff view, a restriction — at the site's fixed clock, in
// Dutch and English, and compares it with web/testdata (go test ./web
// -update rewrites them; review the diff). Random ids and the CSRF token
// are replaced by stable names first.
func TestMyDataGolden(t *testing.T) {
	ctx := context.Background()
	s := testkit.SQLite(t)
	st := newSite(t, s, "ivm")
	b := st.browser()
	st.signUpAndConfirm(b, "anna@example.org")
	if resp := b.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	id := personID(t, s, "anna@example.org")
	p := testkit.Policy(t, "ivm")
	now := st.clock.Now()
	for i, rec := range p.Records {
		if rec.Subject != policy.SubjectAccount || rec.ID == "account" {
			continue
		}
		vals := map[string]string{}
		for _, f := range rec.Fields {
			if f.Type == policy.TypeText && !f.Sensitive {
				vals[f.ID] = fmt.Sprintf("%s %s", rec.ID, f.ID)
			}
		}
		addRecord(t, s, "ivm", id, rec.ID, now.AddDate(0, -i, 0), vals)
	}
	if cp := p.ConsentPurposes(); len(cp) > 0 {
		if err := consent.NewService(p, s, st.clock).Give(ctx, id, cp[0].ID, policy.ChannelSettings, "nl"); err != nil {
			t.Fatal(err)
		}
	}
	d := testDesk(t, st, "ivm")
	po := audit.Staff("a-po")
	if _, err := d.Add(ctx, po, rights.NewRequest{SubjectID: id, Type: rights.TypeAccess, Channel: rights.ChannelLetter, ReceivedOn: now.AddDate(0, 0, -3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.RecordDisclosure(ctx, po, rights.NewDisclosure{SubjectID: id, Ground: "fraud_authorities",
		Recipient: "Politie Utrecht", Categories: []string{"order"}, DisclosedOn: now.AddDate(0, 0, -2), Reference: "PV-2026-118"}); err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(tx *store.Tx) error {
		return tx.RecordStaffView(ctx, store.StaffView{At: now.AddDate(0, 0, -1), StaffID: "a-helpdesk", SubjectID: id, Fields: []string{"email", "first_name"}})
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.Restrict(ctx, id, "the order amount is wrong", po); err != nil {
		t.Fatal(err)
	}

	stable := strings.NewReplacer(id, "SUBJECT")
	for _, lang := range []string{"nl", "en"} {
		resp, body := b.get("/account/data?lang=" + lang)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("my data (%s): %d\n%s", lang, resp.StatusCode, body)
		}
		body = stable.Replace(body)
		body = reqIDs.ReplaceAllString(body, "req_ID")
		body = csrfValue.ReplaceAllString(body, `${1}CSRF"`)
		checkGolden(t, "testdata/account_data.ivm."+lang+".golden", body)
	}
}

var (
	reqIDs    = regexp.MustCompile(`req_[0-9a-f]+`)
	csrfValue = regexp.MustCompile(`(name="csrf"[^>]*value=")[^"]*"`)
)
