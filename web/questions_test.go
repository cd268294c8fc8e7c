package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// TestBasicQuestionsRankAndStayInTheSession (issue 18 item 3, Z1, Z2): the
// questions come from the site's content file; a visitor's answers rank
// the catalogue ("what suits you": the item matching both answers first)
// and live only in the session cookie — no table holds them; an answer
// outside a question's choices or to a question the site does not ask is
// a clear 400 in nl and en that keeps nothing. Logging in with the tick
// keeps them as the profile's work preferences in words (audited
// profile.update), and a person's own answers are kept only when they tick
// so. IVM has no such page. Both stores.
func TestBasicQuestionsRankAndStayInTheSession(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "zorginspirator")
		importCatalogue(t, st, catalogueItems)
		b := st.browser()
		_, home := b.get("/")
		if !strings.Contains(home, `href="/basisvragen"`) {
			t.Errorf("the menu has no link to the basic questions")
		}
		resp, page := b.get("/basisvragen")
		if resp.StatusCode != 200 || strings.Count(page, "<fieldset") != 4 || !strings.Contains(page, "In welk deel van de zorg") || sessionCookie(resp) != nil {
			t.Fatalf("/basisvragen: %d\n%s", resp.StatusCode, page)
		}
		for _, bad := range []struct {
			form   url.Values
			nl, en string
		}{
			{url.Values{"q.sector": {"bakkerij"}}, "niet een van de keuzes", "This answer is not one of the"},
			{url.Values{"q.salary": {"high"}}, "staat niet in de basisvragen", "not one of the basic questions"},
		} {
			resp, body := b.submit("/basisvragen", "/basisvragen", bad.form)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, bad.nl) || sessionCookie(resp) != nil {
				t.Errorf("%v: %d\n%s", bad.form, resp.StatusCode, body)
			}
			resp, body = b.submit("/basisvragen?lang=en", "/basisvragen?lang=en", bad.form)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, bad.en) {
				t.Errorf("%v in English: %d\n%s", bad.form, resp.StatusCode, body)
			}
		}
		resp, _ = b.submit("/basisvragen", "/basisvragen", url.Values{"q.sector": {"ouderenzorg"}, "q.region": {"drenthe"}, "q.level": {""}})
		if c := sessionCookie(resp); resp.StatusCode != http.StatusSeeOther || c == nil || !strings.HasPrefix(c.Value, "v1.") {
			t.Fatalf("answering: %d %+v", resp.StatusCode, c)
		}
		_, page = b.get("/basisvragen")
		suits := page[strings.Index(page, `id="suits"`):]
		if !strings.Contains(suits, "Verzorgende IG dementiezorg in Assen") || !strings.Contains(suits, "Cursus omgaan met dementie in Assen") ||
			strings.Contains(suits, "Doktersassistent in Maastricht") {
			t.Errorf("what suits the answers:\n%s", suits)
		}
		if !strings.Contains(page, `value="ouderenzorg" checked`) || !strings.Contains(page, `value="drenthe" checked`) {
			t.Errorf("the page does not show the session's answers")
		}
		for _, table := range []string{"records", "profile_values", "accounts", "sessions"} {
			if n := countRows(t, s, `SELECT COUNT(*) FROM `+table); n != 0 {
				t.Errorf("%s holds %d rows after anonymous answers", table, n)
			}
		}
		// Logging in with the tick keeps them as work preferences.
		zorgSignUpAndConfirm(t, st, b, "anna@example.org")
		if _, login := b.get("/login"); !strings.Contains(login, "Bewaar mijn antwoorden op de basisvragen als werkvoorkeuren") {
			t.Fatalf("the login does not offer to keep the answers:\n%s", login)
		}
		since := testkit.AuditHead(t, s)
		if resp, _ := b.submit("/login", "/login", url.Values{"email": {"anna@example.org"}, "password": {"correct horse battery"}, "keep": {"1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		id := personID(t, s, "anna@example.org")
		prefs := func() string {
			t.Helper()
			var v string
			s.Read().QueryRowContext(t.Context(), `SELECT value FROM profile_values WHERE account_id = $1 AND record = 'profile' AND field = 'work_preferences'`, id).Scan(&v)
			return v
		}
		if got := prefs(); got != "In de ouderenzorg; Provincie Drenthe" {
			t.Errorf("work preferences %q", got)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ProfileUpdate})
		_, page = b.get("/basisvragen")
		if !strings.Contains(page, `value="ouderenzorg" checked`) || !strings.Contains(page, "Verzorgende IG dementiezorg in Assen") || !strings.Contains(page, `name="keep"`) {
			t.Errorf("a person's page does not read their preferences:\n%s", page)
		}
		// Answers without the tick are shown, not kept.
		resp, page = b.submit("/basisvragen", "/basisvragen", url.Values{"q.sector": {"ziekenhuis"}})
		if resp.StatusCode != 200 || !strings.Contains(page, "Verpleegkundige kinderafdeling in Utrecht") || prefs() != "In de ouderenzorg; Provincie Drenthe" {
			t.Errorf("answers without keeping: %d, preferences %q", resp.StatusCode, prefs())
		}
		resp, _ = b.submit("/basisvragen?lang=en", "/basisvragen?lang=en", url.Values{"q.sector": {"ziekenhuis"}, "q.hours": {"full"}, "keep": {"1"}})
		if resp.StatusCode != http.StatusSeeOther || prefs() != "In a hospital; 29 hours or more a week" {
			t.Errorf("keeping in English: %d, preferences %q", resp.StatusCode, prefs())
		}
	})
	ivm := newSite(t, testkit.SQLite(t), "ivm")
	if resp, _ := ivm.browser().get("/basisvragen"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("IVM /basisvragen: %d", resp.StatusCode)
	}
}
