package testkit

// An in-process server that follows Mollie's documented Payments API v2
// (issue 17), for tests of the payment flow without the network:
//
//   - create payment: https://docs.mollie.com/reference/v2/payments-api/create-payment
//     (POST /v2/payments; amount {currency, value "10.00"} and description
//     required, redirectUrl required; 201 with the payment object, status
//     "open", _links.checkout)
//   - get payment: https://docs.mollie.com/reference/v2/payments-api/get-payment
//     (GET /v2/payments/{id}; 404 for an unknown id)
//   - statuses: https://docs.mollie.com/payments/status-changes (open,
//     pending, authorized, paid, failed, canceled, expired)
//   - authentication: https://docs.mollie.com/overview/authentication
//     (Authorization: Bearer test_…/live_…; 401 otherwise)
//   - errors: https://docs.mollie.com/overview/handling-errors
//     (application/hal+json {"status", "title", "detail", "field"?, "_links"})
//   - webhooks: https://docs.mollie.com/overview/webhooks (a POST with the
//     single form parameter id=tr_…, nothing else; the receiver fetches the
//     payment; a non-2xx answer is retried)

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// MolliePayment is a payment the test server holds.
type MolliePayment struct {
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	Amount      mollieAmount      `json:"amount"`
	Description string            `json:"description"`
	RedirectURL string            `json:"redirectUrl"`
	WebhookURL  string            `json:"webhookUrl"`
	Metadata    map[string]string `json:"metadata"`
	CreatedAt   time.Time         `json:"-"`
	PaidAt      time.Time         `json:"-"`
}

type mollieAmount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// Mollie is the test server.
type Mollie struct {
	// URL is the server's base URL (for the client's BaseURL).
	URL string
	// Key is the one API key it accepts.
	Key string
	// Created counts create-payment calls; Fetched get-payment calls.
	Created, Fetched int

	t        testing.TB
	mu       sync.Mutex
	payments map[string]*MolliePayment
}

var mollieValue = regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`)

// NewMollie starts a Mollie test server accepting key "test_" + random.
func NewMollie(t testing.TB) *Mollie {
	t.Helper()
	m := &Mollie{Key: "test_" + mollieRandom(15), t: t, payments: map[string]*MolliePayment{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/payments", m.create)
	mux.HandleFunc("GET /v2/payments/{id}", m.get)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	m.URL = srv.URL
	return m
}

func mollieRandom(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func mollieError(w http.ResponseWriter, status int, title, detail, field string) {
	body := map[string]any{"status": status, "title": title, "detail": detail,
		"_links": map[string]any{"documentation": map[string]string{"href": "https://docs.mollie.com/overview/handling-errors", "type": "text/html"}}}
	if field != "" {
		body["field"] = field
	}
	w.Header().Set("Content-Type", "application/hal+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func (m *Mollie) authorised(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+m.Key {
		mollieError(w, http.StatusUnauthorized, "Unauthorized Request", "Missing authentication, or failed to authenticate", "")
		return false
	}
	return true
}

func (m *Mollie) object(p *MolliePayment) map[string]any {
	o := map[string]any{
		"resource": "payment", "id": p.ID, "mode": "test", "status": p.Status,
		"amount": p.Amount, "description": p.Description, "redirectUrl": p.RedirectURL,
		"metadata": p.Metadata, "createdAt": p.CreatedAt.Format(time.RFC3339), "isCancelable": p.Status == "open",
		"sequenceType": "oneoff",
	}
	if p.WebhookURL != "" {
		o["webhookUrl"] = p.WebhookURL
	}
	links := map[string]any{
		"self":          map[string]string{"href": m.URL + "/v2/payments/" + p.ID, "type": "application/hal+json"},
		"documentation": map[string]string{"href": "https://docs.mollie.com/reference/v2/payments-api/get-payment", "type": "text/html"},
	}
	// The checkout link is there while the payment can still be paid.
	if p.Status == "open" {
		links["checkout"] = map[string]string{"href": m.URL + "/checkout/" + p.ID, "type": "text/html"}
	}
	switch p.Status {
	case "paid":
		o["paidAt"] = p.PaidAt.Format(time.RFC3339)
	case "open":
		o["expiresAt"] = p.CreatedAt.Add(15 * time.Minute).Format(time.RFC3339)
	case "failed":
		o["failedAt"] = p.CreatedAt.Format(time.RFC3339)
	case "canceled":
		o["canceledAt"] = p.CreatedAt.Format(time.RFC3339)
	case "expired":
		o["expiredAt"] = p.CreatedAt.Format(time.RFC3339)
	}
	o["_links"] = links
	return o
}

func (m *Mollie) create(w http.ResponseWriter, r *http.Request) {
	if !m.authorised(w, r) {
		return
	}
	var in struct {
		Amount      *mollieAmount     `json:"amount"`
		Description string            `json:"description"`
		RedirectURL string            `json:"redirectUrl"`
		WebhookURL  string            `json:"webhookUrl"`
		Metadata    map[string]string `json:"metadata"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		mollieError(w, http.StatusBadRequest, "Bad Request", "The request body is not valid JSON", "")
		return
	}
	switch {
	case in.Amount == nil || in.Amount.Currency == "" || in.Amount.Value == "":
		mollieError(w, http.StatusUnprocessableEntity, "Unprocessable Entity", "The amount is required", "amount")
		return
	case !mollieValue.MatchString(in.Amount.Value) || in.Amount.Value == "0.00":
		mollieError(w, http.StatusUnprocessableEntity, "Unprocessable Entity", "The amount contains an invalid value", "amount.value")
		return
	case in.Description == "":
		mollieError(w, http.StatusUnprocessableEntity, "Unprocessable Entity", "The description is invalid", "description")
		return
	case in.RedirectURL == "":
		mollieError(w, http.StatusUnprocessableEntity, "Unprocessable Entity", "The redirect URL is invalid", "redirectUrl")
		return
	}
	m.mu.Lock()
	m.Created++
	p := &MolliePayment{ID: "tr_" + mollieRandom(10), Status: "open", Amount: *in.Amount, Description: in.Description,
		RedirectURL: in.RedirectURL, WebhookURL: in.WebhookURL, Metadata: in.Metadata, CreatedAt: time.Now().UTC()}
	m.payments[p.ID] = p
	obj := m.object(p)
	m.mu.Unlock()
	w.Header().Set("Content-Type", "application/hal+json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(obj)
}

