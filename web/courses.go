package web

import (
	"net/http"
	"net/url"

	"steward/account"
	"steward/learning"
	learnservice "steward/learning/service"
)

// The course pages (issue 16, R5): the public catalogue /courses and a
// course's page /courses/{slug} in nl and en, where a logged-in person
// enrols in a free course by clicking; a paid course shows its price and
// says ordering comes later. A site whose policy declares no enrolment
// kind has no courses: the pages are not found there (Zorginspirator).
// Staff see the whole catalogue with its enrolment counts.

type coursesView struct {
	Courses []learning.Course
}

type courseView struct {
	Course *learning.Course
	// Person is whether a person (not staff) is logged in; Enrolment
	// their enrolment in this course, if any.
	Person    bool
	Enrolment *learnservice.Enrolment
	CSRF      string
	LoginURL  string
	Enrolled  bool
	// Vouchers links to /vouchers/redeem where the site has them.
	Vouchers bool
}

// coursesOn reports whether the site has courses; it answers 404 if not.
func (s *Server) coursesOn(w http.ResponseWriter, r *http.Request) bool {
	if learning.Enabled(s.cfg.Policy) {
		return true
	}
	s.notFound(w, r)
	return false
}

// courses is GET /courses: the published courses.
func (s *Server) courses(w http.ResponseWriter, r *http.Request) {
	if !s.coursesOn(w, r) {
		return
	}
	list, err := s.cfg.Learning.Catalogue(r.Context(), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "courses", s.page(r, mustLang(r), "courses.title", &coursesView{Courses: list}))
}

// course is GET /courses/{slug}.
func (s *Server) course(w http.ResponseWriter, r *http.Request) {
	if !s.coursesOn(w, r) {
		return
	}
	ctx := r.Context()
	c, err := s.cfg.Learning.Course(ctx, r.PathValue("slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := mustLang(r)
	v := &courseView{Course: c, Enrolled: r.URL.Query().Get("done") == "enrolled", Vouchers: s.vouchersEnabled()}
	if au := s.viewer(r); au != nil {
		v.Vouchers = v.Vouchers && !au.Account.IsStaff()
		if !au.Account.IsStaff() {
			v.Person, v.CSRF = true, au.Session.CSRF
			if v.Enrolment, err = s.cfg.Learning.EnrolmentIn(ctx, au.Account, c.Slug); err != nil {
				s.fail(w, r, err)
				return
			}
		}
	} else {
		v.LoginURL = loginURL(r)
	}
	s.render(w, r, http.StatusOK, "course", s.page(r, lang, "courses.title", v))
}

// courseEnrol is POST /courses/{slug}/enrol: a person enrols in a free
// course. A paid course, a course they are in already, and staff are
// refused and nothing changes.
func (s *Server) courseEnrol(w http.ResponseWriter, r *http.Request) {
	if !s.coursesOn(w, r) {
		return
	}
	au := s.requireLogin(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	slug := r.PathValue("slug")
	if _, err := s.cfg.Learning.Enrol(r.Context(), au.Account, slug, learnservice.Source{Kind: learnservice.Free}); err != nil {
		s.fail(w, r, err)
		return
	}
	q := url.Values{"done": {"enrolled"}}
	if l := mustLang(r); l != "nl" {
		q.Set("lang", l)
	}
	http.Redirect(w, r, "/courses/"+url.PathEscape(slug)+"?"+q.Encode(), http.StatusSeeOther)
}

type staffCoursesView struct {
	Courses []learning.Course
	Counts  map[string]int
}

// staffCourses is GET /staff/courses: the whole catalogue, published or
// not, with enrolment counts (no person is named).
func (s *Server) staffCourses(w http.ResponseWriter, r *http.Request) {
	if !s.coursesOn(w, r) {
		return
	}
	au := s.requireRole(w, r, account.RoleSupport, false)
	if au == nil {
		return
	}
	ctx := r.Context()
	list, err := s.cfg.Learning.Catalogue(ctx, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	counts, err := s.cfg.Learning.EnrolmentCounts(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_courses", s.page(r, mustLang(r), "staff_courses.title", &staffCoursesView{Courses: list, Counts: counts}))
}
