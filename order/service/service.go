// Package service applies the shop's rules to the store (issue 17: R5):
// the product import, ordering (an order record with only the policy's
// fields, its lines priced when ordered), paying through the payment
// provider (Mollie), the webhook that marks an order paid only from the
// provider's own word and issues its invoice (numbered without gaps, in
// the same transaction), and downloads through short-lived signed links,
// each recorded as a download record. One transaction per change with its
// audit entry (ids and field names only). Built once in internal/wiring.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/order"
	"steward/policy"
	"steward/store"
)

// Service is the shop.
type Service struct {
	Policy *policy.Policy
	Store  *store.Store
	Clock  clock.Clock
	Audit  *audit.Log
	// Log gets ids and counts only; nil discards.
	Log *slog.Logger
	// Provider takes payments; nil when none is configured (ordering
	// works, paying says the payment service is unavailable).
	Provider order.Provider
	// BaseURL is the public address the provider sends the customer back
	// to and calls the webhook on.
	BaseURL string
	// Files is the directory downloads are served from; "" when none is
	// configured.
	Files string
	// LinkKey signs download links.
	LinkKey []byte
}

func (s *Service) enabled() error {
	if !order.Enabled(s.Policy) {
		return steward.Errorf(steward.ENOTFOUND, "error.not_found")
	}
	return nil
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Import stores the parsed products in one transaction, idempotent on
// slug, each added or changed product audited with the fields that
// changed.
func (s *Service) Import(ctx context.Context, by audit.Actor, products []order.Product) (steward.ImportResult, error) {
	var res steward.ImportResult
	if err := s.enabled(); err != nil {
		return res, err
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) (err error) {
		now := s.Clock.Now()
		res, err = steward.ImportEach(products, order.ProductFields,
			func(p *order.Product) (*order.Product, error) { return tx.Product(ctx, p.Slug) },
			func(p *order.Product) error { return tx.PutProduct(ctx, p, now) },
			func(p *order.Product, fields []string) error {
				return s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: audit.ProductImport, ObjectKind: "product", ObjectID: p.Slug, Fields: fields})
			})
		return err
	})
	return res, err
}

// Catalogue lists the published products (the public pages), or all for
// staff.
func (s *Service) Catalogue(ctx context.Context, all bool) ([]order.Product, error) {
	if err := s.enabled(); err != nil {
		return nil, err
	}
	return s.Store.Products(ctx, !all)
}

// Product returns a published product; an unpublished or unknown one is
// not found.
func (s *Service) Product(ctx context.Context, slug string) (*order.Product, error) {
	if err := s.enabled(); err != nil {
		return nil, err
	}
	p, err := s.Store.Product(ctx, slug)
	if err != nil {
		return nil, err
	}
	if !p.Published {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_product")
	}
	return p, nil
}

// InvoiceFields are the fields of the order record a person fills in when
// ordering: those the policy declares as given by them, other than the
// products (IVM: the invoice address). Nothing else is asked.
func (s *Service) InvoiceFields() []policy.Field {
	rec := s.Policy.Record(order.OrderKind)
	if rec == nil {
		return nil
	}
	var out []policy.Field
	for _, f := range rec.Fields {
		if f.Source == policy.SourceSubject && f.ID != "items" {
			out = append(out, f)
		}
	}
	return out
}

// Order is one order as its owner sees it.
type Order struct {
	ID        int64
	Number    string
	OrderedAt time.Time
	Lines     []order.Line
	Titles    map[string]policy.Text
	Amount    int64
	VAT       int64
	Status    string
	Values    map[string]string
	Invoice   *store.Invoice
	// Processing is true while a payment was started and the provider has
	// not yet said how it ended (the return page's "being processed").
	Processing bool
}

// MaxLines bounds an order's lines.
const MaxLines = 20

