package web

import (
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"steward"
	"steward/account"
	"steward/order"
	orderservice "steward/order/service"
	"steward/policy"
)

// The shop (issue 17 items 5, 6, 8; R5): publications and materials at
// /publications in nl and en; a logged-in person orders one with the
// invoice fields the policy declares and is sent to the payment
// provider's checkout; the provider sends them back to /orders/{id},
// which shows what the database says (never what the redirect claims);
// the provider's webhook POST /payments/{provider}/webhook is the only
// way an order becomes paid. Downloads go through a short-lived signed
// link. Handlers only decode, call order/service and render.

// shopEnabled reports whether the site has a shop.
func (s *Server) shopEnabled() bool { return s.cfg.Orders != nil && order.Enabled(s.cfg.Policy) }

func (s *Server) shopOn(w http.ResponseWriter, r *http.Request) bool {
	if s.shopEnabled() {
		return true
	}
	s.notFound(w, r)
	return false
}

type productsView struct {
	Products []order.Product
}

// publications is GET /publications: the published products.
func (s *Server) publications(w http.ResponseWriter, r *http.Request) {
	if !s.shopOn(w, r) {
		return
	}
	list, err := s.cfg.Orders.Catalogue(r.Context(), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "publications", s.page(r, mustLang(r), "shop.title", &productsView{Products: list}))
}

type productView struct {
	Product  *order.Product
	VAT      int64
	Person   bool
	CSRF     string
	LoginURL string
	// Entitled: the person may download it (bought, or free for account
	// holders).
	Entitled bool
	Fields   []policy.Field
	Values   map[string]string
	Errors   map[string]string
}

