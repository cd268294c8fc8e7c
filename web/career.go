package web

import (
	"net/http"
	"strconv"

	"steward"
	"steward/account"
	"steward/career"
	careerservice "steward/career/service"
)

// The career profile's history (issue 18 item 5, Z2): /account/career
// lists the person's items of each repeatable kind (job history, education
// history) as forms to change or remove, and a form to add one. The rest
// of the profile (current job, work preferences, age, gender, postcode) is
// the profile page's.

// careerOn reports whether the policy declares repeatable kinds.
func (s *Server) careerOn() bool {
	return s.cfg.Career != nil && len(career.HistoryKinds(s.cfg.Policy)) > 0
}

type careerItemView struct {
	Action  string
	N       int
	Section formSection
}

type careerKindView struct {
	ID, Title, Description string
	Items                  []careerItemView
	Add                    careerItemView
}

type careerView struct {
	Kinds  []careerKindView
	CSRF   string
	Errors []formError
}

// careerFailure is a form that came back with errors: its kind, its
// record (0 for the add form), what was typed and what is wrong.
type careerFailure struct {
	kind string
	id   int64
	in   map[string]string
	errs account.FieldErrors
}

func (s *Server) careerPage(w http.ResponseWriter, r *http.Request) {
	au := s.careerPerson(w, r)
	if au == nil {
		return
	}
	s.renderCareer(w, r, au, http.StatusOK, nil)
}