// Place stores a person's order: the lines (published products with a
// price, each 1..MaxQuantity), priced now, and the invoice fields the
// policy declares, checked like a profile's; in one transaction with its
// audit entry. It is open until paid.
func (s *Service) Place(ctx context.Context, acct *account.Account, lines []order.Line, invoice map[string]string, lang string) (*Order, error) {
	if err := s.enabled(); err != nil {
		return nil, err
	}
	if acct.IsStaff() {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_order")
	}
	if len(lines) == 0 || len(lines) > MaxLines {
		return nil, steward.FieldError("lines", "error.order_lines", "max", MaxLines)
	}
	fields := s.InvoiceFields()
	vals := map[string]string{}
	var errs account.FieldErrors
	for k := range invoice {
		if !slices.ContainsFunc(fields, func(f policy.Field) bool { return f.ID == k }) {
			errs = append(errs, steward.FieldError(k, "error.is_not_field_site"))
		}
	}
	for i := range fields {
		f := &fields[i]
		v, err := account.Normalize(f, invoice[f.ID])
		if err != nil {
			var se *steward.Error
			if !errors.As(err, &se) {
				return nil, err
			}
			errs = append(errs, se)
			continue
		}
		if v == "" && f.Required {
			errs = append(errs, steward.FieldError(f.ID, "error.is_required"))
			continue
		}
		if v != "" {
			vals[f.ID] = v
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var out *Order
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		now := s.Clock.Now()
		var items []string
		priced := make([]order.Line, 0, len(lines))
		seen := map[string]bool{}
		for _, l := range lines {
			p, err := tx.Product(ctx, l.Product)
			if err != nil || !p.Published {
				return steward.Errorf(steward.ENOTFOUND, "error.no_product")
			}
			if p.Free() || p.FreeForAccounts {
				return steward.Errorf(steward.ECONFLICT, "error.product_free")
			}
			if l.Quantity < 1 || l.Quantity > order.MaxQuantity {
				return steward.FieldError("quantity", "error.order_quantity", "max", order.MaxQuantity)
			}
			if seen[p.Slug] {
				return steward.FieldError("lines", "error.order_line_twice")
			}
			seen[p.Slug] = true
			priced = append(priced, order.Line{Product: p.Slug, Quantity: l.Quantity, UnitCents: p.PriceCents, VATPercent: p.VATPercent})
			items = append(items, fmt.Sprintf("%s × %d", p.Title.In(lang), l.Quantity))
		}
		amount, _ := order.Totals(priced)
		rec := s.Policy.Record(order.OrderKind)
		set := func(field, v string) {
			if rec.Field(field) != nil {
				vals[field] = v
			}
		}
		set("ordered_at", now.UTC().Format(time.DateOnly))
		set("items", strings.Join(items, "; "))
		set("amount_cents", strconv.FormatInt(amount, 10))
		set("payment_status", order.StatusOpen)
		r := &store.Record{Subject: acct.ID, Kind: order.OrderKind, CreatedAt: now, Values: vals}
		if err := tx.InsertRecord(ctx, s.Policy, r); err != nil {
			return err
		}
		if rec.Field("order_number") != nil {
			if err := tx.SetRecordValue(ctx, s.Policy, order.OrderKind, r.ID, "order_number", order.OrderNumber(r.ID)); err != nil {
				return err
			}
		}
		if err := tx.InsertOrderLines(ctx, r.ID, priced); err != nil {
			return err
		}
		names := []string{"lines"}
		for f := range vals {
			names = append(names, order.OrderKind+"."+f)
		}
		slices.Sort(names)
		pseud := audit.Pseudonym(acct.Pseudonym)
		if err := s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.SubjectActor(pseud), Action: audit.OrderCreate,
			ObjectKind: order.OrderKind, ObjectID: strconv.FormatInt(r.ID, 10), Subject: pseud, Fields: names}); err != nil {
			return err
		}
		out = &Order{ID: r.ID, Number: order.OrderNumber(r.ID), OrderedAt: now, Lines: priced, Amount: amount, Status: order.StatusOpen}
		return nil
	})
	return out, err
}

