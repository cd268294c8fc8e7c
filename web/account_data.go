package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"steward"
	"steward/policy"
	"steward/rights"
	"steward/rights/desk"
)

// The person's own rights (R13, Z8; Art. 15-21 GDPR): "My data" with the
// export, erasure, restriction, objection and requests. Every handler acts
// on the logged-in person only; no handler takes a person's id from the
// request, and a request id of someone else's is not found (IDOR).

// desk returns the privacy desk the server was given.
func (s *Server) desk() *desk.Desk { return s.cfg.Desk }

// myDataView is the data of the "My data" page.
type myDataView struct {
	Overview *rights.Overview
	// Page holds, per record kind, its total and where its next page
	// starts; Kind is the one kind the page shows, "" for all.
	Page *desk.Page
	Kind string
	CSRF string
	// Objectable are the purposes the person may object to (Art. 21).
	Objectable []rights.PurposeInfo
	Types      []rights.Type
	Restricted bool
	// CanRestrict: the policy honours restriction (Art. 18), so the form
	// to pause processing is shown.
	CanRestrict bool
	Notice      string
	// LMS are the deletions and corrections told to the learning
	// environment, with whether it confirmed (issue 16 item 5).
	LMS []lmsItem
}

// honouredTypes lists the request types whose right the policy honours,
// in article order: the forms offer only those (R13, Z8); others are
// refused by rights.NewRequest.Check anyway.
func honouredTypes(p *policy.Policy) []rights.Type {
	var out []rights.Type
	for _, t := range rights.Types {
		if p.Rights.Honours(t.Right()) {
			out = append(out, t)
		}
	}
	return out
}

// opener opens sensitive fields for My data and the export (R3).
func (s *Server) opener() desk.Opener { return s.accounts().Opener() }

// myDataPerKind is how many items of a kind one page of "My data" shows,
// newest first; the kind's page links to the older ones (issue 15: a
// person with 10,000 records gets a page, not 5 MB of HTML). The export
// holds them all.
const myDataPerKind = 20

