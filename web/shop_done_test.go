package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/apikey"
	"steward/audit"
	"steward/internal/testkit"
	"steward/learning"
	lmsoutbox "steward/lms"
	"steward/order/mollie"
	"steward/policy"
	"steward/retention/runner"
	"steward/store"
	"steward/voucher"
)

// TestShopDoneWhen is issue 17's "done when", on both stores, through the
// real pages, the LMS outbox against the test Moodle, the xAPI resource,
// the Mollie test server and the retention plan: an organisation manager
// creates 3 vouchers; two pharmacists redeem them (each shown the notice
// naming the organisation and the report's fields first), are
// provisioned to Moodle (the user created and enrolled by the LMS outbox),
// complete the course (a passing xAPI statement with Avetica's key), and
// appear in the organisation's report with exactly the fields the policy
// declares — no address, no register number, not their other course; one
// erases her account and vanishes from the report at once (and from
// Moodle); another person orders a publication, pays through Mollie (the
// webhook first, then the redirect), downloads it, and the retention plan
// --as-of a year on holds her account, which the 7-year rule deletes only
// seven years after her last login. Every step is in the audit log, which
// holds none of the personal values used.
func TestShopDoneWhen(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st, mol := shopSite(t, s)
		importCourses(t, st, "ivm")
		svc := st.wired(t)
		p := testkit.Policy(t, "ivm")
		// The voucher's course is in the LMS as course 43.
		if _, err := svc.Learning.Import(ctx, audit.Staff("a-po"), []learning.Course{{Slug: "polyfarmacie",
			Title: policy.Text{NL: "Polyfarmacie", EN: "Polypharmacy"}, LMSCourseID: "43", PriceCents: 124950, Published: true}}); err != nil {
			t.Fatal(err)
		}
		moodle := testkit.NewMoodle(t)
		moodle.AddCourse(42)
		moodle.AddCourse(43)
		d := lmsoutbox.NewDispatcher(s, lmsoutbox.NewClient(lmsoutbox.Config{URL: moodle.URL, Token: moodle.Token}, nil), svc.LMSValues, st.clock, svc.Audit,
			lmsoutbox.Options{})
		deliver := func(want lmsoutbox.Report) {
			t.Helper()
			if r, err := d.DeliverDue(ctx); err != nil || r != want {
				t.Fatalf("deliver to Moodle: %+v %v, want %+v", r, err, want)
			}
		}
		since := testkit.AuditHead(t, s)

		// The organisation manager creates three vouchers.
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		linde := addOrganisation(t, officer, "Apotheek De Linde")
		manager := staffBrowserIn(t, st, "manager@example.org", account.RoleOrganisationManager, linde)
		page := "/staff/organisations/" + linde + "/vouchers"
		resp, created := manager.submit(page, page, url.Values{"course": {"polyfarmacie"}, "count": {"3"}, "expires": {"2026-12-31"},
			"label": {"Team noord"}, "as": {"page"}})
		codes := codeRE.FindAllStringSubmatch(created, -1)
		if resp.StatusCode != http.StatusOK || len(codes) != 3 {
			t.Fatalf("create 3 vouchers: %d, codes %v\n%s", resp.StatusCode, codes, mainOf(t, created))
		}

		// Two pharmacists redeem one each, seeing the notice first.
		anna := pharmacist(t, st, "anna@example.org", "Anna", "de Vries", "19012345601", codes[0][1])
		bob := pharmacist(t, st, "bob@example.org", "Bob", "Jansen", "29012345602", codes[1][1])
		// Anna also takes the free course: the report does not show it.
		if resp, _ := anna.b.submit("/courses/medicatiebewaking", "/courses/medicatiebewaking/enrol", url.Values{}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("free enrolment: %d", resp.StatusCode)
		}

		// All three enrolments reach Moodle the same way: each user is
		// created once, with their LMS details, and enrolled as a student.
		deliver(lmsoutbox.Report{Done: 3})
		for _, ph := range []*redeemer{anna, bob} {
			u, ok := moodle.UserBy(strconv.FormatInt(ph.lmsID, 10))
			if !ok || u.Email != "lms."+ph.email || u.Auth != "oauth2" {
				t.Fatalf("Moodle's user for %s: %+v %v", ph.email, u, ok)
			}
			if role, ok := moodle.Enrolled(43, u.ID); !ok || role != 5 {
				t.Fatalf("%s not enrolled in course 43: %d %v", ph.email, role, ok)
			}
			ph.moodleID = u.ID
		}
		if n := len(moodle.CallsOf("core_user_create_users")); n != 2 {
			t.Fatalf("%d users created in Moodle, want 2", n)
		}
		if _, data := anna.b.get("/account/data"); !strings.Contains(data, "Inschrijving voor Polyfarmacie") || !strings.Contains(data, "bevestigd door de leeromgeving op 24 november 2026") {
			t.Fatalf("My data does not show the enrolment's confirmation:\n%s", mainOf(t, data))
		}

		// They complete the course in the LMS, which reports it as xAPI.
		key, err := svc.APIKeys.Create(ctx, audit.Staff("a-po"), "avetica", apikey.ScopeXAPI, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		lrs := &lms{t: t, base: st.srv.URL, user: key.Key.ID, secret: key.Secret}
		for i, ph := range []*redeemer{anna, bob} {
			score := []string{"0.9", "0.75"}[i]
			if code, body := lrs.send("POST", "", statement("", st.srv.URL, ph.lmsID, "passed", "https://moodle-nascholing.example/course/view.php?id=43",
				`{"score": {"scaled": `+score+`}, "success": true, "completion": true}`)); code != http.StatusOK {
				t.Fatalf("statement for %s: %d %s", ph.email, code, body)
			}
		}

		// The report: exactly the declared columns, one row each.
		var header strings.Builder
		for _, c := range voucher.ReportColumns(p) {
			header.WriteString(`<th scope="col">` + c.Name.NL + `</th>`)
		}
		report := "/staff/organisations/" + linde + "/voucher-report"
		_, rep := manager.get(report)
		main := mainOf(t, rep)
		if !strings.Contains(main, header.String()) || strings.Count(main, "<tr>") != 3 || !strings.Contains(main, "de Vries") ||
			!strings.Contains(main, "Jansen") || !strings.Contains(main, "<td>90</td>") || !strings.Contains(main, "<td>75</td>") {
			t.Fatalf("the report (want %s):\n%s", header.String(), main)
		}
		for _, never := range []string{"@example.org", "19012345601", "29012345602", "Medicatiebewaking"} {
			if strings.Contains(main, never) {
				t.Errorf("the report shows %q", never)
			}
		}
		resp, body := manager.get(report + "?format=csv")
		if rows, err := csv.NewReader(strings.NewReader(body)).ReadAll(); err != nil || len(rows) != 3 || len(rows[0]) != len(voucher.ReportColumns(p)) || strings.Contains(body, "@") {
			t.Fatalf("the CSV: %d %q %v", resp.StatusCode, body, err)
		}

		// Bob erases his account: gone from the report at once, and his
		// Moodle user is deleted.
		if resp, _ := bob.b.submit("/account/data/erase", "/account/data/erase", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("erase: %d", resp.StatusCode)
		}
		if _, rep := manager.get(report); strings.Count(mainOf(t, rep), "<tr>") != 2 || strings.Contains(rep, "Jansen") {
			t.Fatalf("the erased redeemer is still in the report:\n%s", mainOf(t, rep))
		}
		deliver(lmsoutbox.Report{Done: 1})
		if !moodle.User(bob.moodleID).Deleted || moodle.User(anna.moodleID).Deleted {
			t.Fatal("Moodle: the erased person's user was not deleted, or another was")
		}

		// Carla orders the handbook, pays at Mollie: the webhook first,
		// then she comes back; she downloads it.
		carla := st.loggedInPerson("carla@example.org")
		carlaAcct, err := s.AccountByEmail(ctx, "carla@example.org")
		if err != nil {
			t.Fatal(err)
		}
		resp, _ = carla.submit("/publications/handboek", "/publications/handboek/order", url.Values{"quantity": {"1"},
			"invoice_name": {"Carla Smit"}, "invoice_street": {"Dorpsweg 7"}, "invoice_postcode": {"1234 CD"}, "invoice_city": {"Zwolle"}})
		pay := mol.Only()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != mol.URL+"/checkout/"+pay.ID {
			t.Fatalf("order: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		mol.SetStatus(pay.ID, mollie.StatusPaid)
		if code := mol.Webhook(pay.ID); code != http.StatusOK {
			t.Fatalf("webhook: %d", code)
		}
		if _, back := carla.get("/orders/" + pay.Metadata["order_id"] + "?lang=en"); !strings.Contains(back, "Paid. Thank you!") || !strings.Contains(back, "Invoice 2026-000001") {
			t.Fatalf("back from Mollie:\n%s", mainOf(t, back))
		}
		resp, _ = carla.submit("/publications/handboek", "/publications/handboek/download", url.Values{})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("download link: %d", resp.StatusCode)
		}
		if resp, file := carla.get(resp.Header.Get("Location")); resp.StatusCode != http.StatusOK || file != "%PDF-1.4 handboek" {
			t.Fatalf("download: %d %q", resp.StatusCode, file)
		}

		// The 7-year rule holds her account: the plan --as-of a year and
		// a day after her last login deletes nothing of hers; seven years
		// and a day after it, website_account_with_orders does.
		lastLogin, _ := s.AccountByID(ctx, carlaAcct.ID)
		dueOf := func(asOf time.Time) []string {
			t.Helper()
			rep, err := svc.Retention.Plan(ctx, asOf)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range rep.Items {
				if it.Subject == carlaAcct.ID && (it.Outcome == runner.Delete || it.Outcome == runner.Anonymise) {
					out = append(out, it.Rule+"/"+it.Kind)
				}
			}
			return out
		}
		if due := dueOf(lastLogin.LastLoginAt.AddDate(1, 0, 1)); len(due) != 0 {
			t.Fatalf("a year on, her account with an order is due: %v", due)
		}
		if due := dueOf(lastLogin.LastLoginAt.AddDate(7, 0, 1)); !strings.Contains(strings.Join(due, " "), "website_account_with_orders/account") {
			t.Fatalf("seven years on: %v, want website_account_with_orders", due)
		}

		// Every step is in the audit log, in order, per person; the
		// manager's batch and report views by staff id; no personal value
		// anywhere in it (nor a voucher code).
		assertAuditSteps(t, s, since, audit.Pseudonym(anna.acct.Pseudonym), audit.AccountCreate, audit.EnrolmentCreate, audit.VoucherRedeem,
			audit.EnrolmentCreate, audit.LMSEnrol, audit.LMSEnrol, audit.LearningResultCreate)
		assertAuditSteps(t, s, since, audit.Pseudonym(bob.acct.Pseudonym), audit.AccountCreate, audit.EnrolmentCreate, audit.VoucherRedeem,
			audit.LMSEnrol, audit.LearningResultCreate, audit.AccountErase)
		assertAuditSteps(t, s, since, audit.Pseudonym(carlaAcct.Pseudonym), audit.AccountCreate, audit.OrderCreate, audit.PaymentCreate,
			audit.PaymentStatus, audit.InvoiceIssue, audit.DownloadCreate)
		byStaff := map[audit.Action]int{}
		bobDeleted := false
		for _, e := range testkit.AuditSince(t, s, since) {
			if strings.HasPrefix(string(e.Actor), "staff:") {
				byStaff[e.Action]++
			}
			bobDeleted = bobDeleted || e.Action == audit.LMSDelete && e.ObjectID == strconv.FormatInt(bob.lmsID, 10)
		}
		if byStaff[audit.VoucherCreate] != 1 || byStaff[audit.StaffView] != 3 || !bobDeleted {
			t.Errorf("staff entries %v (want one voucher batch, three report views: page, CSV, page); Moodle's delete of bob audited: %v", byStaff, bobDeleted)
		}
		values := []string{"anna@example.org", "bob@example.org", "carla@example.org", "lms.anna@example.org", "lms.bob@example.org",
			"de Vries", "Jansen", "19012345601", "29012345602", "Carla Smit", "Dorpsweg", "1234 CD", "Zwolle"}
		for _, c := range codes {
			values = append(values, c[1])
		}
		testkit.AssertNoPersonalValues(t, s, values...)
		st.log.AssertNoValues(t, values...)
	})
}

