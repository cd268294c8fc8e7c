package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
)

// The audit log for staff (issue 5; R12, Z7; role privacy_officer): the
// entries newest first, filtered by subject pseudonym, action, actor and
// date, in keyset pages, with a "verify now" that runs the same check as
// 'steward audit verify'.
//
// Viewing the log is not itself audited. An entry holds no personal value
// (G2) — a pseudonym, opaque ids, field names — so reading entries is not
// a view of anyone's personal data the way /staff/people/{id} is, which
// records a staff.view. Auditing every look at the log would also put an
// entry at its top for each page shown, burying what the page is for. The
// access log keeps the request (path only, never the query) and the staff
// id is logged with the filters used, by name.

// auditPageLimit is the default page; audit.MaxPageLimit the largest.
const auditPageLimit = 50

// staffAuditView is the data of /staff/audit.
type staffAuditView struct {
	Entries []audit.Entry
	Actions []audit.Action
	// The filter as entered, to fill the form again.
	Subject, Action, Actor, From, To string
	// First is the newest page with this filter; Next the one after this
	// page, "" on the last.
	First, Next string
	// Paged is true on every page but the first.
	Paged bool
	// VerifyURL runs the verification; Verify is its result when it ran.
	VerifyURL string
	Verify    *staffAuditVerify
}

// staffAuditVerify is the result line of "verify now".
type staffAuditVerify struct {
	Checked, Head uint64
	Checkpoints   int
	// KeyID is the key the signatures were checked with, "" if none was
	// configured (then only the chain is checked).
	KeyID  string
	Broken *audit.Break
	Took   string
}

// staffAudit is GET /staff/audit[?subject=ps_…][&action=A][&actor=A]
// [&from=YYYY-MM-DD][&to=YYYY-MM-DD][&before=SEQ][&limit=N][&verify=1].
// Bad input is a 400 that shows nothing else (G3).
func (s *Server) staffAudit(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, false)
	if au == nil {
		return
	}
	q := r.URL.Query()
	f, err := auditFilter(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := audit.Page{Limit: auditPageLimit}
	if v := q.Get("before"); v != "" {
		if page.Before, err = strconv.ParseUint(v, 10, 64); err != nil || page.Before == 0 {
			s.fail(w, r, steward.FieldError("before", "error.must_be_whole_number"))
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		switch n, err := strconv.Atoi(v); {
		case err != nil:
			s.fail(w, r, steward.FieldError("limit", "error.must_be_whole_number"))
			return
		case n < 1:
			s.fail(w, r, steward.FieldError("limit", "error.must_be_at_least_1"))
			return
		case n > audit.MaxPageLimit:
			s.fail(w, r, steward.FieldError("limit", "error.must_be_at_most", "max_page_limit", audit.MaxPageLimit))
			return
		default:
			page.Limit = n
		}
	}
	doVerify := q.Get("verify") != ""
	ctx := r.Context()
	entries, next, err := s.cfg.Store.Audit().List(ctx, f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := mustLang(r)
	// link is this listing with some parameters changed ("" removes one);
	// the filter, the page size and the language stay.
	link := func(set map[string]string) string {
		v := url.Values{}
		for _, k := range []string{"subject", "action", "actor", "from", "to", "limit", "lang"} {
			if val := q.Get(k); val != "" {
				v.Set(k, val)
			}
		}
		for k, val := range set {
			if val == "" {
				v.Del(k)
			} else {
				v.Set(k, val)
			}
		}
		if len(v) == 0 {
			return "/staff/audit"
		}
		return "/staff/audit?" + v.Encode()
	}
	v := &staffAuditView{Entries: entries, Actions: audit.Actions(),
		Subject: string(f.Subject), Action: string(f.Action), Actor: string(f.Actor), From: q.Get("from"), To: q.Get("to"),
		First: link(nil), Paged: page.Before != 0,
		VerifyURL: link(map[string]string{"before": q.Get("before"), "verify": "1"})}
	if next.Before != 0 {
		v.Next = link(map[string]string{"before": strconv.FormatUint(next.Before, 10)})
	}
	if doVerify {
		if v.Verify, err = s.verifyAudit(r); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.cfg.Log.Info("staff audit log", "staff", au.Account.ID, "filters", auditFilterNames(f), "before", page.Before,
		"verify", doVerify, "request_id", RequestID(ctx))
	s.render(w, r, http.StatusOK, "staff_audit", s.page(r, lang, "staff_audit.title", v))
}

// auditFilter reads the filter from the query. Dates are whole days in
// UTC, as the log keeps its times and as 'audit export --since' reads them;
// to is inclusive.
func auditFilter(q url.Values) (audit.Filter, error) {
	var f audit.Filter
	if v := q.Get("subject"); v != "" {
		f.Subject = audit.Pseudonym(v)
		if err := f.Subject.Validate(); err != nil {
			return f, err
		}
	}
	if v := q.Get("action"); v != "" {
		if f.Action = audit.Action(v); !f.Action.Valid() {
			return f, steward.FieldError("action", "error.is_not_one_choices")
		}
	}
	if v := q.Get("actor"); v != "" {
		if f.Actor = audit.Actor(v); f.Actor.Validate() != nil {
			return f, steward.FieldError("actor", "error.must_be_staff_id")
		}
	}
	day := func(field string) (time.Time, error) {
		v := q.Get(field)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return t, steward.FieldError(field, "error.date_must_be_yyyy")
		}
		return t, nil
	}
	var err error
	if f.From, err = day("from"); err != nil {
		return f, err
	}
	if f.To, err = day("to"); err != nil {
		return f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1)
		if !f.From.IsZero() && !f.To.After(f.From) {
			return f, steward.FieldError("to", "error.end_date_is_before")
		}
	}
	return f, nil
}

// auditFilterNames names the filters in use, never their values, for the
// log line.
func auditFilterNames(f audit.Filter) []string {
	var names []string
	for name, set := range map[string]bool{"subject": f.Subject != "", "action": f.Action != "", "actor": f.Actor != "",
		"from": !f.From.IsZero(), "to": !f.To.IsZero()} {
		if set {
			names = append(names, name)
		}
	}
	return names
}

// verifyAudit runs the whole verification ('steward audit verify'): with
// the configured public key the head and checkpoint signatures are
// checked too; without one only the chain.
func (s *Server) verifyAudit(r *http.Request) (*staffAuditVerify, error) {
	start := time.Now()
	opt := audit.VerifyOptions{Key: s.cfg.AuditKey}
	if opt.Key != nil {
		opt.CheckpointEvery = audit.DefaultCheckpointEvery
	}
	rep, err := audit.Verify(r.Context(), s.cfg.Store.Audit(), opt)
	if err != nil {
		return nil, err
	}
	v := &staffAuditVerify{Checked: rep.Checked, Head: rep.Head.Seq, Checkpoints: rep.Checkpoints, Broken: rep.Broken,
		Took: time.Since(start).Round(time.Millisecond).String()}
	if opt.Key != nil {
		v.KeyID = audit.KeyID(opt.Key)
	}
	return v, nil
}
