package web

import (
	"net/http"
	"slices"
	"time"

	"steward"
	"steward/audit"
	"steward/consent"
	"steward/policy"
)

// consentRow is one consent purpose on the settings page.
type consentRow struct {
	ID      string
	Name    string
	Notice  string
	Given   bool
	Since   time.Time
	Channel policy.Channel
	// AskedAgain is when the consent stopped counting because its notice
	// was reworded in substance (issue 20); zero when it was not.
	AskedAgain time.Time
}

// consentSettingsPage lists every consent purpose the person can manage in
// settings with its current state and the date of the last change, each
// changeable on its own (Z3, Z8; Art. 7(3): withdrawing is as easy as
// giving).
func (s *Server) consentSettingsPage(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	lang := mustLang(r)
	st, err := s.consent.svc.State(r.Context(), au.Account.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var rows []consentRow
	for _, pu := range consent.Purposes(s.cfg.Policy, policy.ChannelSettings) {
		cur := st[pu.ID]
		row := consentRow{ID: pu.ID, Name: pu.Name.In(lang), Notice: consent.Notice(pu, lang), Given: cur.Given, Since: cur.Since}
		if cur.Record != nil {
			row.Channel = cur.Record.Channel
		}
		if since, asked := s.consent.svc.AskedAgain(cur); asked {
			row.AskedAgain = since
		}
		rows = append(rows, row)
	}
	d := struct {
		Rows   []consentRow
		CSRF   string
		Action string
		Saved  bool
	}{rows, au.Session.CSRF, "/account/consents" + langQuery(lang), r.URL.Query().Get("saved") == "1"}
	s.render(w, r, http.StatusOK, "consents", s.page(r, lang, "consents.title", d))
}

// consentSettingsSubmit gives or withdraws one purpose. Withdrawal takes
// effect at once: the gate reads the history on the next check.
func (s *Server) consentSettingsSubmit(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	lang := mustLang(r)
	if !s.checkForm(w, r, au) {
		return
	}
	purpose := r.PostForm.Get("purpose")
	if !slices.ContainsFunc(consent.Purposes(s.cfg.Policy, policy.ChannelSettings), func(p *policy.Purpose) bool { return p.ID == purpose }) {
		s.fail(w, r, steward.FieldError("purpose", "error.is_not_purpose_you", "purpose", purpose))
		return
	}
	var given bool
	switch r.PostForm.Get("given") {
	case "1":
		given = true
	case "0":
	default:
		s.fail(w, r, steward.FieldError("given", "error.must_be_1_or_0"))
		return
	}
	if _, err := s.consent.svc.Apply(r.Context(), consent.Change{Subject: au.Account.ID, Purpose: purpose, Given: given,
		Channel: policy.ChannelSettings, Lang: lang}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Log.Info("consent changed in settings", "request_id", RequestID(r.Context()), "account", au.Account.ID, "purpose", purpose, "given", given)
	q := "?saved=1"
	if lang != policy.Languages[0] {
		q += "&lang=" + lang
	}
	http.Redirect(w, r, "/account/consents"+q, http.StatusSeeOther)
}

// consentReceipt downloads the person's signed consent receipt: their full
// history with the words of every notice (Art. 7(1)); 'steward consent
// verify-receipt' checks it. The download is recorded as export.download
// by the person before the receipt is sent (R12).
func (s *Server) consentReceipt(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	rc, err := s.desk().ConsentReceipt(r.Context(), s.consent.key, au.Account.ID, audit.SubjectActor(audit.Pseudonym(au.Account.Pseudonym)))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="consent-receipt.json"`)
	w.Write(rc)
}
