package web_test

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/retention"
	"steward/retention/runner"
	"steward/store"
)

// staffBrowser creates a staff account with role and returns a browser
// logged in as it at the site's clock, its second factor enrolled through
// the security pages as a new staff member does at first login.
func staffBrowser(t *testing.T, st *site, email string, role account.Role) *browser {
	t.Helper()
	return staffBrowserIn(t, st, email, role, "")
}

// staffBrowserIn is staffBrowser for staff of an organisation (an
// organisation manager's, issue 16).
func staffBrowserIn(t *testing.T, st *site, email string, role account.Role, org string) *browser {
	t.Helper()
	ctx := context.Background()
	a := &account.Account{ID: account.NewID("a-"), Email: email, Pseudonym: string(audit.NewPseudonym()), Role: role, OrganisationID: org,
		CreatedAt: st.clock.Now(), ConfirmedAt: st.clock.Now(), PasswordHash: account.HashPassword("staff password 1", cheapHash)}
	if err := st.store.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
		t.Fatal(err)
	}
	b := st.browser()
	if resp := b.login(email, "staff password 1"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/security" {
		t.Fatalf("staff login %s: %d %s, want 303 to the second factor's set-up", email, resp.StatusCode, resp.Header.Get("Location"))
	}
	b.enrolSecondFactor()
	// The enrolment notice went to the staff member (TestSecondFactorLogin
	// reads it); it is taken out of the outbox here so that tests counting
	// the mails to people count only theirs.
	var n int64
	if err := st.store.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE subject_id = $1 AND kind = 'second_factor'`, a.ID)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	}); err != nil || n != 1 {
		t.Fatalf("enrolment notice of %s: %d mails, %v; want 1", email, n, err)
	}
	return b
}

// idleAccount stores a confirmed account without anything attached, last
// logged in (and active) at login.
func idleAccount(t *testing.T, s *store.Store, id string, login time.Time) {
	t.Helper()
	ctx := context.Background()
	a := &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()),
		CreatedAt: login.AddDate(-1, 0, 0), ConfirmedAt: login.AddDate(-1, 0, 0), LastLoginAt: login, LastActivityAt: login}
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
		t.Fatal(err)
	}
}

var planRowRE = regexp.MustCompile(`<tr class="outcome-[a-z]+"><td>([^<]+)</td><td><code>([a-z_]+)</code></td>.*?</td>\s*<td>[^<]* ([^< ]+)</td>`)

// planRows returns the targets listed on a plan page, in order.
func planRows(body string) []string {
	var out []string
	for _, m := range planRowRE.FindAllStringSubmatch(strings.ReplaceAll(body, "\n", " "), -1) {
		out = append(out, m[3])
	}
	return out
}

var nextRE = regexp.MustCompile(`<a rel="next" href="([^"]+)"`)

