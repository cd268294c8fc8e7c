// Package order is the domain of IVM's shop (issue 17: R5): the
// publications and materials a person orders (title in nl and en, price
// in cents including VAT, the VAT rate, a file to download or a physical
// item, free for account holders or not), their CSV and JSON import whose
// errors name the line, an order's lines and totals, the invoice number
// (numbered without gaps per year), and the signed, short-lived download
// link. An order, its invoice and a download are records of the policy's
// kinds (order, invoice, download); this package does no SQL and no HTTP,
// order/service applies it.
package order

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"steward"
	"steward/policy"
)

// The policy record kinds of the shop. A policy that declares the order
// kind has a shop (the /publications pages); one that does not has none.
const (
	OrderKind    = "order"
	InvoiceKind  = "invoice"
	DownloadKind = "download"
)

// Enabled reports whether the policy's site has a shop.
func Enabled(p *policy.Policy) bool { return p != nil && p.Record(OrderKind) != nil }

// Format says whether a product is a file to download or a physical item
// that is sent.
type Format string

// The formats of a product.
const (
	File     Format = "file"
	Physical Format = "physical"
)

// Product is one publication or material of the shop.
type Product struct {
	Slug        string
	Title       policy.Text
	Description policy.Text
	// PriceCents is the price including VAT, in euro cents.
	PriceCents int64
	// VATPercent is the VAT rate (Dutch rates: 0, 9 or 21).
	VATPercent int
	Format     Format
	// File is the file's name inside the configured download directory
	// (Format File only); never a path.
	File string
	// FreeForAccounts makes a file free to download for anyone with an
	// account, without ordering.
	FreeForAccounts bool
	Published       bool
}

// Free reports whether the product costs nothing.
func (p *Product) Free() bool { return p.PriceCents == 0 }

// Downloadable reports whether acct-holders download p without buying
// it.
func (p *Product) Downloadable() bool { return p.Format == File }

// Limits of a product's texts and numbers.
const (
	MaxTitle       = 200
	MaxDescription = 5000
	MaxPriceCents  = 10_000_000
	MaxFileName    = 200
)

// VATRates are the rates a product may carry (Dutch VAT: exempt or zero,
// reduced, standard).
var VATRates = []int{0, 9, 21}

