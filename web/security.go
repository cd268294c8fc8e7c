package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"

	"steward"
	"steward/account"
	"steward/account/service"
)

// securityView is the data of the second-factor page (issue 14, finding
// 4): the state, and on the set-up step the secret with its QR code, or
// once the recovery codes.
type securityView struct {
	CSRF   string
	Staff  bool
	State  service.SecondFactorState
	Errors []formError
	// Setup is the waiting secret: the QR code as a data: URL made from
	// the library's PNG, and the secret in base32 for typing in.
	Setup  bool
	QR     template.URL
	Secret string
	// Codes are the recovery codes, shown once after enrolment.
	Codes []string
	// Next is where staff go once enrolled.
	Next string
	// CodesLeft says how many recovery codes are unused, in words.
	CodesLeft string
}

// securityPage shows whether the account has a second factor, offers to
// set one up (required of staff, optional for people) or, for people, to
// turn it off.
func (s *Server) securityPage(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	s.renderSecurity(w, r, au, http.StatusOK, &securityView{})
}

func (s *Server) renderSecurity(w http.ResponseWriter, r *http.Request, au *authed, status int, v *securityView) {
	state, err := s.accounts().SecondFactorOf(r.Context(), au.Account.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.CSRF, v.Staff, v.State = au.Session.CSRF, au.Account.NeedsSecondFactor(), state
	v.Next = afterLogin(au.Account, "", mustLang(r))
	v.CodesLeft = s.catalog.Format(mustLang(r), "security.codes_left", "n", state.RecoveryCodes)
	s.render(w, r, status, "security", s.page(r, mustLang(r), "security.title", v))
}

// setupView fills v with enrolment e to show.
func setupView(v *securityView, e *account.Enrolment) *securityView {
	v.Setup, v.Secret = true, e.Secret
	v.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG))
	return v
}

// securitySetup makes a new TOTP secret and shows it once, as a QR code
// and as text, with the form for its first code.
func (s *Server) securitySetup(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	e, err := s.accounts().BeginEnrolment(r.Context(), au.Account)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderSecurity(w, r, au, http.StatusOK, setupView(&securityView{}, e))
}

// securityConfirm enrols the waiting secret with its first code and shows
// the recovery codes, this once.
func (s *Server) securityConfirm(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	lang := mustLang(r)
	codes, err := s.accounts().ConfirmEnrolment(r.Context(), au.Session, au.Account, r.PostForm.Get("code"), lang)
	if errors.Is(err, service.ErrWrongCode) {
		e, perr := s.accounts().PendingEnrolment(r.Context(), au.Account)
		if perr != nil || e == nil {
			s.fail(w, r, steward.Errorf(steward.EINVALID, "error.enrolment_start_again"))
			return
		}
		v := setupView(&securityView{}, e)
		v.Errors = []formError{{Anchor: "#" + fieldID("code"), Text: s.catalog.Error(lang, err)}}
		s.renderSecurity(w, r, au, http.StatusBadRequest, v)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderSecurity(w, r, au, http.StatusOK, &securityView{Codes: codes})
}

// securityDisable turns a person's second factor off after their password
// or a code. Staff cannot (ASVS 4.3.1).
func (s *Server) securityDisable(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	lang := mustLang(r)
	err := s.accounts().DisableSecondFactor(r.Context(), au.Account, r.PostForm.Get("password"), r.PostForm.Get("code"), lang)
	if code := steward.ErrorCode(err); code == steward.EINVALID || code == steward.EUNAUTHORIZED {
		anchor := "#" + fieldID("disable_password")
		s.renderSecurity(w, r, au, http.StatusBadRequest, &securityView{Errors: []formError{{Anchor: anchor, Text: s.catalog.Error(lang, err)}}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/account/security"+langQuery(lang), http.StatusSeeOther)
}
