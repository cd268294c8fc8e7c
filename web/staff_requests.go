package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/consent"
	"steward/policy"
	"steward/rights"
	"steward/rights/desk"
)

// The request queue for staff (R13; role privacy_officer): requests by
// deadline with due-soon and overdue flags, each with its timeline and the
// steps that move it on. Every step goes through the same Desk as the
// command line and the person's own self-service.

// staffQueueView is the queue page. Types, statuses, channels and steps
// are shown in the catalogue's words (Page.Term), never as ids (G1).
type staffQueueView struct {
	Items []desk.Item
	CSRF  string
	// Types are the request types the policy honours, for entering one.
	Types    []rights.Type
	Channels []rights.Channel
	Today    string
	Filter   string
}

// staffRequests is GET /staff/requests[?filter=overdue|soon|all].
func (s *Server) staffRequests(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, false)
	if au == nil {
		return
	}
	d := s.desk()
	f := r.URL.Query().Get("filter")
	o := desk.QueueOptions{}
	switch f {
	case "overdue":
		o.Overdue = true
	case "soon":
		o.DueWithin = rights.DueSoonWithin
	case "all":
		o.All = true
	case "":
	default:
		s.fail(w, r, steward.FieldError("filter", "error.must_be_overdue_soon"))
		return
	}
	items, err := d.Queue(r.Context(), o)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &staffQueueView{Items: items, CSRF: au.Session.CSRF, Types: honouredTypes(s.cfg.Policy), Channels: rights.Channels,
		Today: d.Today().Format(time.DateOnly), Filter: f}
	s.render(w, r, http.StatusOK, "staff_requests", s.page(r, mustLang(r), "staff_requests.title", v))
}

// staffRequestAdd is POST /staff/requests: enter a request by the person's
// e-mail address.
func (s *Server) staffRequestAdd(w http.ResponseWriter, r *http.Request) {
	s.staffStep(w, r, func(d *desk.Desk, actor audit.Actor) (string, error) {
		// The person's account or, failing that, their newsletter
		// sign-up (issue 13 item 5).
		sub, err := d.FindSubject(r.Context(), r.PostFormValue("email"))
		if err != nil {
			return "", err
		}
		received, err := time.Parse(time.DateOnly, r.PostFormValue("received"))
		if err != nil {
			return "", steward.FieldError("received", "error.must_be_a_date_yyyy_mm_dd")
		}
		req, err := d.Add(r.Context(), actor, rights.NewRequest{SubjectKind: sub.Kind, SubjectID: sub.ID, Type: rights.Type(r.PostFormValue("type")),
			Channel: rights.Channel(r.PostFormValue("channel")), ReceivedOn: received,
			Details: r.PostFormValue("details"), Purpose: r.PostFormValue("purpose")})
		if err != nil {
			return "", err
		}
		return req.ID, nil
	})
}

type staffRequestView struct {
	Item        desk.Item
	CSRF        string
	Disclosures []policy.Disclosure
	Today       string
	// Names are the staff on the timeline by name and role.
	Names staffNames
	// Periods are the extensions staff may choose (Art. 12(3): at most
	// two further months).
	Periods []policy.Duration
	// Subject names whom the request concerns in words, never by id.
	Subject requestSubject
	// LMS are the deletions and corrections the request caused in the
	// learning environment, with whether it confirmed (issue 16 item 5).
	LMS []lmsItem
}

// requestSubject is whom a request concerns as the staff page names them
// (issue 13 items 5 and 10): "account of Anna de Vries", linking to the
// person's record, or "newsletter sign-up of Lotte", never an id.
type requestSubject struct {
	Text, Link string
	// Fields are what Text shows of the person, for the record of the view.
	Fields []string
}

