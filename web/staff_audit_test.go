package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
	"steward/web"
)

var auditRowRE = regexp.MustCompile(`<tr data-seq="(\d+)">`)

// auditRows returns the entry numbers a /staff/audit page lists, in order.
func auditRows(t *testing.T, body string) []uint64 {
	t.Helper()
	var out []uint64
	for _, m := range auditRowRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.ParseUint(m[1], 10, 64)
		out = append(out, n)
	}
	return out
}

// auditSeqs lists the entries matching keep, newest first, from the store.
func auditSeqs(t *testing.T, s *store.Store, keep func(audit.Entry) bool) []uint64 {
	t.Helper()
	var out []uint64
	for _, e := range testkit.AuditSince(t, s, 0) {
		if keep(e) {
			out = append(out, e.Seq)
		}
	}
	slices.Reverse(out)
	return out
}

// TestStaffAuditLog: /staff/audit shows a privacy officer the audit log
// newest first, filtered by subject, action, actor and dates, in keyset
// pages; "verify now" reports the log intact with the key, and the first
// broken entry once a column is changed; support gets 403, an anonymous
// visitor the login page, and bad filter input a 400 that lists nothing.
// Looking at the log appends nothing to it.
func TestStaffAuditLog(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		signer := testkit.AuditSigner(t, s, 4)
		st := newSite(t, s, "ivm", func(c *web.Config) { c.AuditKey = signer.Public() })
		anna := st.loggedInPerson("anna@example.org")
		support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)

		// Entries about two people over three days, by staff and a job.
		p1, p2 := audit.NewPseudonym(), audit.NewPseudonym()
		day := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		acts := []audit.Action{audit.ConsentGive, audit.ProfileUpdate, audit.ConsentWithdraw, audit.StaffView, audit.RetentionWarn}
		for i := range 15 {
			subject, actor := p1, audit.Staff("a-staff1")
			if i%3 == 2 {
				subject, actor = p2, audit.System("retention")
			}
			err := s.InTx(ctx, func(tx *store.Tx) error {
				return tx.AppendAudit(audit.Entry{Time: day.AddDate(0, 0, i/5), Actor: actor, Action: acts[i%len(acts)],
					ObjectKind: "account", ObjectID: fmt.Sprintf("a_%d", i), Subject: subject, Fields: []string{"email"},
					PolicyVersion: "2024-02-08", RequestID: fmt.Sprintf("req-%d", i)})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		head := testkit.AuditHead(t, s)

		if resp, _ := support.get("/staff/audit"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("support: %d, want 403", resp.StatusCode)
		}
		if resp, _ := anna.get("/staff/audit"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a person: %d, want 403", resp.StatusCode)
		}
		if resp, _ := st.browser().get("/staff/audit?action=staff.view"); resp.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(resp.Header.Get("Location"), "/login?next=%2Fstaff%2Faudit") {
			t.Fatalf("anonymous: %d %s, want the login page", resp.StatusCode, resp.Header.Get("Location"))
		}

		all := auditSeqs(t, s, func(audit.Entry) bool { return true })
		resp, body := officer.get("/staff/audit?limit=500")
		if resp.StatusCode != 200 || !slices.Equal(auditRows(t, body), all) {
			t.Fatalf("officer: %d, rows %v, want every entry newest first %v", resp.StatusCode, auditRows(t, body), all)
		}
		// The columns: seq, time, actor, action, object, subject, fields,
		// policy version, request id.
		row := regexp.MustCompile(`(?s)<tr data-seq="` + strconv.FormatUint(head, 10) + `">.*?</tr>`).FindString(body)
		for _, want := range []string{"2026-03-03 12:00:00Z", "system:retention", string(audit.RetentionWarn), "account a_14", string(p2), "email", "2024-02-08", "req-14"} {
			if !strings.Contains(html.UnescapeString(row), want) {
				t.Errorf("newest row lacks %q:\n%s", want, row)
			}
		}

		for _, tc := range []struct {
			query string
			keep  func(audit.Entry) bool
		}{
			{"subject=" + string(p2), func(e audit.Entry) bool { return e.Subject == p2 }},
			{"action=consent.withdraw", func(e audit.Entry) bool { return e.Action == audit.ConsentWithdraw }},
			{"actor=system:retention", func(e audit.Entry) bool { return e.Actor == audit.System("retention") }},
			{"from=2026-03-02&to=2026-03-02", func(e audit.Entry) bool { return e.Time.Format(time.DateOnly) == "2026-03-02" }},
			{"from=2026-03-02", func(e audit.Entry) bool { return e.Time.After(day.AddDate(0, 0, 1).Add(-time.Hour)) }},
			{"subject=" + string(p1) + "&action=staff.view&to=2026-03-02", func(e audit.Entry) bool {
				return e.Subject == p1 && e.Action == audit.StaffView && e.Time.Before(day.AddDate(0, 0, 2))
			}},
		} {
			want := auditSeqs(t, s, tc.keep)
			resp, body := officer.get("/staff/audit?" + tc.query)
			if got := auditRows(t, body); resp.StatusCode != 200 || len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s: %d, rows %v, want %v", tc.query, resp.StatusCode, got, want)
			}
		}

		// The record links to the person's entries; the staff page to the log.
		annaAcct, _ := s.AccountByEmail(ctx, "anna@example.org")
		if _, body := officer.get("/staff/people/" + annaAcct.ID); !strings.Contains(body, `href="/staff/audit?subject=`+annaAcct.Pseudonym+`"`) {
			t.Errorf("the record does not link to the person's audit entries")
		}
		if _, body := officer.get("/staff/"); !strings.Contains(body, `href="/staff/audit"`) {
			t.Errorf("the staff page does not link to the audit log")
		}
		head = testkit.AuditHead(t, s) // the record's view is audited (staff.view)

		// Keyset pages of 4, following the "older" link to the end.
		var paged []uint64
		next := "/staff/audit?subject=" + string(p1) + "&limit=4&lang=en"
		for pages := 0; next != ""; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			resp, body := officer.get(next)
			rows := auditRows(t, body)
			if resp.StatusCode != 200 || len(rows) == 0 || len(rows) > 4 || !strings.Contains(body, "Audit log") {
				t.Fatalf("page %d (%s): %d, rows %v", pages, next, resp.StatusCode, rows)
			}
			paged = append(paged, rows...)
			next = ""
			if m := nextRE.FindStringSubmatch(body); m != nil {
				next = html.UnescapeString(m[1])
				if !strings.Contains(next, "subject="+string(p1)) || !strings.Contains(next, "limit=4") || !strings.Contains(next, "lang=en") {
					t.Fatalf("the next page forgets the filter: %s", next)
				}
			}
		}
		if want := auditSeqs(t, s, func(e audit.Entry) bool { return e.Subject == p1 }); !slices.Equal(paged, want) {
			t.Fatalf("pages gave %v, want %v", paged, want)
		}

		// Bad input: a 400 and nothing listed (G3).
		for _, q := range []string{"from=2026-13-01", "to=yesterday", "from=2026-03-03&to=2026-03-01", "subject=anna@example.org",
			"action=account.delete", "actor=anna@example.org", "limit=0", "limit=501", "before=x", "before=0"} {
			resp, body := officer.get("/staff/audit?" + q)
			if resp.StatusCode != http.StatusBadRequest || len(auditRows(t, body)) != 0 || strings.Contains(body, `id="entries"`) {
				t.Errorf("%s: %d with %d rows, want 400 and nothing listed", q, resp.StatusCode, len(auditRows(t, body)))
			}
		}
		if _, body := officer.get("/staff/audit?from=31-12-2026"); !strings.Contains(body, "de datum moet JJJJ-MM-DD zijn") {
			t.Errorf("the date error is not in Dutch:\n%s", body)
		}

		// Verify now: intact with the key, then the first changed entry.
		_, body = officer.get("/staff/audit?verify=1&lang=en")
		want := fmt.Sprintf("Intact</strong>: %d entries checked, signed head at entry %d", head, head)
		if !strings.Contains(body, want) || !strings.Contains(body, "signatures checked with key "+signer.KeyID()) {
			t.Fatalf("verify now: want %q and the key id in:\n%s", want, body)
		}
		if h := testkit.AuditHead(t, s); h != head {
			t.Fatalf("looking at the log appended %d entries", h-head)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE audit_log SET fields = 'postcode' WHERE seq = $1`, int64(head-3))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_, body = officer.get("/staff/audit?verify=1&lang=en")
		if want := fmt.Sprintf("BROKEN at entry %d: content does not match its hash", head-3); !strings.Contains(html.UnescapeString(body), want) {
			t.Fatalf("verify after tampering: want %q in:\n%s", want, body)
		}
	})
}

// TestStaffAuditVerifyWithoutKey: a server without the audit key checks
// the chain and says that signatures were not checked.
func TestStaffAuditVerifyWithoutKey(t *testing.T) {
	s := testkit.SQLite(t)
	st := newSite(t, s, "ivm")
	officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
	resp, body := officer.get("/staff/audit?verify=1&lang=en")
	if resp.StatusCode != 200 || !strings.Contains(body, "Intact") || !strings.Contains(body, "signatures NOT checked") {
		t.Fatalf("%d:\n%s", resp.StatusCode, body)
	}
}
