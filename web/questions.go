package web

import (
	"errors"
	"net/http"
	"strings"

	"steward"
	"steward/career"
)

// The basic questions (basisvragen, issue 18 item 3, Z1): the site's
// questionnaire from its content file, answered without an account (the
// answers then live only in the session cookie, visit.go) or with one
// (kept as the profile's work preferences when the person ticks so and
// the policy declares that field). The answers rank the catalogue: "what
// suits you".

func (s *Server) questionsOn() bool {
	return s.savingOn() && s.cfg.Career.Questions != nil
}

type questionChoice struct {
	Value, Label string
	Checked      bool
}

type questionView struct {
	ID, Name, Text string
	Choices        []questionChoice
	None           bool
}

type questionsView struct {
	Intro     string
	Questions []questionView
	Action    string
	CSRF      string
	// Person is true with a login; CanKeep when the policy lets them keep
	// the answers as work preferences.
	Person, CanKeep bool
	Answered        bool
	Jobs, Courses   []itemView
	Errors          []formError
}

// questionsPage is GET /basisvragen: the questions, with the answers the
// session or the profile holds and what suits them.
func (s *Server) questionsPage(w http.ResponseWriter, r *http.Request) {
	if !s.questionsOn() {
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
	var a career.Answers
	if au == nil {
		a, _ = s.cfg.Career.CheckAnswers(s.visit(r).Answers)
	} else if !au.Account.IsStaff() {
		if a, err = s.cfg.Career.StoredAnswers(r.Context(), au.Account); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.renderQuestions(w, r, lang, au, http.StatusOK, a, nil)
}

func (s *Server) renderQuestions(w http.ResponseWriter, r *http.Request, lang string, au *authed, status int, a career.Answers, errs []formError) {
	q := s.cfg.Career.Questions
	v := &questionsView{Intro: q.Intro.In(lang), Action: "/basisvragen" + langQuery(lang), Person: au != nil,
		CanKeep: au != nil && s.cfg.Career.PreferencesAllowed(), Answered: len(a) > 0, Errors: errs}
	if au == nil {
		v.CSRF = s.formToken("questions")
	} else {
		v.CSRF = au.Session.CSRF
	}
	for _, qu := range q.Questions {
		qv := questionView{ID: fieldID("q." + qu.ID), Name: "q." + qu.ID, Text: qu.Text.In(lang), None: a[qu.ID] == ""}
		for _, c := range qu.Choices {
			qv.Choices = append(qv.Choices, questionChoice{Value: c.Value, Label: c.Label.In(lang), Checked: a[qu.ID] == c.Value})
		}
		v.Questions = append(v.Questions, qv)
	}
	pg := s.page(r, lang, "questions.title", nil)
	if len(a) > 0 {
		jobs, courses, err := s.cfg.Career.Suits(r.Context(), a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, it := range jobs {
			v.Jobs = append(v.Jobs, viewItem(pg, it))
		}
		for _, it := range courses {
			v.Courses = append(v.Courses, viewItem(pg, it))
		}
	}
	pg.Data = v
	s.render(w, r, status, "questions", pg)
}

// questionsSubmit is POST /basisvragen. Every "q.<id>" field answers a
// question; a question the site does not ask or an answer outside its
// choices is a 400 naming it, and nothing is stored. A visitor's answers
// go into the session cookie; a person's into their work preferences only
// when they tick "keep" (and the policy declares the field), otherwise
// they are shown once and kept nowhere.
func (s *Server) questionsSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.questionsOn() {
		s.notFound(w, r)
		return
	}
	lang := mustLang(r)
	au, err := s.auth(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if au != nil {
		if au.Account.IsStaff() {
			s.fail(w, r, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_save"))
			return
		}
		if !s.checkForm(w, r, au) {
			return
		}
	} else {
		if err := parseForm(r); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.checkFormToken("questions", r.PostForm.Get("csrf")); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	in := map[string]string{}
	for k, vs := range r.PostForm {
		if id, ok := strings.CutPrefix(k, "q."); ok && len(vs) > 0 {
			in[id] = vs[0]
		}
	}
	a, err := s.cfg.Career.CheckAnswers(in)
	if err != nil {
		fe := asFieldError(err)
		if fe == nil {
			s.fail(w, r, err)
			return
		}
		errs := []formError{{Anchor: "#" + fieldID("q."+fe.Field), Text: s.catalog.Error(lang, err)}}
		if s.cfg.Career.Questions.Question(fe.Field) == nil {
			errs[0].Anchor = "#questions"
		}
		s.renderQuestions(w, r, lang, au, http.StatusBadRequest, nil, errs)
		return
	}
	if au == nil {
		v := s.visit(r)
		v.Answers = a
		s.setVisit(w, r, v)
		http.Redirect(w, r, "/basisvragen"+langQuery(lang)+"#suits", http.StatusSeeOther)
		return
	}
	if r.PostForm.Get("keep") == "1" {
		if err := s.cfg.Career.KeepAnswers(r.Context(), au.Account, a, lang); err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/basisvragen"+langQuery(lang)+"#suits", http.StatusSeeOther)
		return
	}
	s.renderQuestions(w, r, lang, au, http.StatusOK, a, nil)
}

// asFieldError is err's field error, or nil.
func asFieldError(err error) *steward.Error {
	var e *steward.Error
	if errors.As(err, &e) && e.Field != "" {
		return e
	}
	return nil
}
