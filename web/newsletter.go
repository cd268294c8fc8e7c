package web

import (
	"net/http"
	"strings"

	"steward"
	"steward/consent"
	"steward/policy"
)

// newsletterField is one field of the sign-up form.
type newsletterField struct {
	ID       string
	Label    string
	Type     string
	Required bool
	Max      int
	Value    string
}

// newsletterPage shows the sign-up without an account: exactly the fields
// the policy declares for the newsletter record (R2, R4), the exact
// consent notice, and a box that is not ticked (Art. 7; Art. 4(11):
// consent is an unambiguous, affirmative act).
func (s *Server) newsletterPage(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderNewsletter(w, r, lang, http.StatusOK, nil, "")
}

func (s *Server) renderNewsletter(w http.ResponseWriter, r *http.Request, lang string, status int, in map[string]string, problem string) {
	form := s.consent.newsletter.Form()
	if form == nil {
		s.notFound(w, r)
		return
	}
	var fields []newsletterField
	for _, f := range form {
		typ := "text"
		if f.Type == policy.TypeEmail {
			typ = "email"
		}
		fields = append(fields, newsletterField{ID: f.ID, Label: f.Name.In(lang), Type: typ, Required: f.Required, Max: f.MaxLength, Value: in[f.ID]})
	}
	d := struct {
		Fields  []newsletterField
		Notice  string
		Action  string
		Problem string
	}{fields, consent.Notice(s.cfg.Policy.Purpose(consent.NewsletterPurpose), lang), "/newsletter" + langQuery(lang), problem}
	s.render(w, r, status, "newsletter", s.page(r, lang, "newsletter.title", d))
}

// newsletterSubmit stores the sign-up and sends the confirmation mail; the
// answer is the same whether or not the address had signed up before,
// confirmed, withdrew or is subscribed now (consent.Newsletter.SignUp).
func (s *Server) newsletterSubmit(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	in := map[string]string{}
	for k, v := range r.PostForm {
		if k == "consent" {
			continue
		}
		in[k] = strings.Join(v, "")
	}
	if r.PostForm.Get("consent") != "yes" {
		s.renderNewsletter(w, r, lang, http.StatusBadRequest, in, s.catalog.Text(lang, "newsletter.tick_box"))
		return
	}
	// Every accepted sign-up mails its address a link: limited per client
	// and per address like the account forms (issue 4, item 3), so the
	// form cannot flood a mailbox. Same answer for every address.
	if err := checkLimits(s.limits.newsletterIP, s.clientIP(r), s.limits.newsletterAddress, mailboxKey(in["email"])); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.consent.newsletter.SignUp(r.Context(), in, lang)
	if steward.ErrorCode(err) == steward.EINVALID {
		s.renderNewsletter(w, r, lang, http.StatusBadRequest, in, s.catalog.Error(lang, err))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Log.Info("newsletter sign-up", "request_id", RequestID(r.Context()), "signup", id)
	s.notifyMail()
	s.message(w, r, lang, http.StatusOK, "newsletter.check_mail_title", "newsletter.check_mail")
}

// newsletterTokenPage shows a button that posts the token: mail scanners
// that follow links with GET change nothing.
func (s *Server) newsletterTokenPage(action, titleKey, buttonKey string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := mustLang(r)
		d := struct{ Action, Token, Button string }{action + langQuery(lang), r.URL.Query().Get("token"), s.catalog.Text(lang, buttonKey)}
		s.render(w, r, http.StatusOK, "newsletter_token", s.page(r, lang, titleKey, d))
	}
}

// newsletterConfirm completes the double opt-in (R2). A forged, expired,
// used or replaced token is refused and changes nothing; an expired one
// says to sign up again.
func (s *Server) newsletterConfirm(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	r.ParseForm()
	id, err := s.consent.newsletter.Confirm(r.Context(), r.Form.Get("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Log.Info("newsletter sign-up confirmed", "request_id", RequestID(r.Context()), "signup", id, "purpose", consent.NewsletterPurpose)
	s.message(w, r, lang, http.StatusOK, "newsletter.confirmed_title", "newsletter.confirmed")
}

// stopMailing answers a mailing's stop link (consent.Newsletter.Stop):
// it withdraws consent for purpose at once — the newsletter's unsubscribe
// link, the panel invitation's "stop inviting me" — and says so in
// words. It answers the RFC 8058 one-click POST (body
// List-Unsubscribe=One-Click, token in the URL) and the button of the
// link's page alike.
func (s *Server) stopMailing(purpose, titleKey, textKey string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := mustLang(r)
		r.ParseForm()
		subject, err := s.consent.newsletter.Stop(r.Context(), purpose, r.Form.Get("token"), lang)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.cfg.Log.Info("mailing stopped", "request_id", RequestID(r.Context()), "subject", subject, "purpose", purpose)
		s.message(w, r, lang, http.StatusOK, titleKey, textKey)
	}
}