// requestSubjectOf reads whom it concerns: the name on the account's
// profile or the sign-up where the site asks one, else the address. An
// erased subject is "erased".
func (s *Server) requestSubjectOf(ctx context.Context, lang string, it desk.Item) (requestSubject, error) {
	if it.SubjectID == "" {
		return requestSubject{Text: s.catalog.Text(lang, "staff_requests.subject_erased")}, nil
	}
	if it.SubjectKind == rights.SubjectSignUp {
		n, err := s.cfg.Store.NewsletterByID(ctx, it.SubjectID)
		if steward.ErrorCode(err) == steward.ENOTFOUND {
			return requestSubject{Text: s.catalog.Text(lang, "staff_requests.subject_erased")}, nil
		}
		if err != nil {
			return requestSubject{}, err
		}
		vals := map[string]string{}
		json.Unmarshal([]byte(n.Fields), &vals)
		name, fields := displayName(vals, n.Email, consent.NewsletterRecord)
		return requestSubject{Text: s.catalog.Format(lang, "staff_requests.subject_signup", "name", name), Fields: fields}, nil
	}
	a, err := s.cfg.Store.AccountByID(ctx, it.SubjectID)
	if steward.ErrorCode(err) == steward.ENOTFOUND || err == nil && a.Email == "" {
		return requestSubject{Text: s.catalog.Text(lang, "staff_requests.subject_erased")}, nil
	}
	if err != nil {
		return requestSubject{}, err
	}
	vals, err := s.cfg.Store.Profile(ctx, a.ID, "account")
	if err != nil {
		return requestSubject{}, err
	}
	name, fields := displayName(vals, a.Email, "account")
	return requestSubject{Text: s.catalog.Format(lang, "staff_requests.subject_account", "name", name),
		Link: "/staff/people/" + url.PathEscape(a.ID) + langQuery(lang), Fields: fields}, nil
}

// displayName is the first and last name in vals (never a sealed value),
// else the address, with the fields of record it shows.
func displayName(vals map[string]string, email, record string) (string, []string) {
	var parts, fields []string
	for _, f := range []string{"first_name", "last_name"} {
		if v := strings.TrimSpace(vals[f]); v != "" && !account.IsSealed(v) {
			parts, fields = append(parts, v), append(fields, record+"."+f)
		}
	}
	if len(parts) == 0 {
		return email, []string{record + ".email"}
	}
	return strings.Join(parts, " "), fields
}

// staffRequest is GET /staff/requests/{id}: dates, deadline, timeline,
// and what the person asked in their own words. Showing it is a staff view
// of the person's data, recorded before the page is (R12).
func (s *Server) staffRequest(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, false)
	if au == nil {
		return
	}
	d := s.desk()
	it, err := d.Request(r.Context(), r.PathValue("id"), "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	who, err := s.requestSubjectOf(r.Context(), mustLang(r), it)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	viewed := append(requestViewFields(it), who.Fields...)
	slices.Sort(viewed)
	if err := s.recordStaffView(r.Context(), au, viewedAccount(it), audit.Pseudonym(it.SubjectPseudonym), "request", it.ID, viewed); err != nil {
		s.fail(w, r, err)
		return
	}
	var staff []string
	for _, st := range it.Steps {
		if id, ok := strings.CutPrefix(st.Actor, "staff:"); ok {
			staff = append(staff, id)
		}
	}
	names, err := s.staffNamesOf(r.Context(), mustLang(r), staff)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &staffRequestView{Item: it, CSRF: au.Session.CSRF, Disclosures: s.cfg.Policy.Disclosures, Today: d.Today().Format(time.DateOnly),
		Names: names, Periods: []policy.Duration{{Months: 1}, {Months: 2}}, Subject: who}
	if v.LMS, err = s.lmsItems(r.Context(), "", it.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_request", s.page(r, mustLang(r), "staff_requests.one", v))
}

// viewedAccount is the account whose record of staff views a view of the
// request goes on (R12, Z7); a sign-up has no such record, and the
// staff.view audit entry on the request names the view.
func viewedAccount(it desk.Item) string {
	if it.SubjectKind == rights.SubjectSignUp {
		return ""
	}
	return it.SubjectID
}

// requestViewFields names what a request's page shows of the person's
// data, for the record of the view: never the values.
func requestViewFields(it desk.Item) []string {
	f := []string{"request.channel", "request.received_on", "request.status", "request.timeline", "request.type"}
	if it.Purpose != "" {
		f = append(f, "request.purpose")
	}
	if it.Details != "" {
		f = append(f, "request.details")
	}
	if it.ExtensionReason != "" {
		f = append(f, "request.extension_reason")
	}
	slices.Sort(f)
	return f
}

// staffRequestAction is POST /staff/requests/{id}/{action}: verify-link,
// verify-manual, extend, complete or refuse; export answers with the
// person's export ZIP (staffRequestExport), rectify corrects the person's
// record (staffRectifySubmit).
func (s *Server) staffRequestAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	switch r.PathValue("action") {
	case "export":
		s.staffRequestExport(w, r)
		return
	case "rectify":
		s.staffRectifySubmit(w, r)
		return
	}
	s.staffStep(w, r, func(d *desk.Desk, actor audit.Actor) (string, error) {
		ctx := r.Context()
		var err error
		switch r.PathValue("action") {
		case "verify-link":
			err = d.AskVerification(ctx, actor, id)
		case "verify-manual":
			_, err = d.VerifyManually(ctx, actor, id, r.PostFormValue("note"))
		case "extend":
			ext, perr := policy.ParseDuration(r.PostFormValue("period"))
			if perr != nil {
				return "", steward.FieldError("period", "error.must_be_iso_8601")
			}
			_, err = d.Extend(ctx, actor, id, ext, r.PostFormValue("reason"))
		case "complete":
			_, err = d.Complete(ctx, actor, id, r.PostFormValue("outcome"))
		case "refuse":
			_, err = d.Refuse(ctx, actor, id, r.PostFormValue("reason"))
		default:
			return "", steward.Errorf(steward.ENOTFOUND, "error.no_action")
		}
		return id, err
	})
}

