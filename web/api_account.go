package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"time"

	"steward"
	"steward/account"
	"steward/account/service"
	"steward/consent"
	"steward/policy"
	"steward/rights"
	"steward/rights/desk"
)

// The JSON API for the self-service actions (issue 4, item 9), documented
// in docs/api.md. Requests authenticate with the session cookie (and then
// carry the session's CSRF token in X-CSRF-Token on every POST or PATCH)
// or with a bearer token from POST /api/v1/login. Errors are
// {"error": {"code", "message", "field"}} through fail.

// decodeJSON reads a JSON body strictly: unknown fields, trailing data and
// wrong types are a 400 and change nothing (G3).
func decodeJSON(r *http.Request, v any) error {
	// ASVS 13.1.5, 13.2.5: a body that does not say it is JSON is refused
	// (415), so a cross-site text/plain or form post is never read as one.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return steward.Errorf(steward.EUNSUPPORTED, "error.content_type_must_be_json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return steward.Errorf(steward.EINVALID, "error.request_body_too_large")
		case errors.As(err, &ute):
			return steward.FieldError(ute.Field, "error.has_wrong_type")
		case errors.Is(err, io.EOF):
			return steward.Errorf(steward.EINVALID, "error.request_body_is_empty")
		default:
			return steward.Errorf(steward.EINVALID, "error.request_body_not_json", "err", safeJSONErr(err))
		}
	}
	if dec.More() {
		return steward.Errorf(steward.EINVALID, "error.request_body_has_data")
	}
	return nil
}

// safeJSONErr keeps the JSON decoder's message, which names fields and
// positions but never echoes values.
func safeJSONErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "syntax error"
	}
	return err.Error()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// apiAuth returns the authenticated caller of a state-changing API call,
// checking the CSRF header for cookie sessions.
func (s *Server) apiAuth(w http.ResponseWriter, r *http.Request) *authed {
	au := s.requireLogin(w, r)
	if au == nil {
		return nil
	}
	if r.Method != http.MethodGet {
		if err := checkSessionCSRF(au, r.Header.Get("X-CSRF-Token")); err != nil {
			s.fail(w, r, err)
			return nil
		}
	}
	return au
}

type apiSignup struct {
	Email    string                       `json:"email"`
	Password string                       `json:"password"`
	Lang     string                       `json:"lang"`
	Fields   map[string]map[string]string `json:"fields"`
	// Consents are the purposes the person agrees to at sign-up, as the
	// page's ticked boxes (Z3): only purposes the policy asks at sign-up.
	Consents []string `json:"consents"`
}

func (s *Server) apiSignup(w http.ResponseWriter, r *http.Request) {
	var in apiSignup
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkLimits(s.limits.signupIP, s.clientIP(r), s.limits.signupAccount, mailboxKey(in.Email)); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Fields == nil {
		in.Fields = map[string]map[string]string{}
	}
	if in.Fields[account.RecordID] == nil {
		in.Fields[account.RecordID] = map[string]string{}
	}
	if ef := account.EmailField(s.cfg.Policy.Record(account.RecordID)); ef != nil {
		in.Fields[account.RecordID][ef.ID] = in.Email
	}
	lang := in.Lang
	if lang != "en" {
		lang = "nl"
	}
	if err := s.accounts().SignUp(r.Context(), service.Signup{Records: in.Fields, Password: in.Password, Lang: lang, Consents: in.Consents}); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "check_your_mail"})
}