// redeemer is a pharmacist who redeemed a voucher in TestShopDoneWhen.
type redeemer struct {
	b        *browser
	email    string
	acct     *account.Account
	lmsID    int64
	moodleID int64
}

// pharmacist signs a person up, gives their names and learning-
// environment details (lms.<email>, names, register number), and redeems
// code: the preview
// must name the organisation and say, in the policy's words, that the
// creator sees the learning results and which, before anything is
// stored; confirming enrols them.
func pharmacist(t *testing.T, st *site, email, first, last, register, code string) *redeemer {
	t.Helper()
	ctx := context.Background()
	b := st.loggedInPerson(email)
	if resp, body := b.submit("/account", "/account", url.Values{"account.first_name": {first}, "account.last_name": {last},
		"lms_account.email": {"lms." + email}, "lms_account.first_name": {first},
		"lms_account.last_name": {last}, "lms_account.register_number": {register}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("LMS details of %s: %d\n%s", email, resp.StatusCode, mainOf(t, body))
	}
	resp, preview := b.submit("/vouchers/redeem", "/vouchers/redeem?lang=en", url.Values{"code": {code}})
	m := noticeRE.FindStringSubmatch(preview)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(preview, "created by Apotheek De Linde") ||
		!strings.Contains(preview, "whoever created this voucher will see your learning") || !strings.Contains(preview, "<li>Score</li>") {
		t.Fatalf("the notice shown to %s:\n%s", email, mainOf(t, preview))
	}
	acct, err := st.store.AccountByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	if recs, _ := st.store.RecordsOf(ctx, acct.ID); len(recs) != 0 {
		t.Fatalf("the preview stored %+v", recs)
	}
	if resp, _ := b.submit("/vouchers/redeem", "/vouchers/redeem/confirm?lang=en", url.Values{"code": {code}, "notice": {m[1]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s confirms: %d", email, resp.StatusCode)
	}
	lmsID, err := st.store.RecordOfKind(ctx, acct.ID, "lms_account")
	if err != nil || lmsID == 0 {
		t.Fatalf("%s's redemption made no learning-environment account: %v", email, err)
	}
	return &redeemer{b: b, email: email, acct: acct, lmsID: lmsID}
}
