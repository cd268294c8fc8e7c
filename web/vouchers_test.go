package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/store"
	"steward/voucher"
)

var (
	codeRE   = regexp.MustCompile(`<code>([0-9A-Z]{4}(?:-[0-9A-Z]{1,4}){4})</code>`)
	noticeRE = regexp.MustCompile(`name="notice" value="([0-9a-f]{64})"`)
)

// TestVoucherPagesRedeemAndReport (issue 17 items 1–3, R6): an
// organisation manager creates vouchers on the staff page (the codes shown
// once, or sent once as CSV); a pharmacist, linked from My account and the
// course page, enters a code and is shown the policy's notice with the
// organisation's name, the report's fields and how long, before anything
// is stored; confirming records that exact notice and enrols them; a used,
// unknown or mistyped code changes nothing. The report has exactly the
// policy's voucher_report columns (no address), records a staff view in
// each redeemer's My data, downloads as CSV, is refused to another
// organisation's manager, and loses an erased redeemer at once (both
// stores).
func TestVoucherPagesRedeemAndReport(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		importCourses(t, st, "ivm")
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		linde := addOrganisation(t, officer, "Apotheek De Linde")
		other := addOrganisation(t, officer, "Apotheek Elders")
		manager := staffBrowserIn(t, st, "manager@example.org", account.RoleOrganisationManager, linde)
		stranger := staffBrowserIn(t, st, "stranger@example.org", account.RoleOrganisationManager, other)

		if a, _ := s.AccountByEmail(ctx, "manager@example.org"); a.OrganisationID != linde {
			t.Fatalf("manager in %q, linde %q other %q", a.OrganisationID, linde, other)
		}
		_, menu := manager.get("/staff/vouchers")
		if !strings.Contains(menu, `href="/staff/vouchers"`) || !strings.Contains(menu, "/staff/organisations/"+linde+"/vouchers") || strings.Contains(menu, other) {
			t.Fatalf("/staff/vouchers for the manager:\n%s", mainOf(t, menu))
		}
		page := "/staff/organisations/" + linde + "/vouchers"
		form := url.Values{"course": {"polyfarmacie"}, "count": {"2"}, "expires": {"2026-12-31"}, "label": {"Team noord"}, "as": {"page"}}
		if resp, _ := stranger.submit("/staff/organisations/"+other+"/vouchers", page, form); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("another organisation's manager creates: %d, want 403", resp.StatusCode)
		}
		resp, created := manager.submit(page, page, form)
		codes := codeRE.FindAllStringSubmatch(created, -1)
		if resp.StatusCode != http.StatusOK || len(codes) != 2 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create: %d, codes %v\n%s", resp.StatusCode, codes, mainOf(t, created))
		}
		form.Set("as", "csv")
		form.Set("count", "1")
		resp, body := manager.submit(page, page, form)
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || err != nil || len(rows) != 2 || rows[1][2] != "2026-12-31" {
			t.Fatalf("create as CSV: %d %q %v", resp.StatusCode, body, err)
		}
		if _, again := manager.get(page); codeRE.MatchString(again) || !strings.Contains(again, "<td>Team noord</td><td>Polyfarmacie</td>") {
			t.Fatalf("the codes are shown again, or the batch is missing:\n%s", mainOf(t, again))
		}

		anna := st.loggedInPerson("anna@example.org")
		annaID := personID(t, s, "anna@example.org")
		if _, acc := anna.get("/account"); !strings.Contains(acc, `href="/vouchers/redeem"`) {
			t.Fatal("My account does not link the voucher page")
		}
		if _, c := anna.get("/courses/polyfarmacie"); !strings.Contains(c, `href="/vouchers/redeem"`) {
			t.Fatal("the course page does not link the voucher page")
		}
		head := testkit.AuditHead(t, s)
		typo := []byte(codes[0][1])
		typo[0] = voucher.Alphabet[(strings.IndexByte(voucher.Alphabet, typo[0])+1)%32]
		for _, tc := range []struct {
			code string
			want int
			text string
		}{
			{string(typo), http.StatusBadRequest, "vergist"},
			{voucher.NewCode(), http.StatusNotFound, "kan niet worden ingewisseld"},
		} {
			resp, body := anna.submit("/vouchers/redeem", "/vouchers/redeem", url.Values{"code": {tc.code}})
			if resp.StatusCode != tc.want || !strings.Contains(body, tc.text) {
				t.Fatalf("code %s: %d, want %d with %q\n%s", tc.code, resp.StatusCode, tc.want, tc.text, mainOf(t, body))
			}
		}
		resp, preview := anna.submit("/vouchers/redeem", "/vouchers/redeem?lang=en", url.Values{"code": {strings.ToLower(codes[0][1])}})
		m := noticeRE.FindStringSubmatch(preview)
		if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(preview, "created by Apotheek De Linde") ||
			!strings.Contains(preview, "whoever created this voucher will see your learning") || !strings.Contains(preview, "<li>Score</li>") ||
			!strings.Contains(preview, "Polypharmacy") || strings.Contains(preview, "<li>E-mail address</li>") {
			t.Fatalf("the notice:\n%s", mainOf(t, preview))
		}
		if recs, _ := s.RecordsOf(ctx, annaID); len(recs) != 0 {
			t.Fatalf("the preview stored %+v", recs)
		}
		testkit.AssertAudit(t, s, head)
		confirm := url.Values{"code": {strings.ToLower(codes[0][1])}, "notice": {m[1]}, "csrf": {anna.csrf("/vouchers/redeem")}}
		resp, _ = anna.post("/vouchers/redeem/confirm?lang=en", confirm)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/courses/polyfarmacie?done=enrolled&lang=en" {
			t.Fatalf("confirm: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		seen, err := s.VouchersOf(ctx, annaID)
		if err != nil || len(seen) != 1 || seen[0].NoticeHash != m[1] || seen[0].NoticeLang != "en" {
			t.Fatalf("the notice record: %+v %v", seen, err)
		}
		if _, c := anna.get("/courses/polyfarmacie"); !strings.Contains(c, `id="enrolled"`) {
			t.Fatalf("not enrolled:\n%s", mainOf(t, c))
		}
		resp, body = anna.post("/vouchers/redeem/confirm", confirm)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "kan niet worden ingewisseld") {
			t.Fatalf("a second redemption: %d\n%s", resp.StatusCode, mainOf(t, body))
		}
		bob := st.loggedInPerson("bob@example.org")
		bobID := personID(t, s, "bob@example.org")
		_, preview = bob.submit("/vouchers/redeem", "/vouchers/redeem", url.Values{"code": {codes[1][1]}})
		m = noticeRE.FindStringSubmatch(preview)
		if resp, _ := bob.submit("/vouchers/redeem", "/vouchers/redeem/confirm", url.Values{"code": {codes[1][1]}, "notice": {m[1]}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("bob's redemption: %d", resp.StatusCode)
		}

		// The report: exactly the declared columns, nothing else.
		report := "/staff/organisations/" + linde + "/voucher-report"
		if resp, _ := stranger.get(report); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("another organisation's report: %d, want 403", resp.StatusCode)
		}
		_, rep := manager.get(report)
		main := mainOf(t, rep)
		header := "<th scope=\"col\">Voornaam</th><th scope=\"col\">Achternaam</th><th scope=\"col\">Naam organisatie</th><th scope=\"col\">Cursus</th><th scope=\"col\">Datum ingewisseld</th><th scope=\"col\">Score</th><th scope=\"col\">Geslaagd</th><th scope=\"col\">Datum afgerond</th>"
		if !strings.Contains(main, header) || strings.Count(main, "<tr>") != 3 || !strings.Contains(main, "nog niet afgerond") ||
			!strings.Contains(main, "Polyfarmacie") || !strings.Contains(main, "24 november 2026") || strings.Contains(main, "@example.org") {
			t.Fatalf("the report:\n%s", main)
		}
		resp, body = manager.get(report + "?format=csv")
		rows, err = csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(rows) != 3 || strings.Join(rows[0], ",") != "Voornaam,Achternaam,Naam organisatie,Cursus,Datum ingewisseld,Score,Geslaagd,Datum afgerond" || strings.Contains(body, "@") {
			t.Fatalf("the CSV: %d %q %v", resp.StatusCode, body, err)
		}
		views, err := s.StaffViewsOf(ctx, annaID)
		if err != nil || len(views) != 2 {
			t.Fatalf("anna's staff views after the report and the CSV: %+v %v", views, err)
		}
		if _, data := anna.get("/account/data"); !strings.Contains(data, "Organisatiebeheerder") {
			t.Fatalf("My data does not show the manager's view:\n%s", mainOf(t, data))
		}
		// The voucher's course and the enrolment by it are named by the
		// course's title, never its slug (issue 13 item 10).
		if _, data := anna.get("/account/data?lang=en"); strings.Count(data, "<td>Polypharmacy</td>") != 2 || strings.Contains(visibleText(t, data), "polyfarmacie") {
			t.Fatalf("My data does not name the voucher's course by its title:\n%s", mainOf(t, data))
		}

		// Bob erases his account: gone from the report at once.
		svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, "ivm"), Store: s, Clock: st.clock})
		if err != nil {
			t.Fatal(err)
		}
		bobAcct, _ := s.AccountByID(ctx, bobID)
		if _, err := svc.Desk.Erase(ctx, bobID, audit.SubjectActor(audit.Pseudonym(bobAcct.Pseudonym))); err != nil {
			t.Fatal(err)
		}
		if _, rep := manager.get(report); strings.Count(mainOf(t, rep), "<tr>") != 2 {
			t.Fatalf("the erased redeemer is still in the report:\n%s", mainOf(t, rep))
		}
	})
}

// TestVoucherRedeemRateLimit (issue 17 item 2): guessing codes costs a
// token per try from the account's bucket and the client's; the
// eleventh try in a row is refused with 429 and changes nothing.
func TestVoucherRedeemRateLimit(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		importCourses(t, st, "ivm")
		anna := st.loggedInPerson("anna@example.org")
		for i := 1; i <= 11; i++ {
			resp, body := anna.submit("/vouchers/redeem", "/vouchers/redeem", url.Values{"code": {voucher.NewCode()}})
			want := http.StatusNotFound
			if i == 11 {
				want = http.StatusTooManyRequests
			}
			if resp.StatusCode != want {
				t.Fatalf("try %d: %d, want %d\n%s", i, resp.StatusCode, want, mainOf(t, body))
			}
		}
		if recs, _ := s.RecordsOf(context.Background(), personID(t, s, "anna@example.org")); len(recs) != 0 {
			t.Fatalf("tries stored %+v", recs)
		}
	})
}
