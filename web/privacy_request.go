package web

import (
	"net/http"
	"strings"

	"steward"
	"steward/policy"
	"steward/rights"
	"steward/rights/desk"
)

// The public request page (issue 13 item 5): anyone the site holds data
// on — an account holder, or a person with only a newsletter sign-up —
// makes a request (access, erasure, withdrawal, …) by e-mail address,
// without logging in. Steward mails a confirmation link to the address
// (desk.Desk.AskByEmail); following it (/requests/verify, the link staff
// mail too) puts the verified request in the staff queue with its
// deadline. The answer is the same whether or not the site knows the
// address, and the form is rate-limited like the other forms that mail.

// privacyRequestView is the form: the request types the policy honours
// and the purposes an objection or withdrawal can name, in words.
type privacyRequestView struct {
	CSRF     string
	Action   string
	Types    []rights.Type
	Purposes []*policy.Purpose
	Email    string
	Type     string
	Purpose  string
	Details  string
	Problem  string
}

// privacyRequestPage is GET /privacy/request.
func (s *Server) privacyRequestPage(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderPrivacyRequest(w, r, lang, http.StatusOK, &privacyRequestView{})
}

func (s *Server) renderPrivacyRequest(w http.ResponseWriter, r *http.Request, lang string, status int, v *privacyRequestView) {
	v.CSRF, v.Action, v.Types = s.formToken("privacy_request"), "/privacy/request"+langQuery(lang), honouredTypes(s.cfg.Policy)
	v.Purposes = nil
	for i := range s.cfg.Policy.Purposes {
		if pu := &s.cfg.Policy.Purposes[i]; pu.Objectable() || pu.NeedsConsent() {
			v.Purposes = append(v.Purposes, pu)
		}
	}
	s.render(w, r, status, "privacy_request", s.page(r, lang, "privacy_request.title", v))
}

// privacyRequestSubmit is POST /privacy/request. A bad form shows the
// form again with what is wrong (400), checked the same whoever the
// address names; a good one answers "check your mail" whether or not the
// site holds data under the address, and only when it does is a request
// entered and a link mailed.
func (s *Server) privacyRequestSubmit(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkFormToken("privacy_request", r.PostForm.Get("csrf")); err != nil {
		s.fail(w, r, err)
		return
	}
	v := &privacyRequestView{Email: strings.TrimSpace(r.PostForm.Get("email")), Type: r.PostForm.Get("type"),
		Purpose: r.PostForm.Get("purpose"), Details: r.PostForm.Get("details")}
	// Every request the form takes mails its address a link: limited per
	// client and per address like the newsletter form, so the form cannot
	// flood a mailbox. Same answer for every address.
	if err := checkLimits(s.limits.requestIP, s.clientIP(r), s.limits.requestAddress, mailboxKey(v.Email)); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.desk().AskByEmail(r.Context(), desk.Ask{Email: v.Email, Type: rights.Type(v.Type), Purpose: v.Purpose, Details: v.Details})
	if steward.ErrorCode(err) == steward.EINVALID {
		v.Problem = s.catalog.Error(lang, err)
		s.renderPrivacyRequest(w, r, lang, http.StatusBadRequest, v)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if id != "" {
		s.cfg.Log.Info("request asked on the request page", "request_id", RequestID(r.Context()), "request", id)
		s.notifyMail()
	}
	s.message(w, r, lang, http.StatusOK, "privacy_request.check_mail_title", "privacy_request.check_mail")
}