// load reads an order of acct through r; another person's order, or a
// record that is no order, is not found.
func (s *Service) load(ctx context.Context, r *store.Reader, acct *account.Account, id int64) (*Order, error) {
	rec, err := r.Record(ctx, id)
	if err != nil || rec.Kind != order.OrderKind || acct == nil || rec.Subject != acct.ID {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_order")
	}
	return s.view(ctx, r, rec)
}

func (s *Service) view(ctx context.Context, r *store.Reader, rec *store.Record) (*Order, error) {
	o := &Order{ID: rec.ID, Number: rec.Values["order_number"], OrderedAt: rec.CreatedAt, Status: rec.Values["payment_status"], Values: rec.Values,
		Titles: map[string]policy.Text{}}
	if o.Number == "" {
		o.Number = order.OrderNumber(rec.ID)
	}
	var err error
	if o.Lines, err = r.OrderLines(ctx, rec.ID); err != nil {
		return nil, err
	}
	o.Amount, o.VAT = order.Totals(o.Lines)
	for _, l := range o.Lines {
		if p, err := r.Product(ctx, l.Product); err == nil {
			o.Titles[l.Product] = p.Title
		} else {
			o.Titles[l.Product] = policy.Text{NL: l.Product, EN: l.Product}
		}
	}
	if o.Invoice, err = r.InvoiceOf(ctx, rec.ID); err != nil {
		return nil, err
	}
	if o.Status != order.StatusPaid {
		pays, err := r.PaymentsOf(ctx, rec.ID)
		if err != nil {
			return nil, err
		}
		o.Processing = len(pays) > 0 && !final(pays[0].Status)
	}
	return o, nil
}

// final reports whether a provider status is the end of a payment.
func final(status string) bool {
	return status == "paid" || status == "failed" || status == "canceled" || status == "expired"
}

// Order returns acct's order id (the order page, the page the provider
// sends the customer back to: it shows what the database says, never
// what the redirect claims).
func (s *Service) Order(ctx context.Context, acct *account.Account, id int64) (*Order, error) {
	if err := s.enabled(); err != nil {
		return nil, err
	}
	return s.load(ctx, s.Store.Reader, acct, id)
}

// Orders lists acct's orders, newest first (My account).
func (s *Service) Orders(ctx context.Context, acct *account.Account) ([]*Order, error) {
	if err := s.enabled(); err != nil {
		return nil, err
	}
	var out []*Order
	err := s.Store.EachRecordOfKind(ctx, acct.ID, order.OrderKind, func(rec store.Record) error {
		o, err := s.view(ctx, s.Store.Reader, &rec)
		if err == nil {
			out = append(out, o)
		}
		return err
	})
	slices.SortFunc(out, func(a, b *Order) int { return int(b.ID - a.ID) })
	return out, err
}

// Pay starts a payment of acct's open order at the provider and returns
// the checkout address to send them to. The order stays open: only the
// provider's status, fetched on its webhook, marks it paid.
func (s *Service) Pay(ctx context.Context, acct *account.Account, id int64) (string, error) {
	if err := s.enabled(); err != nil {
		return "", err
	}
	o, err := s.load(ctx, s.Store.Reader, acct, id)
	if err != nil {
		return "", err
	}
	if o.Status == order.StatusPaid {
		return "", steward.Errorf(steward.ECONFLICT, "error.order_paid")
	}
	if s.Provider == nil {
		return "", steward.Errorf(steward.EUNAVAILABLE, "error.payments_unavailable")
	}
	base := strings.TrimRight(s.BaseURL, "/")
	pid, checkout, err := s.Provider.Create(ctx, order.Checkout{Order: o.ID, AmountCents: o.Amount,
		Description: "IVM " + o.Number, RedirectURL: base + "/orders/" + strconv.FormatInt(o.ID, 10),
		WebhookURL: base + "/payments/" + s.Provider.Name() + "/webhook"})
	if err != nil {
		s.log().Warn("payment create failed", "order", o.ID, "provider", s.Provider.Name(), "err", err)
		return "", steward.Errorf(steward.EUNAVAILABLE, "error.payments_unavailable")
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		now := s.Clock.Now()
		if err := tx.InsertPayment(ctx, &order.Payment{ID: pid, Provider: s.Provider.Name(), Order: o.ID, AmountCents: o.Amount,
			Currency: "EUR", Status: "open", CreatedAt: now}); err != nil {
			return err
		}
		if o.Status != order.StatusOpen {
			if err := tx.SetRecordValue(ctx, s.Policy, order.OrderKind, o.ID, "payment_status", order.StatusOpen); err != nil {
				return err
			}
		}
		pseud := audit.Pseudonym(acct.Pseudonym)
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.SubjectActor(pseud), Action: audit.PaymentCreate,
			ObjectKind: order.OrderKind, ObjectID: strconv.FormatInt(o.ID, 10), Subject: pseud, Fields: []string{"payment." + s.Provider.Name()}})
	})
	if err != nil {
		return "", err
	}
	return checkout, nil
}

var paymentIDRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// WebhookResult says what a webhook call did, for tests and logs.
type WebhookResult string

// The outcomes of a webhook call.
const (
	// Ignored: an id Steward never created (a forged call); nothing changed.
	Ignored WebhookResult = "ignored"
	// Unchanged: the provider's status was already known (a replay).
	Unchanged WebhookResult = "unchanged"
	// Updated: the payment's status changed, the order did not.
	Updated WebhookResult = "updated"
	// Paid: the order was marked paid and its invoice issued.
	Paid WebhookResult = "paid"
	// Failed: the order's newest payment ended without paying.
	Failed WebhookResult = "failed"
	// Mismatch: the provider says paid, but not the order's amount,
	// currency or order: the order stays unpaid.
	Mismatch WebhookResult = "mismatch"
)

// Webhook handles the provider's call for payment id. The call carries
// nothing else, and Steward believes nothing of it: it fetches the payment
// from the provider (with its API key) and acts on that. An id it did not
// create is ignored (Mollie's guidance: answer 200 so as not to tell a
// forger which ids exist; it changes nothing because the status is never
// taken from the call). A repeated call finds the status known and
// changes nothing; a call arriving after a later one (out of order) never
// takes a paid order back, and a failed older payment does not fail an
// order whose newer payment is open. The order is marked paid only when
// the provider says paid for exactly the order's amount in EUR and for
// this order; then, in the same transaction, its invoice is issued with
// the year's next number.
func (s *Service) Webhook(ctx context.Context, provider, id string) (WebhookResult, error) {
	if err := s.enabled(); err != nil {
		return Ignored, err
	}
	if s.Provider == nil || provider != s.Provider.Name() || !paymentIDRE.MatchString(id) {
		return Ignored, nil
	}
	known, err := s.Store.Payment(ctx, id)
	if steward.ErrorCode(err) == steward.ENOTFOUND {
		s.log().Info("payment webhook for an unknown payment ignored", "provider", provider)
		return Ignored, nil
	}
	if err != nil {
		return Ignored, err
	}
	got, err := s.Provider.Get(ctx, id)
	if errors.Is(err, order.ErrUnknownPayment) {
		s.log().Warn("payment webhook: the provider does not know a payment Steward created", "order", known.Order)
		return Ignored, nil
	}
	if err != nil {
		// The provider retries a call that is not answered 200.
		s.log().Warn("payment webhook: fetching the payment failed", "order", known.Order, "err", err)
		return Ignored, steward.Errorf(steward.EUNAVAILABLE, "error.payments_unavailable")
	}
	var res WebhookResult
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		res = Unchanged
		// One webhook at a time per order: the second waits here and then
		// sees what the first did.
		if err := tx.LockRecord(ctx, known.Order); err != nil {
			return err
		}
		pay, err := tx.Payment(ctx, id)
		if err != nil {
			return err
		}
		rec, err := tx.Record(ctx, pay.Order)
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		status := rec.Values["payment_status"]
		sysActor := audit.System("payments")
		subject := audit.Pseudonym("")
		if a, err := tx.AccountByID(ctx, rec.Subject); err == nil {
			subject = audit.Pseudonym(a.Pseudonym)
		}
		entry := func(action audit.Action, fields ...string) error {
			return s.Audit.Record(ctx, tx, audit.Entry{Actor: sysActor, Action: action, ObjectKind: order.OrderKind,
				ObjectID: strconv.FormatInt(rec.ID, 10), Subject: subject, Fields: fields})
		}
		if pay.Status != got.Status {
			if err := tx.SetPaymentStatus(ctx, id, got.Status, now); err != nil {
				return err
			}
			if err := entry(audit.PaymentStatus, "payment.status."+got.Status); err != nil {
				return err
			}
			res = Updated
		}
		switch {
		case status == order.StatusPaid:
			// Paid stays paid, whatever arrives later.
			return nil
		case got.Status == "paid":
			want := strconv.FormatInt(rec.ID, 10)
			if got.AmountCents != pay.AmountCents || rec.Values["amount_cents"] != strconv.FormatInt(got.AmountCents, 10) ||
				got.Currency != "EUR" || got.Order != want {
				res = Mismatch
				s.log().Warn("payment webhook: paid, but not the order's amount, currency or order; the order stays unpaid", "order", rec.ID)
				return entry(audit.PaymentStatus, "payment.mismatch")
			}
			if err := s.markPaid(ctx, tx, rec, id, now); err != nil {
				return err
			}
			res = Paid
			return entry(audit.InvoiceIssue, "invoice", "order.payment_status", "order.payment_reference")
		case got.Status == "failed" || got.Status == "canceled" || got.Status == "expired":
			pays, err := tx.PaymentsOf(ctx, rec.ID)
			if err != nil {
				return err
			}
			// Only the newest payment decides: an older one's end arriving
			// late does not fail an order being paid again.
			if len(pays) > 0 && pays[0].ID == id && status != order.StatusFailed {
				if err := tx.SetRecordValue(ctx, s.Policy, order.OrderKind, rec.ID, "payment_status", order.StatusFailed); err != nil {
					return err
				}
				res = Failed
				return entry(audit.PaymentStatus, "order.payment_status")
			}
		}
		return nil
	})
	return res, err
}

