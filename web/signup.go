package web

import (
	"net/http"

	"steward/account"
	"steward/account/service"
	"steward/policy"
)

// signupPage shows the sign-up form: exactly the account fields the
// policy declares (R1, Z2, R4), drawn from the policy, so IVM and
// Zorginspirator differ by data only.
func (s *Server) signupPage(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderSignup(w, r, lang, http.StatusOK, nil, nil, nil)
}

func (s *Server) renderSignup(w http.ResponseWriter, r *http.Request, lang string, status int, in map[string]map[string]string, ticked []string, errs account.FieldErrors) {
	d := &formData{Action: "/signup" + langQuery(lang), CSRF: s.formToken("signup"), Consents: s.signupConsents(lang, ticked), Keep: s.keepOffer(r)}
	for _, rec := range account.SignupRecords(s.cfg.Policy) {
		vals := account.Values{}
		for k, v := range in[rec.ID] {
			vals[k] = v
		}
		d.Sections = append(d.Sections, s.section(lang, rec, vals, errs, nil))
	}
	d.Errors = s.summary(lang, errs)
	if pe := errs.For("password"); pe != nil {
		d.Extra = s.catalog.Error(lang, pe)
	}
	s.render(w, r, status, "signup", s.page(r, lang, "signup.title", d))
}

// signupSubmit creates the account and answers "check your mail" whether
// or not the address already had one (no enumeration). Sign-ups are
// limited per client and per address (issue 4, item 3): a sign-up for a
// registered address mails its owner, so many clients must not be able
// to flood one mailbox.
func (s *Server) signupSubmit(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkFormToken("signup", r.PostForm.Get("csrf")); err != nil {
		s.fail(w, r, err)
		return
	}
	in := recordForm(r)
	if err := checkLimits(s.limits.signupIP, s.clientIP(r), s.limits.signupAccount, mailboxKey(s.accounts().SignupEmail(in))); err != nil {
		s.fail(w, r, err)
		return
	}
	ticked := r.PostForm["consent"]
	err := s.accounts().SignUp(r.Context(), service.Signup{Records: in, Password: r.PostForm.Get("password"), Lang: lang, Consents: ticked})
	if fe := account.AsFieldErrors(err); fe != nil {
		s.renderSignup(w, r, lang, http.StatusBadRequest, in, ticked, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.message(w, r, lang, http.StatusOK, "signup.done_title", "signup.done")
}

// message renders a short page with one text from the catalogue.
func (s *Server) message(w http.ResponseWriter, r *http.Request, lang string, status int, titleKey, textKey string) {
	s.messageThen(w, r, lang, status, titleKey, textKey, navItem{})
}

// messageThen is message with a link to what the person does next (after
// a reset or a confirmation: log in; issue 13).
func (s *Server) messageThen(w http.ResponseWriter, r *http.Request, lang string, status int, titleKey, textKey string, next navItem) {
	p := s.page(r, lang, titleKey, struct {
		Text string
		Next navItem
	}{s.catalog.Text(lang, textKey), next})
	s.render(w, r, status, "message", p)
}

// langQuery is the query string that keeps a non-default language.
func langQuery(lang string) string {
	if lang == policy.Languages[0] {
		return ""
	}
	return "?lang=" + lang
}