// publication is GET /publications/{slug}.
func (s *Server) publication(w http.ResponseWriter, r *http.Request) {
	if !s.shopOn(w, r) {
		return
	}
	s.renderProduct(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderProduct(w http.ResponseWriter, r *http.Request, status int, values, errs map[string]string) {
	ctx := r.Context()
	p, err := s.cfg.Orders.Product(ctx, r.PathValue("slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &productView{Product: p, VAT: order.VATOf(p.PriceCents, p.VATPercent), Fields: s.cfg.Orders.InvoiceFields(), Values: values, Errors: errs}
	if au := s.viewer(r); au != nil {
		if !au.Account.IsStaff() {
			v.Person, v.CSRF = true, au.Session.CSRF
			if v.Entitled, err = s.cfg.Orders.Entitled(ctx, s.cfg.Store.Reader, au.Account, p); err != nil {
				s.fail(w, r, err)
				return
			}
		}
	} else {
		v.LoginURL = loginURL(r)
	}
	s.render(w, r, status, "publication", s.page(r, mustLang(r), "shop.title", v))
}

// publicationOrder is POST /publications/{slug}/order: the order with
// its invoice fields, then the payment: the person is sent to the
// provider's checkout. Wrong fields show the form again with the errors
// and nothing is stored.
func (s *Server) publicationOrder(w http.ResponseWriter, r *http.Request) {
	if !s.shopOn(w, r) {
		return
	}
	au := s.requireLogin(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	lang := mustLang(r)
	qty, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("quantity")))
	if err != nil {
		qty = 0
	}
	invoice := map[string]string{}
	for k, vs := range r.PostForm {
		if k == "csrf" || k == "quantity" {
			continue
		}
		invoice[k] = strings.Join(vs, "")
	}
	o, err := s.cfg.Orders.Place(r.Context(), au.Account, []order.Line{{Product: r.PathValue("slug"), Quantity: qty}}, invoice, lang)
	if err != nil {
		if fe := account.AsFieldErrors(err); fe != nil {
			msgs := map[string]string{}
			for _, e := range fe {
				msgs[e.Field] = s.catalog.Error(lang, e)
			}
			s.renderProduct(w, r, http.StatusUnprocessableEntity, invoice, msgs)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.redirectToPay(w, r, au.Account.ID, o.ID)
}

// redirectToPay starts the payment and sends the person to the checkout;
// when the provider cannot be reached the order page says so and offers
// to try again.
func (s *Server) redirectToPay(w http.ResponseWriter, r *http.Request, _ string, id int64) {
	au := s.viewer(r)
	checkout, err := s.cfg.Orders.Pay(r.Context(), au.Account, id)
	if err != nil {
		q := url.Values{"error": {"payment"}}
		if l := mustLang(r); l != "nl" {
			q.Set("lang", l)
		}
		if steward.ErrorCode(err) != steward.EUNAVAILABLE {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/orders/"+strconv.FormatInt(id, 10)+"?"+q.Encode(), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, checkout, http.StatusSeeOther)
}

type orderView struct {
	Order *orderservice.Order
	CSRF  string
	// PayError: starting the payment failed; try again.
	PayError bool
}

func (s *Server) orderID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, steward.Errorf(steward.ENOTFOUND, "error.no_order"))
		return 0, false
	}
	return id, true
}

// orderPage is GET /orders/{id}: the person's order with its status as
// stored — paid only once the provider's webhook said so; "being
// processed" while the payment is open. The provider's redirect lands
// here and changes nothing.
func (s *Server) orderPage(w http.ResponseWriter, r *http.Request) {
	if !s.shopOn(w, r) {
		return
	}
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	id, ok := s.orderID(w, r)
	if !ok {
		return
	}
	o, err := s.cfg.Orders.Order(r.Context(), au.Account, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "order", s.page(r, mustLang(r), "order_page.title",
		&orderView{Order: o, CSRF: au.Session.CSRF, PayError: r.URL.Query().Get("error") == "payment"}))
}

// orderPay is POST /orders/{id}/pay: pay an open order (again).
func (s *Server) orderPay(w http.ResponseWriter, r *http.Request) {
	if !s.shopOn(w, r) {
		return
	}
	au := s.requireLogin(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	id, ok := s.orderID(w, r)
	if !ok {
		return
	}
	s.redirectToPay(w, r, au.Account.ID, id)
}

type ordersView struct {
	Orders []*orderservice.Order
}

// accountOrders is GET /account/orders: the person's orders (My account).
func (s *Server) accountOrders(w http.ResponseWriter, r *http.Request) {
	if !s.shopOn(w, r) {
		return
	}
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	list, err := s.cfg.Orders.Orders(r.Context(), au.Account)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "orders", s.page(r, mustLang(r), "orders.title", &ordersView{Orders: list}))
}

// paymentWebhook is POST /payments/{provider}/webhook. The provider posts
// only the payment's id; order/service fetches the payment from the
// provider and acts on that alone. An unknown id is answered 200 with
// nothing changed (Mollie's guidance: a forger learns nothing); a failure
// to reach the provider is 503, so the provider calls again.
func (s *Server) paymentWebhook(w http.ResponseWriter, r *http.Request) {
	if !s.shopOn(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	res, err := s.cfg.Orders.Webhook(r.Context(), r.PathValue("provider"), r.PostForm.Get("id"))
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("X-Webhook-Result", string(res))
	w.WriteHeader(http.StatusOK)
}

// publicationDownload is POST /publications/{slug}/download: a signed
// link for the person, valid minutes, and on to it.
func (s *Server) publicationDownload(w http.ResponseWriter, r *http.Request) {
	if !s.shopOn(w, r) {
		return
	}
	au := s.requireLogin(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	token, err := s.cfg.Orders.DownloadLink(r.Context(), au.Account, r.PathValue("slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/downloads/"+url.PathEscape(token)+langQuery(mustLang(r)), http.StatusSeeOther)
}

// download is GET /downloads/{token}: the file, once the link is checked
// for this person and the download recorded. The file comes from the
// configured directory by the product's file name, never from the
// request.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	if !s.shopOn(w, r) {
		return
	}
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	file, p, err := s.cfg.Orders.Download(r.Context(), au.Account, r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filepath.Base(p.File)}))
	w.Header().Set("Cache-Control", "no-store")
	http.ServeFile(w, r, file)
}
