// Package mollie is a small client of the two endpoints of Mollie's
// Payments API v2 that Steward uses (issue 17: R5): create a payment and
// get a payment. No maintained Go client fits (docs/dependencies.md): the
// two calls are a few lines of net/http and encoding/json. The API key
// (test_… or live_…) comes from configuration and is sent only in the
// Authorization header: never stored, never logged.
//
// Followed documentation:
//   - https://docs.mollie.com/reference/v2/payments-api/create-payment
//   - https://docs.mollie.com/reference/v2/payments-api/get-payment
//   - https://docs.mollie.com/overview/authentication (Bearer API key)
//   - https://docs.mollie.com/overview/handling-errors (error body)
//   - https://docs.mollie.com/overview/webhooks (only the id is posted)
package mollie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"steward/order"
)

// DefaultBaseURL is Mollie's API.
const DefaultBaseURL = "https://api.mollie.com"

// The payment statuses of the Payments API v2.
const (
	StatusOpen       = "open"
	StatusPending    = "pending"
	StatusAuthorized = "authorized"
	StatusPaid       = "paid"
	StatusFailed     = "failed"
	StatusCanceled   = "canceled"
	StatusExpired    = "expired"
)

// Amount is an amount of money as Mollie writes it: a currency and a
// string with exactly two decimals ("10.00").
type Amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// AmountOf writes cents as a Mollie amount in EUR.
func AmountOf(cents int64) Amount {
	return Amount{Currency: "EUR", Value: fmt.Sprintf("%d.%02d", cents/100, cents%100)}
}

// Cents reads a Mollie amount value ("10.00") as cents; an amount not
// written with exactly two decimals is an error.
func (a Amount) Cents() (int64, error) {
	whole, frac, ok := strings.Cut(a.Value, ".")
	if !ok || len(frac) != 2 || whole == "" || strings.HasPrefix(whole, "-") {
		return 0, fmt.Errorf("mollie: amount %q is not a value with two decimals", a.Value)
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("mollie: amount %q is not a number", a.Value)
	}
	return w*100 + f, nil
}

// Link is a HAL link.
type Link struct {
	Href string `json:"href"`
	Type string `json:"type"`
}

// Payment is the payment object (the fields Steward reads).
type Payment struct {
	Resource    string            `json:"resource"`
	ID          string            `json:"id"`
	Mode        string            `json:"mode"`
	Status      string            `json:"status"`
	Amount      Amount            `json:"amount"`
	Description string            `json:"description"`
	RedirectURL string            `json:"redirectUrl"`
	WebhookURL  string            `json:"webhookUrl"`
	Metadata    map[string]string `json:"metadata"`
	CreatedAt   string            `json:"createdAt"`
	PaidAt      string            `json:"paidAt,omitempty"`
	Links       struct {
		Self     *Link `json:"self,omitempty"`
		Checkout *Link `json:"checkout,omitempty"`
	} `json:"_links"`
}

// CreatePayment is the body of a create-payment request.
type CreatePayment struct {
	Amount      Amount            `json:"amount"`
	Description string            `json:"description"`
	RedirectURL string            `json:"redirectUrl"`
	WebhookURL  string            `json:"webhookUrl,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// Error is Mollie's error body ({"status", "title", "detail", "field"}).
type Error struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Field  string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("mollie: %d %s: %s", e.Status, e.Title, e.Detail)
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	return s
}

// ErrNotFound is a payment Mollie does not know (404).
var ErrNotFound = errors.New("mollie: payment not found")

// Client calls the Payments API.
type Client struct {
	// BaseURL is DefaultBaseURL or a test server's URL.
	BaseURL string
	// Key is the API key, test_… or live_….
	Key  string
	HTTP *http.Client
}

// CheckKey refuses a key that is not a Mollie API key, without saying it.
func CheckKey(key string) error {
	if !strings.HasPrefix(key, "test_") && !strings.HasPrefix(key, "live_") || len(key) < 10 {
		return errors.New("mollie: the API key must start with test_ or live_")
	}
	return nil
}

func (c *Client) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Key)
	req.Header.Set("Accept", "application/hal+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		// The URL, not the key, is in the error.
		return fmt.Errorf("mollie: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("mollie: %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		_ = json.Unmarshal(data, e)
		if e.Status == 0 {
			e.Status = resp.StatusCode
		}
		if resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("%w: %w", ErrNotFound, e)
		}
		return e
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("mollie: %s %s: %w", method, path, err)
	}
	return nil
}

// Create creates a payment (POST /v2/payments); the customer is sent to
// the returned payment's Links.Checkout.
func (c *Client) Create(ctx context.Context, in CreatePayment) (*Payment, error) {
	var p Payment
	if err := c.do(ctx, http.MethodPost, "/v2/payments", in, &p); err != nil {
		return nil, err
	}
	if p.ID == "" || p.Links.Checkout == nil || p.Links.Checkout.Href == "" {
		return nil, errors.New("mollie: created payment has no id or checkout link")
	}
	return &p, nil
}

// Get fetches a payment (GET /v2/payments/{id}): the only source of its
// status Steward trusts.
func (c *Client) Get(ctx context.Context, id string) (*Payment, error) {
	var p Payment
	if err := c.do(ctx, http.MethodGet, "/v2/payments/"+url.PathEscape(id), nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Provider is Mollie behind order.Provider.
type Provider struct{ Client *Client }

// Name is Mollie's processor id in the policy.
func (Provider) Name() string { return "mollie" }

// Create creates the payment with the order id in its metadata.
func (p Provider) Create(ctx context.Context, c order.Checkout) (string, string, error) {
	pay, err := p.Client.Create(ctx, CreatePayment{Amount: AmountOf(c.AmountCents), Description: c.Description,
		RedirectURL: c.RedirectURL, WebhookURL: c.WebhookURL, Metadata: map[string]string{"order_id": strconv.FormatInt(c.Order, 10)}})
	if err != nil {
		return "", "", err
	}
	return pay.ID, pay.Links.Checkout.Href, nil
}

// Get fetches the payment's status and amount.
func (p Provider) Get(ctx context.Context, id string) (order.ProviderPayment, error) {
	pay, err := p.Client.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return order.ProviderPayment{}, order.ErrUnknownPayment
	}
	if err != nil {
		return order.ProviderPayment{}, err
	}
	cents, err := pay.Amount.Cents()
	if err != nil {
		return order.ProviderPayment{}, err
	}
	return order.ProviderPayment{ID: pay.ID, Status: pay.Status, AmountCents: cents, Currency: pay.Amount.Currency, Order: pay.Metadata["order_id"]}, nil
}