var (
	slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,79}$`)
	fileRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// Check normalises p (trimmed texts) and refuses what the shop cannot
// hold: a bad slug, a missing title, over-long texts, control characters,
// a negative or absurd price, a VAT rate that is not a Dutch one, an
// unknown format, a file without a file name or a name that is a path
// ("../x", "a/b"), and a physical item that would be free to download.
func (p *Product) Check() error {
	p.Slug = strings.TrimSpace(p.Slug)
	if !slugRE.MatchString(p.Slug) {
		return steward.FieldError("slug", "error.course_slug")
	}
	for _, t := range []struct {
		field string
		v     *string
		max   int
		req   bool
	}{
		{"title_nl", &p.Title.NL, MaxTitle, true}, {"title_en", &p.Title.EN, MaxTitle, true},
		{"description_nl", &p.Description.NL, MaxDescription, false}, {"description_en", &p.Description.EN, MaxDescription, false},
	} {
		*t.v = strings.TrimSpace(*t.v)
		switch {
		case t.req && *t.v == "":
			return steward.FieldError(t.field, "error.is_required")
		case utf8.RuneCountInString(*t.v) > t.max:
			return steward.FieldError(t.field, "error.course_text_too_long", "max", t.max)
		case strings.IndexFunc(*t.v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0:
			return steward.FieldError(t.field, "error.organisation_name_control")
		}
	}
	if p.PriceCents < 0 || p.PriceCents > MaxPriceCents {
		return steward.FieldError("price_cents", "error.course_price", "max", MaxPriceCents)
	}
	vatOK := false
	for _, r := range VATRates {
		vatOK = vatOK || r == p.VATPercent
	}
	if !vatOK {
		return steward.FieldError("vat_percent", "error.product_vat")
	}
	p.File = strings.TrimSpace(p.File)
	switch p.Format {
	case File:
		if !fileRE.MatchString(p.File) || len(p.File) > MaxFileName || path.Clean(p.File) != p.File || strings.Contains(p.File, "..") {
			return steward.FieldError("file", "error.product_file")
		}
	case Physical:
		if p.File != "" {
			return steward.FieldError("file", "error.product_file_physical")
		}
		if p.FreeForAccounts {
			return steward.FieldError("free_for_account_holders", "error.product_free_physical")
		}
	default:
		return steward.FieldError("format", "error.product_format")
	}
	return nil
}

// Changed names the fields in which p differs from old, for the audit
// entry of an import (names only).
func (p *Product) Changed(old *Product) []string {
	var out []string
	add := func(name string, differs bool) {
		if differs {
			out = append(out, name)
		}
	}
	add("title", p.Title != old.Title)
	add("description", p.Description != old.Description)
	add("price_cents", p.PriceCents != old.PriceCents)
	add("vat_percent", p.VATPercent != old.VATPercent)
	add("format", p.Format != old.Format)
	add("file", p.File != old.File)
	add("free_for_account_holders", p.FreeForAccounts != old.FreeForAccounts)
	add("published", p.Published != old.Published)
	return out
}

// ProductFields are the field names of a new product's audit entry.
var ProductFields = []string{"description", "file", "format", "free_for_account_holders", "price_cents", "published", "title", "vat_percent"}

// VATOf is the VAT included in a price: price × rate / (100 + rate),
// rounded half up to the cent.
func VATOf(priceCents int64, percent int) int64 {
	if percent == 0 {
		return 0
	}
	num := priceCents * int64(percent)
	den := int64(100 + percent)
	return (2*num + den) / (2 * den)
}

// Line is one line of an order: a product, how many, and its price and
// VAT rate when ordered.
type Line struct {
	Product    string
	Quantity   int
	UnitCents  int64
	VATPercent int
}

// MaxQuantity bounds one line's quantity.
const MaxQuantity = 100

// Total is the line's amount including VAT.
func (l Line) Total() int64 { return l.UnitCents * int64(l.Quantity) }

// Totals are an order's amount including VAT and the VAT in it.
func Totals(lines []Line) (amount, vat int64) {
	for _, l := range lines {
		amount += l.Total()
		vat += VATOf(l.Total(), l.VATPercent)
	}
	return amount, vat
}

// The payment statuses of an order (the order record's payment_status
// choices in the policy).
const (
	StatusOpen   = "open"
	StatusPaid   = "paid"
	StatusFailed = "failed"
)

// Payment is a payment at the provider for an order record.
type Payment struct {
	ID          string
	Provider    string
	Order       int64
	AmountCents int64
	Currency    string
	Status      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// InvoiceNumber writes the invoice number of year's seq-th invoice:
// "2026-000042". The numbers of a year have no gaps (order/service takes
// the next one in the transaction that marks the order paid).
func InvoiceNumber(year, seq int) string { return fmt.Sprintf("%04d-%06d", year, seq) }

// OrderNumber writes the order number of an order record: "B000042".
func OrderNumber(record int64) string { return fmt.Sprintf("B%06d", record) }

// Provider is a payment provider (Mollie; CM could be a second one): it
// creates a payment for an order and tells its status when asked. Its
// word is the only one an order is marked paid on.
type Provider interface {
	// Name is the provider's processor id in the policy (mollie).
	Name() string
	Create(ctx context.Context, c Checkout) (id, checkoutURL string, err error)
	// Get fetches a payment; ErrUnknownPayment for an id it does not know.
	Get(ctx context.Context, id string) (ProviderPayment, error)
}

// Checkout is what a provider needs to create a payment.
type Checkout struct {
	Order       int64
	AmountCents int64
	Description string
	RedirectURL string
	WebhookURL  string
}

// ProviderPayment is a payment as the provider reports it.
type ProviderPayment struct {
	ID          string
	Status      string
	AmountCents int64
	Currency    string
	// Order is the order id the payment's metadata names.
	Order string
}

// ErrUnknownPayment is a payment id the provider does not know.
var ErrUnknownPayment = errors.New("order: the provider knows no such payment")