// careerPerson is the logged-in person who keeps a career profile; it has
// answered (login, 404, 403) when nil.
func (s *Server) careerPerson(w http.ResponseWriter, r *http.Request) *authed {
	if !s.careerOn() {
		s.notFound(w, r)
		return nil
	}
	au := s.requireLogin(w, r)
	if au == nil {
		return nil
	}
	if au.Account.IsStaff() {
		s.fail(w, r, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_save"))
		return nil
	}
	return au
}

// itemSection is one item's fields, with ids unique on the page.
func (s *Server) itemSection(lang string, kind string, id int64, vals map[string]string, errs account.FieldErrors) formSection {
	rec := s.cfg.Policy.Record(kind)
	sec := s.section(lang, rec, account.Values(vals), errs, nil)
	for i := range sec.Fields {
		sec.Fields[i].ID = itemFieldID(kind, id, sec.Fields[i].Name)
	}
	return sec
}

func itemFieldID(kind string, id int64, name string) string {
	return fieldID(kind+"-"+strconv.FormatInt(id, 10)) + "-" + fieldID(name)[2:]
}

func (s *Server) renderCareer(w http.ResponseWriter, r *http.Request, au *authed, status int, fail *careerFailure) {
	lang := mustLang(r)
	hist, err := s.cfg.Career.HistoryOf(r.Context(), au.Account)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &careerView{CSRF: au.Session.CSRF}
	q := langQuery(lang)
	for _, h := range hist {
		kv := careerKindView{ID: h.Kind.ID, Title: h.Kind.Name.In(lang), Description: h.Kind.Description.In(lang)}
		for _, it := range h.Items {
			vals, errs := it.Values, account.FieldErrors(nil)
			if fail != nil && fail.kind == h.Kind.ID && fail.id == it.ID {
				vals, errs = fail.in, fail.errs
			}
			kv.Items = append(kv.Items, careerItemView{Action: "/account/career/" + h.Kind.ID + "/" + strconv.FormatInt(it.ID, 10) + q, N: len(kv.Items) + 1,
				Section: s.itemSection(lang, h.Kind.ID, it.ID, vals, errs)})
		}
		vals, errs := map[string]string{}, account.FieldErrors(nil)
		if fail != nil && fail.kind == h.Kind.ID && fail.id == 0 {
			vals, errs = fail.in, fail.errs
		}
		kv.Add = careerItemView{Action: "/account/career/" + h.Kind.ID + q, Section: s.itemSection(lang, h.Kind.ID, 0, vals, errs)}
		v.Kinds = append(v.Kinds, kv)
	}
	if fail != nil {
		v.Errors = s.summary(lang, fail.errs)
		for i, e := range fail.errs {
			v.Errors[i].Anchor = "#" + itemFieldID(fail.kind, fail.id, e.Field)
		}
	}
	s.render(w, r, status, "career", s.page(r, lang, "career.title", v))
}

// careerForm reads a posted item form: the "kind.field" inputs of kind.
func careerForm(r *http.Request, kind string) map[string]string {
	in := recordForm(r)[kind]
	if in == nil {
		in = map[string]string{}
	}
	return in
}

// careerFailed renders the page again with the form's errors, named
// "kind.field" so the summary and the fields find them; any other error
// is the error page.
func (s *Server) careerFailed(w http.ResponseWriter, r *http.Request, au *authed, kind string, id int64, in map[string]string, err error) {
	fe := account.AsFieldErrors(err)
	if fe == nil {
		s.fail(w, r, err)
		return
	}
	named := make(account.FieldErrors, len(fe))
	for i, e := range fe {
		c := *e
		c.Field = kind + "." + e.Field
		named[i] = &c
	}
	s.renderCareer(w, r, au, http.StatusBadRequest, &careerFailure{kind: kind, id: id, in: in, errs: named})
}

func (s *Server) careerDone(w http.ResponseWriter, r *http.Request, kind string) {
	http.Redirect(w, r, "/account/career"+langQuery(mustLang(r))+"#"+kind, http.StatusSeeOther)
}

// careerAdd is POST /account/career/{kind}.
func (s *Server) careerAdd(w http.ResponseWriter, r *http.Request) {
	au := s.careerPerson(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	kind := r.PathValue("kind")
	in := careerForm(r, kind)
	if _, err := s.cfg.Career.AddHistory(r.Context(), au.Account, kind, in); err != nil {
		s.careerFailed(w, r, au, kind, 0, in, err)
		return
	}
	s.careerDone(w, r, kind)
}

// careerChange is POST /account/career/{kind}/{id}: action=remove
// removes the item, anything else saves the form.
func (s *Server) careerChange(w http.ResponseWriter, r *http.Request) {
	au := s.careerPerson(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	kind := r.PathValue("kind")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, steward.Errorf(steward.ENOTFOUND, "error.not_found"))
		return
	}
	if r.PostForm.Get("action") == "remove" {
		if err := s.cfg.Career.RemoveHistory(r.Context(), au.Account, kind, id); err != nil {
			s.fail(w, r, err)
			return
		}
		s.careerDone(w, r, kind)
		return
	}
	in := careerForm(r, kind)
	if err := s.cfg.Career.UpdateHistory(r.Context(), au.Account, kind, id, in); err != nil {
		s.careerFailed(w, r, au, kind, id, in, err)
		return
	}
	s.careerDone(w, r, kind)
}

// apiCareerItem is one item in the API: its id, when it was added, its
// values by field id.
type apiCareerItem struct {
	ID        int64             `json:"id"`
	CreatedAt string            `json:"created_at"`
	Values    map[string]string `json:"values"`
}

func (s *Server) apiCareerPerson(w http.ResponseWriter, r *http.Request) *authed {
	if !s.careerOn() {
		s.notFound(w, r)
		return nil
	}
	au := s.apiAuth(w, r)
	if au == nil {
		return nil
	}
	if au.Account.IsStaff() {
		s.fail(w, r, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_save"))
		return nil
	}
	return au
}

// apiCareer is GET /api/v1/me/career: the items of every repeatable kind.
func (s *Server) apiCareer(w http.ResponseWriter, r *http.Request) {
	au := s.apiCareerPerson(w, r)
	if au == nil {
		return
	}
	hist, err := s.cfg.Career.HistoryOf(r.Context(), au.Account)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiCareerBody(hist))
}

func apiCareerBody(hist []careerservice.History) map[string][]apiCareerItem {
	out := map[string][]apiCareerItem{}
	for _, h := range hist {
		items := []apiCareerItem{}
		for _, it := range h.Items {
			items = append(items, apiCareerItem{ID: it.ID, CreatedAt: it.CreatedAt.Format("2006-01-02T15:04:05Z07:00"), Values: it.Values})
		}
		out[h.Kind.ID] = items
	}
	return out
}

// apiCareerAdd is POST /api/v1/me/career/{kind} with {"values": {...}}.
func (s *Server) apiCareerAdd(w http.ResponseWriter, r *http.Request) {
	au := s.apiCareerPerson(w, r)
	if au == nil {
		return
	}
	var in struct {
		Values map[string]string `json:"values"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.cfg.Career.AddHistory(r.Context(), au.Account, r.PathValue("kind"), in.Values)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
}

// apiCareerUpdate is PUT /api/v1/me/career/{kind}/{id}: the item's values
// replaced by {"values": {...}}.
func (s *Server) apiCareerUpdate(w http.ResponseWriter, r *http.Request) {
	au := s.apiCareerPerson(w, r)
	if au == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, steward.Errorf(steward.ENOTFOUND, "error.not_found"))
		return
	}
	var in struct {
		Values map[string]string `json:"values"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Career.UpdateHistory(r.Context(), au.Account, r.PathValue("kind"), id, in.Values); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id})
}

// apiCareerRemove is DELETE /api/v1/me/career/{kind}/{id}.
func (s *Server) apiCareerRemove(w http.ResponseWriter, r *http.Request) {
	au := s.apiCareerPerson(w, r)
	if au == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, steward.Errorf(steward.ENOTFOUND, "error.not_found"))
		return
	}
	if err := s.cfg.Career.RemoveHistory(r.Context(), au.Account, r.PathValue("kind"), id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