// TestStaffRetentionPlan: /staff/retention shows a privacy officer what
// 'retention plan' shows — per rule counts, per subject the reason, by
// account id and never by address — paged by keyset, in either order,
// filtered by rule, and as CSV (audited); support gets 403; a person who
// logs in again drops off the list (R9: the year counts from the last
// login).
func TestStaffRetentionPlan(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		anna := st.browser()
		st.signUpAndConfirm(anna, "anna@example.org")
		if resp := anna.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		annaID := personID(t, s, "anna@example.org")
		// Idle since mid-2025: due a year later, before Anna.
		for _, id := range []string{"a_idle2", "a_idle1", "a_idle3"} {
			idleAccount(t, s, id, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
		}
		// A year and two days after Anna's last login (2026-11-24).
		st.clock.Set(time.Date(2027, 11, 26, 9, 0, 0, 0, time.UTC))
		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)

		if resp, _ := support.get("/staff/retention"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("support: %d, want 403", resp.StatusCode)
		}
		if resp, _ := support.get("/staff/retention?format=csv"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("support csv: %d, want 403", resp.StatusCode)
		}
		if resp, _ := st.browser().get("/staff/retention"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("anonymous: %d, want the login page", resp.StatusCode)
		}

		resp, body := officer.get("/staff/retention")
		if resp.StatusCode != 200 {
			t.Fatalf("officer: %d\n%s", resp.StatusCode, body)
		}
		if got, want := planRows(body), []string{"a_idle1", "a_idle2", "a_idle3", annaID}; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("rows by due date: %v, want %v", got, want)
		}
		_, en := officer.get("/staff/retention?lang=en")
		// The reason in the reader's words (issue 13): kinds by their
		// names, the period and dates in words, no engine English in Dutch.
		for _, want := range []string{"Retention plan",
			"Account on www.medicijngebruik.nl without Order or Download of material or Newsletter subscription: delete 1 year after the last login (24 November 2026), on 24 November 2027",
			"none (the rule does not warn)", "4 in the plan"} {
			if !strings.Contains(html.UnescapeString(en), want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if want := "Account op www.medicijngebruik.nl zonder Bestelling of Download van materiaal of Aanmelding nieuwsbrief: verwijderen 1 jaar na de laatste keer inloggen (24 november 2026), op 24 november 2027"; !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("the Dutch page lacks the reason %q", want)
		}
		if codes := rawCodes(body); len(codes) > 0 {
			t.Errorf("the plan shows raw codes: %q", codes)
		}
		for _, addr := range []string{"anna@example.org", "a_idle1@example.org"} {
			if strings.Contains(body, addr) {
				t.Errorf("the plan shows the address %s", addr)
			}
		}
		if !strings.Contains(body, "Bewaarplan") || !strings.Contains(body, "geen (de regel waarschuwt niet)") {
			t.Error("Dutch, the default, is missing")
		}

		// Keyset pages of two: no one twice, no one missed.
		var paged []string
		next := "/staff/retention?limit=2"
		for n := 0; next != ""; n++ {
			if n > 3 {
				t.Fatal("paging does not end")
			}
			_, pb := officer.get(next)
			paged = append(paged, planRows(pb)...)
			next = ""
			if m := nextRE.FindStringSubmatch(pb); m != nil {
				next = html.UnescapeString(m[1])
			}
		}
		if strings.Join(paged, ",") != strings.Join([]string{"a_idle1", "a_idle2", "a_idle3", annaID}, ",") {
			t.Fatalf("pages: %v", paged)
		}
		if _, rb := officer.get("/staff/retention?sort=rule&rule=website_account_inactive"); len(planRows(rb)) != 4 {
			t.Fatalf("by rule, filtered: %v", planRows(rb))
		}
		if _, rb := officer.get("/staff/retention?rule=website_account_with_orders"); len(planRows(rb)) != 0 || !strings.Contains(rb, "Er is niets aan de beurt.") {
			t.Fatalf("another rule lists %v", planRows(rb))
		}
		for _, bad := range []string{"?rule=nope", "?sort=name", "?limit=0", "?after=x", "?format=pdf"} {
			if resp, _ := officer.get("/staff/retention" + bad); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", bad, resp.StatusCode)
			}
		}

		since := testkit.AuditHead(t, s)
		resp, body = officer.get("/staff/retention?format=csv&sort=rule")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(rows) != 5 || rows[0][0] != "rule" || rows[4][3] != annaID || rows[4][1] != "delete" {
			t.Fatalf("csv rows %v (%v)", rows, err)
		}
		if strings.Contains(body, "@") {
			t.Error("the CSV holds an e-mail address")
		}
		officerAcct, _ := s.AccountByEmail(ctx, "officer@example.org")
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ExportDownload, Actor: audit.Staff(officerAcct.ID), ObjectID: "all"})

		// Anna logs in again: the year starts over and she is off the list.
		again := st.browser()
		if resp := again.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login again: %d", resp.StatusCode)
		}
		if _, body := officer.get("/staff/retention"); strings.Contains(body, annaID) || len(planRows(body)) != 3 {
			t.Fatalf("after logging in again: %v", planRows(body))
		}
	})
}

// TestStaffRetentionShowsWarnings: for a rule that warns first (Z9), the
// page says whether the warning went out and when.
func TestStaffRetentionShowsWarnings(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "zorginspirator")
		// Inactive since 2023-11-01: anonymised on 2026-11-01, warned from 2026-10-02.
		idleAccount(t, s, "a_quiet", time.Date(2023, 11, 1, 0, 0, 0, 0, time.UTC))
		e, err := retention.New(testkit.Policy(t, "zorginspirator"))
		if err != nil {
			t.Fatal(err)
		}
		r := &runner.Runner{Store: s, Engine: e, Clock: st.clock, Audit: &audit.Log{Clock: st.clock}}
		if rep, err := r.Run(ctx); err != nil || rep.Total().Warn != 1 {
			t.Fatalf("warn: %+v %v", rep, err)
		}
		if _, err := st.mail.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		// Due for a warning that has not gone out yet.
		idleAccount(t, s, "a_later", time.Date(2023, 12, 20, 0, 0, 0, 0, time.UTC))
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		_, body := officer.get("/staff/retention?lang=en")
		body = strings.ReplaceAll(body, "\n", " ")
		for _, want := range []string{
			`<td>a_quiet</td><td>sent 24 November 2026</td>`,
			`<td>a_later</td><td>not sent yet; due 20 November 2026</td>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %s\n%s", want, body)
			}
		}
	})
}
