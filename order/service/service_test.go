package service_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/order"
	"steward/order/mollie"
	orderservice "steward/order/service"
	"steward/policy"
	"steward/store"
)

type env struct {
	t   testing.TB
	s   *store.Store
	m   *testkit.Mollie
	svc *orderservice.Service
	clk *clock.Fixed
}

func newEnv(t testing.TB, s *store.Store) *env {
	t.Helper()
	m := testkit.NewMollie(t)
	clk := clock.NewFixed(time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC))
	svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, "ivm"), Store: s, Clock: clk, BaseURL: "https://www.example.org",
		Payments: mollie.Provider{Client: &mollie.Client{BaseURL: m.URL, Key: m.Key}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Orders.Import(context.Background(), audit.Staff("a-po"), []order.Product{
		{Slug: "handboek", Title: policy.Text{NL: "Handboek", EN: "Handbook"}, PriceCents: 2495, VATPercent: 9, Format: order.Physical, Published: true},
	}); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, s: s, m: m, svc: svc.Orders, clk: clk}
}

func (e *env) person(id string) *account.Account {
	e.t.Helper()
	a := &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: e.clk.Now(), ConfirmedAt: e.clk.Now()}
	if err := e.s.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertAccount(context.Background(), a) }); err != nil {
		e.t.Fatal(err)
	}
	return a
}

var invoice = map[string]string{"invoice_name": "Anna de Vries", "invoice_street": "Kerkstraat 1", "invoice_postcode": "3511 AB", "invoice_city": "Utrecht"}

