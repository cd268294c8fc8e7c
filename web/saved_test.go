package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"steward/audit"
	"steward/internal/testkit"
	"steward/rights"
	"steward/store"
)

// countRows counts the rows of a table (a test's view of what is stored).
func countRows(t *testing.T, s *store.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Read().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// zorgSignUpAndConfirm signs up on Zorginspirator's form and confirms
// the address by the mailed link.
func zorgSignUpAndConfirm(t *testing.T, st *site, b *browser, email string) {
	t.Helper()
	if resp, body := b.submit("/signup", "/signup", signupValues("zorginspirator", email)); resp.StatusCode != 200 {
		t.Fatalf("sign-up: %d\n%s", resp.StatusCode, body)
	}
	link, _ := st.mailLink(len(st.smtp.Messages()) + 1)
	if resp, body := b.follow(link, nil); resp.StatusCode != 200 {
		t.Fatalf("verify: %d\n%s", resp.StatusCode, body)
	}
}

// saveItem posts the save form of an item's page as a browser would (the
// token from that page, which has a remove form once the item is saved).
func saveItem(t *testing.T, b *browser, page, kind, id string) (*http.Response, string) {
	t.Helper()
	return b.submit(page, "/saved", url.Values{"kind": {kind}, "id": {id}, "next": {page}})
}

// TestSavingWithoutAndWithAnAccount (issue 18 item 4, Z1, Z4): a visitor
// saves three items in their session — kept in the signed session cookie,
// nothing in any table — and sees them on /saved, linked from the menu;
// an unknown or retired item is a clear error in nl and en and changes
// nothing; a changed cookie counts as nothing saved. Signing up says what
// happens to them; logging in with the one tick keeps them as saved_item
// records (audited, ids and field names only), after which the cookie
// holds the login and no copy is left. My data and the export show them
// with their deletion date; removing one deletes its record. A second
// visit whose owner logs in without the tick keeps nothing. Both stores.
func TestSavingWithoutAndWithAnAccount(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "zorginspirator")
		importCatalogue(t, st, catalogueItems)
		// A later import retires F-3: it stays readable, but is not saved.
		importCatalogue(t, st, strings.Replace(catalogueItems, `{"id":"F-3","kind":"job","title":"Doktersassistent in Maastricht","description":"Je staat patiënten te woord en maakt afspraken.","sector":"huisartsenzorg","level":"mbo4","region":"limburg","hours":28},`, "", 1))
		b := st.browser()
		_, home := b.get("/")
		if !strings.Contains(home, `href="/saved"`) {
			t.Errorf("the menu has no link to /saved")
		}
		_, page := b.get("/functies/F-1")
		if !strings.Contains(page, `action="/saved"`) || !strings.Contains(page, ">Bewaren<") {
			t.Fatalf("the item page has no save button:\n%s", page)
		}
		for _, it := range [][3]string{{"/functies/F-1", "job", "F-1"}, {"/opleidingen/O-1", "course", "O-1"}, {"/functies/F-2", "job", "F-2"}} {
			resp, body := saveItem(t, b, it[0], it[1], it[2])
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != it[0] {
				t.Fatalf("save %s: %d %s\n%s", it[2], resp.StatusCode, resp.Header.Get("Location"), body)
			}
			if c := sessionCookie(resp); c == nil || !strings.HasPrefix(c.Value, "v1.") || c.MaxAge != 0 || !c.Expires.IsZero() || !c.HttpOnly {
				t.Fatalf("save %s: the session cookie is %+v", it[2], c)
			}
		}
		// Saved twice is saved once.
		saveItem(t, b, "/functies/F-1", "job", "F-1")
		if _, page := b.get("/functies/F-1"); !strings.Contains(page, "Bewaard.") {
			t.Errorf("a saved item's page does not say it is saved")
		}
		for _, bad := range []struct {
			kind, id string
			status   int
			nl, en   string
		}{
			{"job", "F-404", http.StatusNotFound, "bestaat niet; er is niets bewaard", "does not exist; nothing was saved"},
			{"job", "F-3", http.StatusConflict, "wordt niet meer aangeboden", "is no longer offered"},
			{"course", "F-1", http.StatusNotFound, "bestaat niet", "does not exist"},
			{"bakker", "F-1", http.StatusNotFound, "bestaat niet", "does not exist"},
		} {
			resp, body := saveItem(t, b, "/functies/F-1", bad.kind, bad.id)
			if resp.StatusCode != bad.status || !strings.Contains(body, bad.nl) || sessionCookie(resp) != nil {
				t.Errorf("save %s/%s: %d, cookie %v\n%s", bad.kind, bad.id, resp.StatusCode, sessionCookie(resp), body)
			}
			form := url.Values{"kind": {bad.kind}, "id": {bad.id}, "csrf": {b.csrf("/functies/F-1?lang=en")}}
			if resp, body := b.post("/saved?lang=en", form); resp.StatusCode != bad.status || !strings.Contains(body, bad.en) {
				t.Errorf("save %s/%s in English: %d\n%s", bad.kind, bad.id, resp.StatusCode, body)
			}
		}
		// The retired item's page still reads, without a save button.
		if _, page := b.get("/functies/F-3"); strings.Contains(page, ">Bewaren<") || !strings.Contains(page, "Doktersassistent") {
			t.Errorf("the retired item's page:\n%s", page)
		}
		resp, body := b.get("/saved")
		if resp.StatusCode != 200 {
			t.Fatalf("/saved: %d", resp.StatusCode)
		}
		for _, want := range []string{"Verpleegkundige kinderafdeling in Utrecht", "Hbo-Verpleegkunde (deeltijd) in Utrecht", "Verzorgende IG dementiezorg in Assen", "zolang je browser open is"} {
			if !strings.Contains(body, want) {
				t.Errorf("/saved lacks %q", want)
			}
		}
		// Nothing of the visit is on the server.
		if n := countRows(t, s, `SELECT COUNT(*) FROM records`); n != 0 {
			t.Errorf("%d records while nobody has an account", n)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM sessions`); n != 0 {
			t.Errorf("%d sessions for a visitor", n)
		}
		// A changed cookie is no visit.
		u, _ := url.Parse(st.srv.URL)
		tampered := st.browser()
		for _, c := range b.c.Jar.Cookies(u) {
			if c.Name == "steward_session" {
				c.Value = strings.Replace(c.Value, "v1.e", "v1.f", 1) + "x"
				tampered.c.Jar.SetCookies(u, []*http.Cookie{c})
			}
		}
		if _, body := tampered.get("/saved"); strings.Contains(body, "Verpleegkundige kinderafdeling") {
			t.Errorf("a changed cookie still shows saved items")
		}

		// Sign-up says how to keep them; the login offers the tick.
		_, signup := b.get("/signup")
		if !strings.Contains(signup, "Je hebt 3 functies en opleidingen bewaard") {
			t.Errorf("the sign-up page does not mention the session's items")
		}
		zorgSignUpAndConfirm(t, st, b, "anna@example.org")
		if _, login := b.get("/login"); !strings.Contains(login, `name="keep"`) || !strings.Contains(login, "Bewaar de 3 functies en opleidingen") {
			t.Fatalf("the login form does not offer to keep them:\n%s", login)
		}
		since := testkit.AuditHead(t, s)
		resp, _ = b.submit("/login", "/login", url.Values{"email": {"anna@example.org"}, "password": {"correct horse battery"}, "keep": {"1"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		if c := sessionCookie(resp); c == nil || strings.HasPrefix(c.Value, "v1.") {
			t.Fatalf("after login the cookie is %+v", c)
		}
		id := personID(t, s, "anna@example.org")
		if n := countRows(t, s, `SELECT COUNT(*) FROM records WHERE subject_id = $1 AND kind = 'saved_item'`, id); n != 3 {
			t.Fatalf("%d saved items kept; want 3", n)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.RecordCreate, ObjectKind: "saved_item"},
			testkit.AuditWant{Action: audit.RecordCreate, ObjectKind: "saved_item"}, testkit.AuditWant{Action: audit.RecordCreate, ObjectKind: "saved_item"})
		_, body = b.get("/saved")
		for _, want := range []string{"Verpleegkundige kinderafdeling in Utrecht", "Hbo-Verpleegkunde (deeltijd) in Utrecht", "Verzorgende IG dementiezorg in Assen", "bewaard op 24 november 2026", "Mijn gegevens"} {
			if !strings.Contains(body, want) {
				t.Errorf("/saved with an account lacks %q", want)
			}
		}
		if _, login := b.get("/login"); strings.Contains(login, `name="keep"`) {
			t.Errorf("after keeping them, the login still offers to keep something")
		}
		// Saving with an account: a fourth item, then removing it.
		if resp, body := saveItem(t, b, "/opleidingen/O-2", "course", "O-2"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save with an account: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := b.submit("/saved", "/saved", url.Values{"kind": {"job"}, "id": {"F-3"}}); resp.StatusCode != http.StatusConflict {
			t.Errorf("a retired item saved with an account: %d", resp.StatusCode)
		}
		// My data: the saved items, each with its deletion date; the export.
		_, body = b.get("/account/data")
		if !strings.Contains(body, `id="kind-saved_item"`) || !strings.Contains(body, "Cursus omgaan met dementie in Assen") || !strings.Contains(body, "2029") {
			t.Errorf("My data lacks the saved items or their deletion date:\n%s", body)
		}
		resp, body = b.get("/api/v1/me/data")
		var ov rights.Overview
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &ov) != nil {
			t.Fatalf("api: %d %s", resp.StatusCode, body)
		}
		found := 0
		for _, c := range ov.Categories {
			if c.Kind != "saved_item" {
				continue
			}
			for _, it := range c.Items {
				if it.Deletion.Date.IsZero() || it.Values["item"] == "" || it.Values["kind"] == "" || it.Values["saved_at"] != "2026-11-24" {
					t.Errorf("saved item %+v", it)
				}
				found++
			}
		}
		if found != 4 {
			t.Errorf("the overview has %d saved items; want 4", found)
		}
		if resp, zipped := b.get("/account/data/export"); resp.StatusCode != 200 || !strings.Contains(unzip(t, zipped)[rights.CSVName("saved_item")], "O-2") {
			t.Errorf("the export lacks the saved items: %d", resp.StatusCode)
		}
		var rec int64
		if err := s.Read().QueryRowContext(context.Background(), `SELECT r.id FROM records r JOIN record_values v ON v.record_id = r.id AND v.field = 'item' AND v.value = 'O-2' WHERE r.subject_id = $1`, id).Scan(&rec); err != nil {
			t.Fatal(err)
		}
		since = testkit.AuditHead(t, s)
		if resp, body := b.submit("/saved", "/saved/remove", url.Values{"kind": {"course"}, "id": {"O-2"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("remove: %d\n%s", resp.StatusCode, body)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.RecordDelete, ObjectKind: "saved_item", ObjectID: strconv.FormatInt(rec, 10)})
		if n := countRows(t, s, `SELECT COUNT(*) FROM records WHERE subject_id = $1 AND kind = 'saved_item'`, id); n != 3 {
			t.Errorf("%d saved items after removing one; want 3", n)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM record_values WHERE record_id = $1`, rec); n != 0 {
			t.Errorf("the removed item's values stay: %d", n)
		}
		// Another person's record cannot be removed by this one.
		other := st.browser()
		saveItem(t, other, "/functies/F-2", "job", "F-2")
		if resp, body := other.submit("/saved", "/saved/remove", url.Values{"kind": {"job"}, "id": {"F-2"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("a visitor removes an item: %d\n%s", resp.StatusCode, body)
		}
		if _, body := other.get("/saved"); strings.Contains(body, "Verzorgende IG") {
			t.Errorf("the removed item is still in the session")
		}
		// A visit whose owner logs in without the tick keeps nothing, and
		// the session copy is gone all the same.
		saveItem(t, other, "/functies/F-2", "job", "F-2")
		zorgSignUpAndConfirm(t, st, other, "piet@example.org")
		resp, _ = other.submit("/login", "/login", url.Values{"email": {"piet@example.org"}, "password": {"correct horse battery"}})
		if c := sessionCookie(resp); resp.StatusCode != http.StatusSeeOther || c == nil || strings.HasPrefix(c.Value, "v1.") {
			t.Fatalf("login without keeping: %d %+v", resp.StatusCode, c)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM records WHERE subject_id = $1`, personID(t, s, "piet@example.org")); n != 0 {
			t.Errorf("%d records kept without the tick", n)
		}
		if resp, _ := other.submit("/opleidingen/O-1", "/saved/remove", url.Values{"kind": {"course"}, "id": {"O-1"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("removing an item saved only by another person: %d", resp.StatusCode)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM records WHERE subject_id = $1 AND kind = 'saved_item'`, id); n != 3 {
			t.Errorf("another person's removal touched these: %d", n)
		}
	})
}