// markPaid marks the order paid and issues its invoice: the year's next
// number, an invoice record with the invoice data only (the fields the
// policy declares for it), numbered and from then on immutable.
func (s *Service) markPaid(ctx context.Context, tx *store.Tx, rec *store.Record, paymentID string, now time.Time) error {
	if err := tx.SetRecordValue(ctx, s.Policy, order.OrderKind, rec.ID, "payment_status", order.StatusPaid); err != nil {
		return err
	}
	if s.Policy.Record(order.OrderKind).Field("payment_reference") != nil {
		if err := tx.SetRecordValue(ctx, s.Policy, order.OrderKind, rec.ID, "payment_reference", paymentID); err != nil {
			return err
		}
	}
	inv := s.Policy.Record(order.InvoiceKind)
	if inv == nil {
		return nil
	}
	lines, err := tx.OrderLines(ctx, rec.ID)
	if err != nil {
		return err
	}
	amount, vat := order.Totals(lines)
	year := now.UTC().Year()
	seq, err := tx.NextInvoiceSeq(ctx, year)
	if err != nil {
		return err
	}
	number := order.InvoiceNumber(year, seq)
	from := map[string]string{
		"invoice_number": number, "issued_on": now.UTC().Format(time.DateOnly),
		"name": rec.Values["invoice_name"], "street": rec.Values["invoice_street"], "postcode": rec.Values["invoice_postcode"], "city": rec.Values["invoice_city"],
		"items": rec.Values["items"], "amount_cents": strconv.FormatInt(amount, 10), "vat_cents": strconv.FormatInt(vat, 10),
		"payment_reference": paymentID,
	}
	vals := map[string]string{}
	for _, f := range inv.Fields {
		if v := from[f.ID]; v != "" {
			vals[f.ID] = v
		}
	}
	r := &store.Record{Subject: rec.Subject, Kind: order.InvoiceKind, CreatedAt: now, Values: vals}
	if err := tx.InsertRecord(ctx, s.Policy, r); err != nil {
		return err
	}
	return tx.InsertInvoice(ctx, store.Invoice{Number: number, Year: year, Seq: seq, Record: r.ID, OrderRecord: rec.ID, IssuedAt: now})
}