// orderAndPay places an order of acct and starts its payment; it returns
// the order and the Mollie payment id.
func (e *env) orderAndPay(acct *account.Account) (*orderservice.Order, string) {
	e.t.Helper()
	ctx := context.Background()
	o, err := e.svc.Place(ctx, acct, []order.Line{{Product: "handboek", Quantity: 1}}, invoice, "nl")
	if err != nil {
		e.t.Fatal(err)
	}
	checkout, err := e.svc.Pay(ctx, acct, o.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return o, checkout[len(e.m.URL+"/checkout/"):]
}

func (e *env) webhook(id string) orderservice.WebhookResult {
	e.t.Helper()
	res, err := e.svc.Webhook(context.Background(), "mollie", id)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) status(acct *account.Account, id int64) string {
	e.t.Helper()
	o, err := e.svc.Order(context.Background(), acct, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.Status
}

// TestWebhookIsIdempotentAndOrderIndependent (issue 17 item 6, both
// stores): Mollie calls again (replay), calls for an older payment after
// a newer one, and reports statuses out of order; a paid order stays
// paid with one invoice, an older payment's expiry does not fail an order
// being paid again, a forged id and an id Mollie does not know change
// nothing, and an unreachable Mollie is a 503 for it to retry.
func TestWebhookIsIdempotentAndOrderIndependent(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		anna := e.person("a-anna")
		o, first := e.orderAndPay(anna)
		// The customer gives up; a second payment for the same order.
		checkout, err := e.svc.Pay(context.Background(), anna, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		second := checkout[len(e.m.URL+"/checkout/"):]
		e.m.SetStatus(second, mollie.StatusPaid)
		e.m.SetStatus(first, mollie.StatusExpired)
		// Out of order: the paid one first, the older expiry after.
		if got := e.webhook(second); got != orderservice.Paid {
			t.Fatalf("paid webhook: %s", got)
		}
		if got := e.webhook(first); got != orderservice.Updated || e.status(anna, o.ID) != order.StatusPaid {
			t.Fatalf("late expiry of the older payment: %s, order %s", got, e.status(anna, o.ID))
		}
		for range 3 {
			if got := e.webhook(second); got != orderservice.Unchanged {
				t.Fatalf("replay: %s", got)
			}
		}
		if seqs, _ := s.InvoiceSeqs(context.Background(), 2026); !slices.Equal(seqs, []int{1}) {
			t.Fatalf("invoices %v, want one", seqs)
		}
		// A newer payment open, an older one's failure arriving: not failed.
		piet := e.person("a-piet")
		o2, p1 := e.orderAndPay(piet)
		if _, err := e.svc.Pay(context.Background(), piet, o2.ID); err != nil {
			t.Fatal(err)
		}
		e.m.SetStatus(p1, mollie.StatusFailed)
		if got := e.webhook(p1); got != orderservice.Updated || e.status(piet, o2.ID) != order.StatusOpen {
			t.Fatalf("older payment failed: %s, order %s", got, e.status(piet, o2.ID))
		}
		// Forged ids: unknown to Steward, or to Mollie.
		if got := e.webhook("tr_forged0000"); got != orderservice.Ignored {
			t.Fatalf("forged: %s", got)
		}
		if err := s.InTx(context.Background(), func(tx *store.Tx) error {
			return tx.InsertPayment(context.Background(), &order.Payment{ID: "tr_notatmollie", Provider: "mollie", Order: o2.ID, AmountCents: 2495, Currency: "EUR", Status: "open", CreatedAt: e.clk.Now()})
		}); err != nil {
			t.Fatal(err)
		}
		if got := e.webhook("tr_notatmollie"); got != orderservice.Ignored || e.status(piet, o2.ID) != order.StatusOpen {
			t.Fatalf("unknown at Mollie: %s", got)
		}
		// Mollie unreachable: a 503 for Mollie to call again.
		e.svc.Provider = mollie.Provider{Client: &mollie.Client{BaseURL: "http://127.0.0.1:1", Key: e.m.Key}}
		if _, err := e.svc.Webhook(context.Background(), "mollie", p1); steward.ErrorCode(err) != steward.EUNAVAILABLE {
			t.Fatalf("Mollie down: %v", err)
		}
	})
}

// TestInvoiceNumbersHaveNoGapsAndNeverChange (issue 17 item 7, both
// stores): orders paid at once get the year's numbers 1..n without gaps
// or doubles; a new year starts at 1; an issued invoice's values and
// number cannot be updated, nor a value added to it.
func TestInvoiceNumbersHaveNoGapsAndNeverChange(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		const n = 8
		ids := make([]string, n)
		for i := range n {
			_, ids[i] = e.orderAndPay(e.person(fmt.Sprintf("a-%d", i)))
			e.m.SetStatus(ids[i], mollie.StatusPaid)
		}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					_, err := e.svc.Webhook(context.Background(), "mollie", id)
					if err == nil {
						return
					}
					// A busy database is the provider's retry.
					if steward.ErrorCode(err) == steward.EUNAVAILABLE {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seqs, err := s.InvoiceSeqs(context.Background(), 2026)
		if err != nil || !slices.Equal(seqs, []int{1, 2, 3, 4, 5, 6, 7, 8}) {
			t.Fatalf("invoice numbers %v %v, want 1..8", seqs, err)
		}
		e.clk.Advance(2 * time.Hour)
		_, next := e.orderAndPay(e.person("a-new-year"))
		e.m.SetStatus(next, mollie.StatusPaid)
		if got := e.webhook(next); got != orderservice.Paid {
			t.Fatal(got)
		}
		if seqs, _ := s.InvoiceSeqs(context.Background(), 2027); !slices.Equal(seqs, []int{1}) {
			t.Fatalf("2027 numbers %v, want [1]", seqs)
		}
		for _, q := range []string{
			`UPDATE record_values SET value = 'Iemand anders' WHERE field = 'name' AND record_id IN (SELECT record_id FROM invoices)`,
			`UPDATE invoices SET number = '2026-999999'`,
			`INSERT INTO record_values (record_id, field, value) SELECT record_id, 'extra', 'x' FROM invoices`,
		} {
			if err := s.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.ExecContext(context.Background(), q)
				return err
			}); err == nil {
				t.Fatalf("an issued invoice was changed: %s", q)
			}
		}
	})
}

// BenchmarkOrderToPaid measures one order from placing it to paid with
// its invoice: place, create the payment at the Mollie test server, the
// webhook fetching it and marking the order paid, on each store, with
// the process's CPU per operation (the Mollie test server's included,
// PostgreSQL's not).
func BenchmarkOrderToPaid(b *testing.B) {
	for _, st := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", testkit.SQLite}, {"postgres", testkit.Postgres}} {
		b.Run(st.name, func(b *testing.B) {
			e := newEnv(b, st.open(b))
			anna := e.person("a-anna")
			b.ResetTimer()
			defer testkit.ReportCPU(b, testkit.CPUTime())
			for range b.N {
				_, id := e.orderAndPay(anna)
				e.m.SetStatus(id, mollie.StatusPaid)
				if got := e.webhook(id); got != orderservice.Paid {
					b.Fatal(got)
				}
			}
		})
	}
}