// staffStep runs one staff step — entering, verifying, extending,
// completing or refusing a request, recording a disclosure — with the
// role, a login within the last 15 minutes (each is a privileged action:
// completing one erases or restricts), the form token and the audit actor
// checked, then shows the request. A stale login is sent to log in again
// and nothing changes.
func (s *Server) staffStep(w http.ResponseWriter, r *http.Request, fn func(*desk.Desk, audit.Actor) (string, error)) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, true)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	id, err := fn(s.desk(), audit.Staff(au.Account.ID))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.notifyMail() // a step may have mailed the person (verify-link, extend, complete, refuse)
	to := "/staff/requests"
	if id != "" {
		to += "/" + url.PathEscape(id)
	}
	if l := mustLang(r); l != "nl" {
		to += "?lang=" + l
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// staffRequestExport is POST /staff/requests/{id}/export: the export ZIP
// of the person a verified access or portability request concerns, the
// very file the person downloads from My data (desk.Desk.ExportForRequest
// runs the same code), for a request that arrived by e-mail, letter or
// phone (Art. 15(3), 20; R13, Z8). A privileged action like every step:
// privacy officer, a login within 15 minutes, the form token. The
// download is recorded — export.download by the staff member on the
// request, and an export_produced step on its timeline — before the first
// byte is sent (R12). A request of another type, unverified or closed is a
// 409, an unknown one a 404, and then nothing is recorded or sent.
func (s *Server) staffRequestExport(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, true)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	dw := &downloadWriter{w: w, name: rights.ExportFileName(s.cfg.Policy.Site.ID, s.cfg.Clock.Now())}
	err := s.desk().ExportForRequest(r.Context(), dw, r.PathValue("id"), audit.Staff(au.Account.ID),
		desk.CollectOptions{Open: s.opener(), Reveal: true})
	switch {
	case err != nil && !dw.started:
		s.fail(w, r, err)
	case err != nil:
		// Headers are gone; a broken ZIP is all the client can get.
		s.cfg.Log.Error("export for request failed", "request_id", RequestID(r.Context()), "err", err)
	default:
		s.cfg.Log.Info("export for request sent", "staff", au.Account.ID, "request", r.PathValue("id"), "request_id", RequestID(r.Context()))
	}
}

// downloadWriter sends a ZIP download's headers with its first byte, so
// an error before anything was written can still be an error page.
type downloadWriter struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		h := d.w.Header()
		h.Set("Content-Type", "application/zip")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
	}
	return d.w.Write(p)
}