// Entitled reports whether acct may download product p: a file that is
// free for account holders, or one they paid for.
func (s *Service) Entitled(ctx context.Context, r *store.Reader, acct *account.Account, p *order.Product) (bool, error) {
	if p.Format != order.File || acct == nil || acct.IsStaff() {
		return false, nil
	}
	if p.FreeForAccounts {
		return true, nil
	}
	return r.HasPaid(ctx, acct.ID, p.Slug)
}

// DownloadLink returns a signed link token for acct to download product
// slug, valid for order.LinkTTL.
func (s *Service) DownloadLink(ctx context.Context, acct *account.Account, slug string) (string, error) {
	p, err := s.Product(ctx, slug)
	if err != nil {
		return "", err
	}
	ok, err := s.Entitled(ctx, s.Store.Reader, acct, p)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", steward.Errorf(steward.EFORBIDDEN, "error.download_not_bought")
	}
	return order.Sign(s.LinkKey, order.Link{Account: acct.ID, Product: p.Slug, Expires: s.Clock.Now().Add(order.LinkTTL)}), nil
}

// Download checks a link token for acct and records the download (a
// download record: the product and the day, R9 counts it) in one
// transaction with its audit entry, and returns the file to serve: the
// product's file name inside the configured directory — never a path
// from the request. A link made for another account, expired, changed or
// for a product no longer theirs is refused and nothing is recorded.
func (s *Service) Download(ctx context.Context, acct *account.Account, token string) (string, *order.Product, error) {
	if err := s.enabled(); err != nil {
		return "", nil, err
	}
	if s.Files == "" {
		return "", nil, steward.Errorf(steward.EUNAVAILABLE, "error.downloads_unavailable")
	}
	l, err := order.Verify(s.LinkKey, token, acct.ID, s.Clock.Now())
	if err != nil {
		return "", nil, err
	}
	var file string
	var prod *order.Product
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.Product(ctx, l.Product)
		if err != nil {
			return err
		}
		ok, err := s.Entitled(ctx, tx.Reader, acct, p)
		if err != nil {
			return err
		}
		if !ok {
			return steward.Errorf(steward.EFORBIDDEN, "error.download_not_bought")
		}
		dir, err := filepath.Abs(s.Files)
		if err != nil {
			return err
		}
		file = filepath.Join(dir, p.File)
		if filepath.Dir(file) != dir {
			return steward.Errorf(steward.ENOTFOUND, "error.no_product")
		}
		if st, err := os.Stat(file); err != nil || !st.Mode().IsRegular() {
			s.log().Warn("download: the product's file is missing", "product", p.Slug)
			return steward.Errorf(steward.ENOTFOUND, "error.download_file_missing")
		}
		prod = p
		now := s.Clock.Now()
		rec := s.Policy.Record(order.DownloadKind)
		if rec == nil {
			return nil
		}
		vals := map[string]string{}
		if rec.Field("material") != nil {
			vals["material"] = p.Slug
		}
		if rec.Field("downloaded_at") != nil {
			vals["downloaded_at"] = now.UTC().Format(time.DateOnly)
		}
		r := &store.Record{Subject: acct.ID, Kind: order.DownloadKind, CreatedAt: now, Values: vals}
		if err := tx.InsertRecord(ctx, s.Policy, r); err != nil {
			return err
		}
		pseud := audit.Pseudonym(acct.Pseudonym)
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.SubjectActor(pseud), Action: audit.DownloadCreate,
			ObjectKind: order.DownloadKind, ObjectID: strconv.FormatInt(r.ID, 10), Subject: pseud, Fields: []string{"download.material", "download.downloaded_at"}})
	})
	if err != nil {
		return "", nil, err
	}
	return file, prod, nil
}