func (m *Mollie) get(w http.ResponseWriter, r *http.Request) {
	if !m.authorised(w, r) {
		return
	}
	id := r.PathValue("id")
	m.mu.Lock()
	m.Fetched++
	p, ok := m.payments[id]
	var obj map[string]any
	if ok {
		obj = m.object(p)
	}
	m.mu.Unlock()
	if !ok {
		mollieError(w, http.StatusNotFound, "Not Found", "No payment exists with token "+id+".", "")
		return
	}
	w.Header().Set("Content-Type", "application/hal+json")
	json.NewEncoder(w).Encode(obj)
}

// Payment returns a copy of payment id; ok false when unknown.
func (m *Mollie) Payment(id string) (MolliePayment, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.payments[id]
	if !ok {
		return MolliePayment{}, false
	}
	return *p, true
}

// Only returns the one payment the server holds (the test made one).
func (m *Mollie) Only() MolliePayment {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.payments) != 1 {
		m.t.Fatalf("mollie: %d payments, want 1", len(m.payments))
	}
	for _, p := range m.payments {
		return *p
	}
	return MolliePayment{}
}

// SetStatus moves payment id to status as the customer's checkout would
// (paid, failed, canceled, expired).
func (m *Mollie) SetStatus(id, status string) {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.payments[id]
	if !ok {
		m.t.Fatalf("mollie: no payment %s", id)
	}
	p.Status = status
	if status == "paid" {
		p.PaidAt = time.Now().UTC()
	}
}

// SetAmount changes what the server says payment id is for: a payment
// whose amount does not match its order.
func (m *Mollie) SetAmount(id, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.payments[id].Amount.Value = value
}

// Webhook calls payment id's webhook URL the way Mollie does: a POST
// with the form parameter id and nothing else. It returns the status the
// receiver answered.
func (m *Mollie) Webhook(id string) int {
	m.t.Helper()
	p, ok := m.Payment(id)
	if !ok || p.WebhookURL == "" {
		m.t.Fatalf("mollie: payment %s has no webhook URL", id)
	}
	return PostWebhook(m.t, p.WebhookURL, id)
}

// PostWebhook posts id=… to a webhook URL like Mollie (a forged call too:
// anyone can post this).
func PostWebhook(t testing.TB, webhookURL, id string) int {
	t.Helper()
	resp, err := http.Post(webhookURL, "application/x-www-form-urlencoded", bytes.NewBufferString(url.Values{"id": {id}}.Encode()))
	if err != nil {
		t.Fatalf("mollie webhook: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// String names the server for failure messages.
func (m *Mollie) String() string {
	return fmt.Sprintf("mollie test server %s", strings.TrimPrefix(m.URL, "http://"))
}
