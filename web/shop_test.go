package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/order"
	"steward/order/mollie"
	"steward/policy"
	"steward/retention/runner"
	"steward/store"
)

// shopSite is IVM's site with the Mollie test server as its payment
// provider, a download directory with one file, and two products.
func shopSite(t *testing.T, s *store.Store) (*site, *testkit.Mollie) {
	t.Helper()
	m := testkit.NewMollie(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "handboek.pdf"), []byte("%PDF-1.4 handboek"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "folder.pdf"), []byte("%PDF-1.4 folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	st := newSiteWired(t, s, "ivm", wiring.Config{Payments: mollie.Provider{Client: &mollie.Client{BaseURL: m.URL, Key: m.Key}}, Downloads: dir})
	svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, "ivm"), Store: s, Clock: st.clock})
	if err != nil {
		t.Fatal(err)
	}
	importProductsWith(t, svc)
	return st, m
}

// importProducts loads the shop's products on st's store (the scene).
func importProducts(t testing.TB, st *site, policyName string) {
	t.Helper()
	svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, policyName), Store: st.store, Clock: st.clock})
	if err != nil {
		t.Fatal(err)
	}
	importProductsWith(t, svc)
}

func importProductsWith(t testing.TB, svc *wiring.Services) {
	t.Helper()
	_, err := svc.Orders.Import(context.Background(), audit.Staff("a-po"), []order.Product{
		{Slug: "handboek", Title: policy.Text{NL: "Handboek medicatieveiligheid", EN: "Medication safety handbook"}, PriceCents: 2495, VATPercent: 9,
			Format: order.File, File: "handboek.pdf", Published: true},
		{Slug: "folder", Title: policy.Text{NL: "Folder medicijngebruik bij ouderen", EN: "Leaflet on medicine use by older people"}, Format: order.File, File: "folder.pdf",
			FreeForAccounts: true, Published: true},
		{Slug: "poster", Title: policy.Text{NL: "Poster", EN: "Poster"}, PriceCents: 500, VATPercent: 21, Format: order.Physical, Published: true},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countKind(t *testing.T, s *store.Store, kind string) int {
	t.Helper()
	var n int
	if err := s.Read().QueryRow(`SELECT COUNT(*) FROM records WHERE kind = $1`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestShopOrderPayDownload (issue 17 items 5, 6, 8, 9; R5, R9): a visitor
// finds the publications from the menu in nl and en; a logged-in person
// orders with exactly the invoice fields the policy declares (a missing
// one changes nothing) and is sent to Mollie's checkout; the webhook —
// first, before the person comes back — is the only thing that marks the
// order paid, from the payment fetched from Mollie, and issues invoice
// 2026-000001; the redirect back shows the stored status ("being
// processed" while open). A replayed webhook, a forged id and an amount
// that does not match change nothing. The person downloads through a
// signed link (recorded as a download record); the link refuses another
// account and expires. The 7-year rule then holds the account; erasing
// it keeps the invoice with its invoice data only, and says so. Every
// step is audited without personal values (both stores).
func TestShopOrderPayDownload(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st, m := shopSite(t, s)
		visitor := st.browser()
		if _, home := visitor.get("/"); !strings.Contains(home, `href="/publications"`) {
			t.Fatal("the menu does not link the publications")
		}
		if _, list := visitor.get("/publications?lang=en"); !strings.Contains(list, "Medication safety handbook") || !strings.Contains(list, "€24.95") {
			t.Fatalf("/publications in English:\n%s", mainOf(t, list))
		}
		if _, p := visitor.get("/publications/handboek"); !strings.Contains(p, "€ 24,95") || strings.Contains(p, "order-form") || !strings.Contains(p, "/login") {
			t.Fatalf("product page for a visitor:\n%s", mainOf(t, p))
		}

		anna := st.loggedInPerson("anna@example.org")
		annaID := personID(t, s, "anna@example.org")
		_, page := anna.get("/publications/handboek")
		for _, f := range []string{"invoice_name", "invoice_street", "invoice_postcode", "invoice_city"} {
			if !strings.Contains(page, `name="`+f+`"`) {
				t.Fatalf("order form lacks %s:\n%s", f, mainOf(t, page))
			}
		}
		if n := strings.Count(page, `<input type="text"`); n != 4 {
			t.Fatalf("order form asks %d text fields, want the policy's 4", n)
		}
		since := testkit.AuditHead(t, s)
		form := url.Values{"quantity": {"2"}, "invoice_name": {"Anna de Vries"}, "invoice_street": {"Kerkstraat 1"}, "invoice_postcode": {"3511 AB"}}
		if resp, body := anna.submit("/publications/handboek", "/publications/handboek/order", form); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "aria-invalid") {
			t.Fatalf("order without a city: %d\n%s", resp.StatusCode, mainOf(t, body))
		}
		form.Set("bank_account", "NL00BANK0123456789")
		form.Set("invoice_city", "Utrecht")
		if resp, _ := anna.submit("/publications/handboek", "/publications/handboek/order", form); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("order with a field the policy does not declare: %d", resp.StatusCode)
		}
		if n := countKind(t, s, "order"); n != 0 || m.Created != 0 {
			t.Fatalf("refused orders stored %d orders, %d payments", n, m.Created)
		}
		testkit.AssertAudit(t, s, since)
		form.Del("bank_account")
		resp, _ := anna.submit("/publications/handboek", "/publications/handboek/order", form)
		pay := m.Only()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != m.URL+"/checkout/"+pay.ID {
			t.Fatalf("order: %d to %q, want Mollie's checkout of %s", resp.StatusCode, resp.Header.Get("Location"), pay.ID)
		}
		if pay.Amount.Value != "49.90" || pay.Amount.Currency != "EUR" || pay.Metadata["order_id"] == "" ||
			!strings.HasSuffix(pay.WebhookURL, "/payments/mollie/webhook") || !strings.Contains(pay.RedirectURL, "/orders/"+pay.Metadata["order_id"]) {
			t.Fatalf("payment created: %+v", pay)
		}
		orderPage := "/orders/" + pay.Metadata["order_id"]

		// The person comes back before paying: the page says so, from the
		// database; the redirect marks nothing.
		if _, body := anna.get(orderPage); !strings.Contains(body, "wordt verwerkt") || strings.Contains(body, `id="invoice"`) {
			t.Fatalf("return while open:\n%s", mainOf(t, body))
		}
		// A webhook while still open changes nothing.
		if code := m.Webhook(pay.ID); code != 200 {
			t.Fatalf("webhook while open: %d", code)
		}
		// Paid at Mollie; the webhook comes first, then the redirect.
		m.SetStatus(pay.ID, mollie.StatusPaid)
		if code := m.Webhook(pay.ID); code != 200 {
			t.Fatalf("webhook: %d", code)
		}
		_, body := anna.get(orderPage + "?lang=en")
		if !strings.Contains(body, "Paid. Thank you!") || !strings.Contains(body, "Invoice 2026-000001") || !strings.Contains(body, "€49.90") {
			t.Fatalf("return after the webhook:\n%s", mainOf(t, body))
		}
		// Replayed and forged webhooks change nothing.
		for _, id := range []string{pay.ID, pay.ID, "tr_forged1234", "not a payment id"} {
			if code := testkit.PostWebhook(t, st.srv.URL+"/payments/mollie/webhook", id); code != 200 {
				t.Fatalf("webhook %q: %d, want 200", id, code)
			}
		}
		if n := countKind(t, s, "invoice"); n != 1 {
			t.Fatalf("%d invoices after replays, want 1", n)
		}
		if _, list := anna.get("/account/orders"); !strings.Contains(list, "Betaald") || !strings.Contains(list, "factuur 2026-000001") {
			t.Fatalf("My orders:\n%s", mainOf(t, list))
		}
		if _, acc := anna.get("/account"); !strings.Contains(acc, `href="/account/orders"`) {
			t.Fatal("My account does not link the orders")
		}

		// An amount that does not match the order: not paid.
		resp, _ = anna.submit("/publications/poster", "/publications/poster/order", url.Values{"quantity": {"1"},
			"invoice_name": {"Anna de Vries"}, "invoice_street": {"Kerkstraat 1"}, "invoice_postcode": {"3511 AB"}, "invoice_city": {"Utrecht"}})
		second := strings.TrimPrefix(resp.Header.Get("Location"), m.URL+"/checkout/")
		m.SetAmount(second, "0.01")
		m.SetStatus(second, mollie.StatusPaid)
		if code := m.Webhook(second); code != 200 {
			t.Fatalf("mismatch webhook: %d", code)
		}
		p2, _ := m.Payment(second)
		if _, body := anna.get("/orders/" + p2.Metadata["order_id"]); strings.Contains(body, "Betaald") || strings.Contains(body, `id="invoice"`) {
			t.Fatalf("an order paid with the wrong amount shows paid:\n%s", mainOf(t, body))
		}
		if n := countKind(t, s, "invoice"); n != 1 {
			t.Fatalf("%d invoices after a mismatch, want 1", n)
		}
		// Someone else's order is not found.
		piet := st.loggedInPerson("piet@example.org")
		if resp, _ := piet.get(orderPage); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("another person's order: %d, want 404", resp.StatusCode)
		}

		// Downloads: the bought file, through a signed link.
		resp, _ = anna.submit("/publications/handboek", "/publications/handboek/download", url.Values{})
		link := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(link, "/downloads/") {
			t.Fatalf("download link: %d %q", resp.StatusCode, link)
		}
		resp, file := anna.get(link)
		if resp.StatusCode != 200 || file != "%PDF-1.4 handboek" || !strings.Contains(resp.Header.Get("Content-Disposition"), "handboek.pdf") {
			t.Fatalf("download: %d %q %q", resp.StatusCode, file, resp.Header.Get("Content-Disposition"))
		}
		if n := countKind(t, s, "download"); n != 1 {
			t.Fatalf("%d download records, want 1", n)
		}
		// Another account's link, a changed one, an expired one: refused,
		// nothing recorded.
		if resp, body := piet.get(link); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "ander account") {
			t.Fatalf("another account's link: %d\n%s", resp.StatusCode, mainOf(t, body))
		}
		if resp, _ := anna.get(link + "x"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("changed link: %d", resp.StatusCode)
		}
		// Not bought: no link; free for account holders: one.
		if resp, _ := piet.submit("/publications/handboek", "/publications/handboek/download", url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("download without buying: %d", resp.StatusCode)
		}
		if resp, _ := piet.submit("/publications/folder", "/publications/folder/download", url.Values{}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("free for account holders: %d", resp.StatusCode)
		}
		st.clock.Advance(order.LinkTTL + time.Second)
		if resp, body := anna.get(link); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "verlopen") {
			t.Fatalf("expired link: %d\n%s", resp.StatusCode, mainOf(t, body))
		}
		if n := countKind(t, s, "download"); n != 1 {
			t.Fatalf("%d download records after refused links, want 1", n)
		}

		// R9: the account with orders and a download is held by the
		// 7-year rule.
		svc, _ := wiring.New(wiring.Config{Policy: testkit.Policy(t, "ivm"), Store: s, Clock: st.clock})
		f, err := runner.TargetFacts(ctx, s, "account", annaID)
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := svc.Retention.Engine.DeletionDate(f, st.clock.Now()); !ok || d.Rule.ID != "website_account_with_orders" {
			t.Fatalf("anna's rule: %+v %v, want website_account_with_orders", d.Rule, ok)
		}

		// My data shows the order, the invoice and the download; erasure
		// keeps the invoice and says so (after the password again: the
		// clock moved past the re-authentication window).
		if resp := anna.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login again: %d", resp.StatusCode)
		}
		if _, data := anna.get("/account/data"); !strings.Contains(data, `id="kind-invoice"`) || !strings.Contains(data, `id="kind-download"`) || !strings.Contains(data, "ook als je je account laat verwijderen") {
			t.Fatalf("My data:\n%s", mainOf(t, data))
		}
		if _, plan := anna.get("/account/data/erase"); !strings.Contains(plan, "step-keep") || !strings.Contains(plan, "Factuur") {
			t.Fatalf("erase page:\n%s", mainOf(t, plan))
		}
		if resp, _ := anna.submit("/account/data/erase", "/account/data/erase", url.Values{"confirm": {"yes"}}); resp.StatusCode != 200 {
			t.Fatalf("erase: %d", resp.StatusCode)
		}
		if countKind(t, s, "order") != 0 || countKind(t, s, "download") != 0 || countKind(t, s, "invoice") != 1 {
			t.Fatalf("after erasure: %d orders, %d downloads, %d invoices", countKind(t, s, "order"), countKind(t, s, "download"), countKind(t, s, "invoice"))
		}
		var name, number string
		if err := s.Read().QueryRow(`SELECT n.value, i.number FROM invoices i JOIN record_values n ON n.record_id = i.record_id AND n.field = 'name'`).Scan(&name, &number); err != nil || name != "Anna de Vries" || number != "2026-000001" {
			t.Fatalf("kept invoice: %q %q %v", name, number, err)
		}
		var payments int
		s.Read().QueryRow(`SELECT COUNT(*) FROM payments`).Scan(&payments)
		if payments != 0 {
			t.Fatalf("%d payments left after erasure; they go with the orders", payments)
		}
		// Every step left its entry: two orders, their payments, the
		// statuses fetched, one invoice, one download.
		for action, want := range map[audit.Action]int{audit.OrderCreate: 2, audit.PaymentCreate: 2, audit.InvoiceIssue: 1, audit.DownloadCreate: 1} {
			var n int
			if err := s.Read().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = $1`, string(action)).Scan(&n); err != nil || n != want {
				t.Errorf("%d %s entries (%v), want %d", n, action, err, want)
			}
		}
		var statuses int
		s.Read().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = $1`, string(audit.PaymentStatus)).Scan(&statuses)
		if statuses < 3 {
			t.Errorf("%d payment.status entries, want the paid, the mismatch's paid and its mismatch", statuses)
		}
		st.log.AssertNoValues(t, "anna@example.org", "Anna de Vries", "Kerkstraat", "3511 AB", m.Key)
		testkit.AssertNoPersonalValues(t, s, "anna@example.org", "Anna de Vries", "Kerkstraat", "3511 AB", "handboek.pdf")
	})
}
