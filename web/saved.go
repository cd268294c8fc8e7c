package web

import (
	"net/http"
	"net/url"

	"steward"
	"steward/career"
	careerservice "steward/career/service"
	"steward/catalogue"
)

// Saving functies and opleidingen (issue 18 item 4, Z1, Z4): a visitor
// saves them in their session (visit.go), a person with an account as
// saved_item records; /saved lists them either way. Logging in offers to
// keep the session's items in the account with one tick (login.go).

// savingOn reports whether the site offers saving: it has a catalogue and
// the policy declares the saved_item kind.
func (s *Server) savingOn() bool {
	return s.catalogueOn() && s.cfg.Career != nil && career.Saving(s.cfg.Policy)
}

// savedEntry is one saved item as /saved shows it.
type savedEntry struct {
	Item    itemView
	Kind    catalogue.Kind
	ID      string
	SavedOn string
	// Unknown: the catalogue no longer holds the item at all.
	Unknown bool
}

type savedView struct {
	Entries []savedEntry
	// Visitor is true without a login: the list is the session's.
	Visitor bool
	Max     int
	CSRF    string
	Action  string
	Lang    string
}

// readRef reads the kind and id of a posted item.
func readRef(r *http.Request) career.Ref {
	return career.Ref{Kind: catalogue.Kind(r.PostForm.Get("kind")), ID: r.PostForm.Get("id")}
}

// savedForm reads a posted form of /saved for a visitor (the anonymous
// form token) or a person (their session's token); it returns the person,
// nil for a visitor, and whether the handler may go on.
func (s *Server) savedForm(w http.ResponseWriter, r *http.Request) (*authed, bool) {
	if !s.savingOn() {
		s.notFound(w, r)
		return nil, false
	}
	au, err := s.auth(w, r)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if au != nil {
		if au.Account.IsStaff() {
			s.fail(w, r, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_save"))
			return nil, false
		}
		return au, s.checkForm(w, r, au)
	}
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if err := s.checkFormToken("saved", r.PostForm.Get("csrf")); err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return nil, true
}

// savedPage is GET /saved.
func (s *Server) savedPage(w http.ResponseWriter, r *http.Request) {
	if !s.savingOn() {
		s.notFound(w, r)
		return
	}
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	au, err := s.auth(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	v := &savedView{Visitor: au == nil, Max: career.MaxVisitSaved, Action: "/saved/remove" + langQuery(lang), Lang: lang}
	var list []careerservice.Saved
	if au == nil {
		v.CSRF = s.formToken("saved")
		list, err = s.cfg.Career.Describe(ctx, s.visit(r).Saved)
	} else {
		if au.Account.IsStaff() {
			s.fail(w, r, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_save"))
			return
		}
		v.CSRF = au.Session.CSRF
		list, err = s.cfg.Career.SavedOf(ctx, au.Account)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, lang, "saved.title", nil)
	for _, sv := range list {
		e := savedEntry{Kind: sv.Ref.Kind, ID: sv.Ref.ID}
		if sv.Item != nil {
			e.Item = viewItem(pg, *sv.Item)
		} else {
			e.Unknown = true
			e.Item = itemView{Title: sv.Ref.ID}
		}
		if !sv.SavedAt.IsZero() {
			e.SavedOn = pg.Date(sv.SavedAt)
		}
		v.Entries = append(v.Entries, e)
	}
	pg.Data = v
	s.render(w, r, http.StatusOK, "saved", pg)
}

// savedAdd is POST /saved: save the item kind/id, then back to where the
// form was (next) or /saved. An unknown or retired item is a clear error
// and nothing is stored, in the session or the account.
func (s *Server) savedAdd(w http.ResponseWriter, r *http.Request) {
	au, ok := s.savedForm(w, r)
	if !ok {
		return
	}
	ref := readRef(r)
	ctx := r.Context()
	if au != nil {
		if err := s.cfg.Career.Save(ctx, au.Account, ref); err != nil {
			s.fail(w, r, err)
			return
		}
	} else {
		if _, err := s.cfg.Career.CheckSave(ctx, ref); err != nil {
			s.fail(w, r, err)
			return
		}
		v := s.visit(r)
		if err := v.Save(ref); err != nil {
			s.fail(w, r, err)
			return
		}
		s.setVisit(w, r, v)
	}
	s.savedDone(w, r)
}

// savedRemove is POST /saved/remove: a person removes a saved item from
// their account, a visitor from their session (kind, id).
func (s *Server) savedRemove(w http.ResponseWriter, r *http.Request) {
	au, ok := s.savedForm(w, r)
	if !ok {
		return
	}
	if au != nil {
		if err := s.cfg.Career.Remove(r.Context(), au.Account, readRef(r)); err != nil {
			s.fail(w, r, err)
			return
		}
	} else {
		v := s.visit(r)
		v.Remove(readRef(r))
		s.setVisit(w, r, v)
	}
	s.savedDone(w, r)
}

func (s *Server) savedDone(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostForm.Get("next"))
	if next == "" {
		next = "/saved" + langQuery(mustLang(r))
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// saveButton is the form on an item's page: save it, or that it is saved.
type saveButton struct {
	Action, RemoveAction, CSRF, Next string
	Kind                             catalogue.Kind
	ID                               string
	Saved                            bool
	SavedHref                        string
}

// saveButtonFor is the save form of item for whoever looks at the page;
// nil where saving is off, for staff, and for an item no longer offered.
func (s *Server) saveButtonFor(r *http.Request, lang string, it catalogue.Item) *saveButton {
	if !s.savingOn() || !it.Retired.IsZero() {
		return nil
	}
	b := &saveButton{Action: "/saved" + langQuery(lang), RemoveAction: "/saved/remove" + langQuery(lang), Kind: it.Kind, ID: it.ExternalID, SavedHref: "/saved" + langQuery(lang)}
	b.Next = r.URL.Path
	if lang != "nl" {
		b.Next += "?" + url.Values{"lang": {lang}}.Encode()
	}
	ref := career.Ref{Kind: it.Kind, ID: it.ExternalID}
	au := s.viewer(r)
	switch {
	case au == nil:
		b.CSRF = s.formToken("saved")
		v := s.visit(r)
		b.Saved = v.Has(ref)
	case au.Account.IsStaff():
		return nil
	default:
		b.CSRF = au.Session.CSRF
		saved, err := s.cfg.Career.IsSaved(r.Context(), au.Account, ref)
		if err != nil {
			return nil
		}
		b.Saved = saved
	}
	return b
}
