package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"steward/account"
	"steward/anonymise"
	"steward/anonymise/partner"
	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
	"steward/store"
)

// TestStaffPartnerExports (issue 19 item 4, Z6): a recorded partner export
// is listed for the privacy officer on a page linked from the staff menu —
// date, partner, the columns, the counts from live accounts and from
// anonymised accounts' statistics, k and l, suppressed, how each field was
// generalised, the loss measures and the report's hash — and its disclosure shows in the
// audit log the page links to; support staff may not open it; IVM, which
// names no analysis partner, has neither page nor link. A person's My
// data says their data are used anonymised by the partners, not sent to
// them.
func TestStaffPartnerExports(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "zorginspirator")
		p := testkit.Policy(t, "zorginspirator")
		officer := staffBrowser(t, st, "po@example.org", account.RolePrivacyOfficer)
		if _, page := officer.get("/staff/partner-exports"); !strings.Contains(page, `id="no-exports"`) {
			t.Fatalf("no export yet:\n%s", mainOf(t, page))
		}
		cols := []string{"profile.gender", "profile.age", "profile.work_preferences"}
		rows := [][]string{{"female", "35-39", "parttime"}, {"female", "35-39", "fulltime"}, {"female", "35-39", "parttime"},
			{"female", "35-39", ""}, {"female", "35-39", ""}}
		ex := &partner.Export{Partner: "fwg", Live: 4, Excluded: 1, Sensitive: []string{"profile.work_preferences"}, Result: &anonymise.Result{Columns: cols, Rows: rows,
			Statistics: []bool{false, false, false, true, true},
			Report: anonymise.Report{K: 5, L: 2, RequiredK: 5, RequiredL: 2, Records: 6, Released: 5, Suppressed: 1, StatisticsRecords: 2,
				StatisticsReleased: 2, Classes: 1, NCP: 0.125, Discernibility: 31, Algorithm: anonymise.Algorithm, Attributes: []anonymise.Attribute{
					{Field: "profile.gender", Recoding: "hierarchy", Cuts: 0, Values: 1, NCP: 0}, {Field: "profile.age", Recoding: "range", Cuts: 3, Values: 1, NCP: 0.25}}}}}
		svc := &partner.Service{Policy: p, Store: s, Gate: consent.NewGate(p, s), Clock: st.clock,
			Audit: &audit.Log{Clock: st.clock, PolicyVersion: func() string { return p.Version.Number }}}
		id, err := svc.Record(ctx, audit.Staff("st_po"), ex, strings.Repeat("ab", 32))
		if err != nil {
			t.Fatal(err)
		}
		_, home := officer.get("/staff/")
		if !strings.Contains(home, `href="/staff/partner-exports"`) {
			t.Fatalf("the staff menu does not link the partner exports:\n%s", mainOf(t, home))
		}
		_, page := officer.get("/staff/partner-exports?lang=en")
		text := visibleText(t, page)
		for _, w := range []string{"Stichting FWG", id, "profile.work_preferences", "5 of 7 rows handed over",
			"4 from live accounts, 2 from anonymised accounts", "(2 handed over), 1 excluded", "1 left out",
			"k = 5, l = 2", "by Mondrian partitioning", "ranges of values", "3 cuts, 1 different values, NCP 0.250", "NCP 0.125", "discernibility 31", "abababababab…", "Disclosure in the audit log"} {
			if !strings.Contains(text, w) {
				t.Errorf("the exports page lacks %q:\n%s", w, text)
			}
		}
		day := st.clock.Now().Format("2006-01-02")
		if !strings.Contains(page, "/staff/audit?action=export.anonymised&amp;from="+day) {
			t.Errorf("no link to the disclosure in the audit log:\n%s", mainOf(t, page))
		}
		_, log := officer.get("/staff/audit?action=export.anonymised&from=" + day + "&to=" + day)
		if !strings.Contains(log, "fwg:"+id) {
			t.Errorf("the audit log does not show the disclosure fwg:%s:\n%s", id, mainOf(t, log))
		}
		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		if resp, _ := support.get("/staff/partner-exports"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("support staff: %d, want 403", resp.StatusCode)
		}
		if _, h := support.get("/staff/"); strings.Contains(h, "/staff/partner-exports") {
			t.Error("support staff see the link")
		}

		// My data: used anonymised, not sent.
		person := st.browser()
		zorgSignUpAndConfirm(t, st, person, "anna@example.org")
		anna, err := s.AccountByEmail(ctx, "anna@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.PutProfile(ctx, p, anna.ID, "profile", account.Values{"age": "37"}, st.clock.Now())
		}); err != nil {
			t.Fatal(err)
		}
		person.login("anna@example.org", "correct horse battery")
		_, data := person.get("/account/data?lang=en")
		dtext := visibleText(t, data)
		if !strings.Contains(dtext, "Used anonymised") || !strings.Contains(dtext, "Your data are not sent to Stichting FWG, MarktMonitor B.V.") {
			t.Errorf("My data does not say the partners use the data anonymised:\n%s", dtext)
		}
		if strings.Contains(dtext, "Recipients Google, Stichting FWG") || strings.Contains(dtext, "Recipients Stichting FWG") {
			t.Errorf("My data lists an analysis partner as a recipient:\n%s", dtext)
		}

		ivm := newSite(t, s, "ivm")
		io := staffBrowser(t, ivm, "po2@example.org", account.RolePrivacyOfficer)
		if _, h := io.get("/staff/"); strings.Contains(h, "/staff/partner-exports") {
			t.Error("IVM, which names no analysis partner, links the exports")
		}
		if resp, _ := io.get("/staff/partner-exports"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("IVM /staff/partner-exports: %d, want 404", resp.StatusCode)
		}
	})
}