func (s *Server) apiVerify(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.accounts().Confirm(r.Context(), in.Token); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "confirmed"})
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		// Code is the TOTP or recovery code of an account with a second
		// factor, sent with the password in the one request.
		Code string `json:"code"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkLimits(s.limits.loginIP, s.clientIP(r), s.limits.loginAccount, accountKey(in.Email)); err != nil {
		s.fail(w, r, err)
		return
	}
	secret, se, a, err := s.accounts().Login(r.Context(), in.Email, in.Password, true)
	var need *service.CodeNeeded
	if errors.As(err, &need) {
		// The second factor holds for the API too (issue 14, finding 4):
		// without a code, 401 code_needed; staff without one get no token.
		if in.Code == "" {
			s.fail(w, r, err)
			return
		}
		if err := checkLimits(s.limits.loginCode, a.ID); err != nil {
			s.fail(w, r, err)
			return
		}
		secret, se, _, err = s.accounts().LoginCode(r.Context(), need.Challenge, in.Code, mustLang(r))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": secret, "token_type": "Bearer",
		"idle_timeout_seconds": int(account.IdleTimeout.Seconds()), "expires_at": se.CreatedAt.Add(account.AbsoluteTimeout)})
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	if err := s.accounts().Logout(r.Context(), au.Session, au.Account); err != nil {
		s.fail(w, r, err)
		return
	}
	if !au.Bearer {
		s.clearSessionCookie(w, r)
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiProfileBody is the profile as the API shows it: sensitive values
// masked unless ?reveal=record.field names one (R3).
type apiProfileBody struct {
	ID        string                    `json:"id"`
	Email     string                    `json:"email"`
	Confirmed bool                      `json:"confirmed"`
	Fields    map[string]account.Values `json:"fields"`
}

func (s *Server) apiProfile(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	vals, err := s.accounts().LoadProfile(r.Context(), au.Account, r.URL.Query().Get("reveal"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiProfileBody{ID: au.Account.ID, Email: au.Account.Email, Confirmed: au.Account.Confirmed(), Fields: vals})
}

func (s *Server) apiProfileUpdate(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	var in struct {
		Fields map[string]map[string]string `json:"fields"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	changed, err := s.accounts().UpdateProfile(r.Context(), au.Account, in.Fields)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if changed == nil {
		changed = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"changed": changed})
}

func (s *Server) apiResetRequest(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
		Lang  string `json:"lang"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkLimits(s.limits.resetIP, s.clientIP(r), s.limits.resetAccount, accountKey(in.Email)); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Lang != "en" {
		in.Lang = "nl"
	}
	if err := s.accounts().RequestReset(r.Context(), in.Email, in.Lang); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "check_your_mail"})
}

func (s *Server) apiResetConfirm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
		Lang     string `json:"lang"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkLimits(s.limits.resetIP, s.clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Lang != "en" {
		in.Lang = "nl"
	}
	if err := s.accounts().ResetPassword(r.Context(), in.Token, in.Password, in.Lang); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "password_set"})
}

func (s *Server) apiRevokeSessions(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	n, err := s.accounts().RevokeSessions(r.Context(), subjectActor(au.Account), au.Account)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"revoked": n})
}

// The person's rights as JSON (issue 13): what "My data" and the consent
// settings offer — consents, the export, erasure, restriction, objection
// and requests — through the same desk and consent service as the pages,
// so they validate and audit alike. Each acts on the caller only.

// apiConsent is one purpose the person manages in settings, with its
// current state.
type apiConsent struct {
	Purpose string         `json:"purpose"`
	Name    policy.Text    `json:"name"`
	Given   bool           `json:"given"`
	Since   time.Time      `json:"since,omitzero"`
	Channel policy.Channel `json:"channel,omitempty"`
	// AskedAgainSince is when a given consent stopped counting because its
	// notice was reworded in substance (issue 20); Given is then false.
	AskedAgainSince time.Time `json:"asked_again_since,omitzero"`
}