// accountData is GET /account/data: everything held about the person,
// grouped by the policy's record kinds, each kind a page at a time
// (?kind=K&after=C: kind K's items older than cursor C).
func (s *Server) accountData(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	after, err := desk.ParseCursor(r.URL.Query().Get("after"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	kind := r.URL.Query().Get("kind")
	pg, err := s.desk().CollectPage(r.Context(), au.Account.ID, desk.CollectOptions{Open: s.opener()},
		desk.PageOptions{PerKind: myDataPerKind, Kind: kind, After: after})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ov := pg.Overview
	v := &myDataView{Overview: ov, Page: pg, Kind: kind, CSRF: au.Session.CSRF, Notice: r.URL.Query().Get("done"),
		CanRestrict: s.cfg.Policy.Rights.Honours(policy.RightRestriction)}
	v.Types = honouredTypes(s.cfg.Policy)
	if kind == "" {
		if v.LMS, err = s.lmsItems(r.Context(), au.Account.ID, ""); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	for i := range s.cfg.Policy.Purposes {
		if p := &s.cfg.Policy.Purposes[i]; p.Objectable() {
			v.Objectable = append(v.Objectable, rights.PurposeInfo{ID: p.ID, Name: p.Name, LegalBasis: string(p.LegalBasis), Article: p.LegalBasis.Article()})
		}
	}
	for _, l := range ov.Limits {
		if l.Kind == "restriction" {
			v.Restricted = true
		}
	}
	s.render(w, r, http.StatusOK, "account_data", s.page(r, mustLang(r), "data.title", v))
}

// apiMyData is GET /api/v1/me/data: the same overview as JSON, in the
// export's schema.
func (s *Server) apiMyData(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	ov, err := s.desk().Collect(r.Context(), au.Account.ID, desk.CollectOptions{Open: s.opener()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(ov)
}

// accountDataExport is GET /account/data/export: the ZIP, streamed.
func (s *Server) accountDataExport(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil || !s.requireRecentLogin(w, r, au) {
		return
	}
	d := s.desk()
	// Collect first: an error must become an error page, not half a ZIP.
	if _, err := s.cfg.Store.AccountByID(r.Context(), au.Account.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rights.ExportFileName(s.cfg.Policy.Site.ID, s.cfg.Clock.Now())+`"`)
	err := d.Export(r.Context(), w, au.Account.ID, subjectActor(au.Account), desk.CollectOptions{Open: s.opener(), Reveal: true})
	if err != nil {
		s.cfg.Log.Error("export failed", "request_id", RequestID(r.Context()), "err", err)
		// Headers may be gone; a broken ZIP is all the client can get.
		return
	}
}

// eraseView is the erasure page: what will happen, before confirming.
type eraseView struct {
	Plan []desk.PlanStep
	CSRF string
	// Error is the message next to the box when it was not ticked.
	Error string
}

// accountEraseForm is GET /account/data/erase: per record kind, delete,
// anonymise or keep (with the legal reason and until when). Erasure cannot
// be undone, so it asks for a recent login (issue 13).
func (s *Server) accountEraseForm(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil || !s.requireRecentLogin(w, r, au) {
		return
	}
	s.renderErase(w, r, au, http.StatusOK, "")
}

func (s *Server) renderErase(w http.ResponseWriter, r *http.Request, au *authed, status int, errText string) {
	d := s.desk()
	ov, err := d.Collect(r.Context(), au.Account.ID, desk.CollectOptions{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "account_erase", s.page(r, mustLang(r), "erase.title", &eraseView{Plan: d.ErasurePlan(ov), CSRF: au.Session.CSRF, Error: errText}))
}

// accountEraseSubmit is POST /account/data/erase: erasure in one
// transaction; the session ends with it. Without the box ticked the form
// comes back with the error next to the box, and nothing changes.
func (s *Server) accountEraseSubmit(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) || !s.requireRecentLogin(w, r, au) {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.renderErase(w, r, au, http.StatusBadRequest, s.catalog.Error(mustLang(r), steward.FieldError("confirm", "error.tick_box_to_erase")))
		return
	}
	if !s.eraseOwn(w, r, au) {
		return
	}
	s.message(w, r, mustLang(r), http.StatusOK, "erase.done_title", "erase.done")
}

// eraseOwn erases the caller's own account and ends a cookie session with
// it (My data and the API); false when it failed and the error is written.
func (s *Server) eraseOwn(w http.ResponseWriter, r *http.Request, au *authed) bool {
	if _, err := s.desk().Erase(r.Context(), au.Account.ID, subjectActor(au.Account)); err != nil {
		s.fail(w, r, err)
		return false
	}
	if !au.Bearer {
		s.clearSessionCookie(w, r)
	}
	return true
}

// accountRestrict is POST /account/data/restrict (Art. 18).
func (s *Server) accountRestrict(w http.ResponseWriter, r *http.Request) {
	s.accountAction(w, r, "restricted", func(d *desk.Desk, au *authed) error {
		return d.Restrict(r.Context(), au.Account.ID, r.PostFormValue("reason"), subjectActor(au.Account))
	})
}

// accountObject is POST /account/data/object (Art. 21).
func (s *Server) accountObject(w http.ResponseWriter, r *http.Request) {
	s.accountAction(w, r, "objected", func(d *desk.Desk, au *authed) error {
		return d.Object(r.Context(), au.Account.ID, r.PostFormValue("purpose"), subjectActor(au.Account))
	})
}

// accountRequest is POST /account/data/requests: a request that needs
// staff (a rectification of a field the person cannot edit, a question).
// Asked while logged in, it is verified by the session at once.
func (s *Server) accountRequest(w http.ResponseWriter, r *http.Request) {
	s.accountAction(w, r, "requested", func(d *desk.Desk, au *authed) error {
		_, err := d.Add(r.Context(), subjectActor(au.Account), rights.NewRequest{SubjectID: au.Account.ID,
			Type: rights.Type(r.PostFormValue("type")), Channel: rights.ChannelSelfService, ReceivedOn: d.Today(),
			Details: r.PostFormValue("details"), Purpose: r.PostFormValue("purpose")})
		return err
	})
}

func (s *Server) accountAction(w http.ResponseWriter, r *http.Request, done string, fn func(*desk.Desk, *authed) error) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	if err := fn(s.desk(), au); err != nil {
		s.fail(w, r, err)
		return
	}
	q := "?done=" + done
	if l := mustLang(r); l != "nl" {
		q += "&lang=" + l
	}
	http.Redirect(w, r, "/account/data"+q, http.StatusSeeOther)
}

// accountRequestPage is GET /account/data/requests/{id}: one of the
// person's own requests; anyone else's is not found.
func (s *Server) accountRequestPage(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	it, err := s.desk().Request(r.Context(), r.PathValue("id"), au.Account.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The person sees dates and status, not staff's notes.
	for i := range it.Steps {
		it.Steps[i].Note, it.Steps[i].Actor = "", ""
	}
	it.Details = ""
	s.render(w, r, http.StatusOK, "account_request", s.page(r, mustLang(r), "data.request_title", &it))
}

// requestVerifyPage is GET /requests/verify: the confirmation link lands
// here and asks for a click, so a mail scanner that follows links does not
// confirm a request by itself.
func (s *Server) requestVerifyPage(w http.ResponseWriter, r *http.Request) {
	v := struct{ Token, CSRF string }{r.URL.Query().Get("token"), s.formToken("request_verify")}
	s.render(w, r, http.StatusOK, "request_verify", s.page(r, mustLang(r), "verify_request.title", v))
}

// requestVerifySubmit is POST /requests/verify.
func (s *Server) requestVerifySubmit(w http.ResponseWriter, r *http.Request) {
	if err := s.checkFormToken("request_verify", r.PostFormValue("csrf")); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.desk().VerifyLink(r.Context(), r.PostFormValue("token")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.message(w, r, mustLang(r), http.StatusOK, "verify_request.title", "verify_request.done")
}

// Term returns the catalogue text of a coded value (a request type,
// status, channel or step, a consent channel, a legal basis, a deletion
// action) in the page's language: the key is group.id, so the ids stay
// machine-readable in the export while the page speaks words (G1).
func (p *Page) Term(group string, id any) string {
	return p.T(group + "." + fmt.Sprint(id))
}

// Purpose returns the policy's name of purpose id in the page's language.
func (p *Page) Purpose(id string) string { return rights.PurposeName(p.Site, id).In(p.Lang) }

// RuleText is the policy's description of retention rule id, which says
// why and when a record goes.
func (p *Page) RuleText(id string) string {
	if r := p.Site.Rule(id); r != nil {
		return r.Description.In(p.Lang)
	}
	return id
}