// apiConsents is GET /api/v1/me/consents: the purposes of the consent
// settings page, each with its state.
func (s *Server) apiConsents(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	st, err := s.consent.svc.State(r.Context(), au.Account.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []apiConsent{}
	for _, pu := range consent.Purposes(s.cfg.Policy, policy.ChannelSettings) {
		cur := st[pu.ID]
		c := apiConsent{Purpose: pu.ID, Name: pu.Name, Given: cur.Given, Since: cur.Since}
		if cur.Record != nil {
			c.Channel = cur.Record.Channel
		}
		if since, asked := s.consent.svc.AskedAgain(cur); asked {
			c.Given, c.AskedAgainSince = false, since
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"consents": out})
}

// apiConsentSet is PUT /api/v1/me/consents/{purpose}: gives or withdraws
// one purpose, as the settings page does (Art. 7(3): withdrawing is as easy
// as giving), recorded with the notice in lang.
func (s *Server) apiConsentSet(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	var in struct {
		Given *bool  `json:"given"`
		Lang  string `json:"lang"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	purpose := r.PathValue("purpose")
	if !slices.ContainsFunc(consent.Purposes(s.cfg.Policy, policy.ChannelSettings), func(p *policy.Purpose) bool { return p.ID == purpose }) {
		s.fail(w, r, steward.FieldError("purpose", "error.is_not_purpose_you", "purpose", purpose))
		return
	}
	if in.Given == nil {
		s.fail(w, r, steward.FieldError("given", "error.is_required"))
		return
	}
	if _, err := s.consent.svc.Apply(r.Context(), consent.Change{Subject: au.Account.ID, Purpose: purpose, Given: *in.Given,
		Channel: policy.ChannelSettings, Lang: apiLang(in.Lang)}); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"purpose": purpose, "given": *in.Given})
}

// apiLang is the language a JSON body asks for: en, else nl.
func apiLang(l string) string {
	if l == "en" {
		return l
	}
	return "nl"
}

// apiErase is POST /api/v1/me/erase with {"confirm": true}: erasure of
// the caller's account as My data does it, in one transaction; every
// session ends with it. Like the page it needs a login within the last 15
// minutes: it cannot be undone.
func (s *Server) apiErase(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil || !s.requireRecentLogin(w, r, au) {
		return
	}
	var in struct {
		Confirm bool `json:"confirm"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if !in.Confirm {
		s.fail(w, r, steward.FieldError("confirm", "error.tick_box_to_erase"))
		return
	}
	if s.eraseOwn(w, r, au) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "erased"})
	}
}

// apiRestrict is POST /api/v1/me/restrict with {"reason": "..."} (Art. 18).
func (s *Server) apiRestrict(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Reason string `json:"reason"`
	}
	s.apiAccountAction(w, r, &in, "restricted", func(d *desk.Desk, au *authed) error {
		return d.Restrict(r.Context(), au.Account.ID, in.Reason, subjectActor(au.Account))
	})
}

// apiObject is POST /api/v1/me/object with {"purpose": "..."} (Art. 21).
func (s *Server) apiObject(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Purpose string `json:"purpose"`
	}
	s.apiAccountAction(w, r, &in, "objected", func(d *desk.Desk, au *authed) error {
		return d.Object(r.Context(), au.Account.ID, in.Purpose, subjectActor(au.Account))
	})
}

// apiAccountAction decodes in, runs fn for the caller and answers
// {"status": done}.
func (s *Server) apiAccountAction(w http.ResponseWriter, r *http.Request, in any, done string, fn func(*desk.Desk, *authed) error) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	if err := decodeJSON(r, in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := fn(s.desk(), au); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": done})
}

// apiRequests is GET /api/v1/me/requests: the caller's own requests with
// their deadlines, as My data lists them.
func (s *Server) apiRequests(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	list, err := s.desk().RequestsOf(r.Context(), au.Account.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": list})
}

// apiRequestAdd is POST /api/v1/me/requests with {"type", "details",
// "purpose"}: a request that needs staff, as My data's form makes it;
// asked while logged in, it is verified by the session at once.
func (s *Server) apiRequestAdd(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	var in struct {
		Type    string `json:"type"`
		Details string `json:"details"`
		Purpose string `json:"purpose"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	d := s.desk()
	req, err := d.Add(r.Context(), subjectActor(au.Account), rights.NewRequest{SubjectID: au.Account.ID,
		Type: rights.Type(in.Type), Channel: rights.ChannelSelfService, ReceivedOn: d.Today(),
		Details: in.Details, Purpose: in.Purpose})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, d.Entry(*req))
}
