package web

import (
	"net/http"
	"net/url"
	"strconv"

	"steward"
	"steward/catalogue"
)

// The catalogue of functies and opleidingen (issue 18): browse and search,
// server-rendered, without JavaScript. The pages exist only where the
// policy's site has a catalogue (site.catalogue); elsewhere they are 404.
// A search is a GET of its words and filters: nothing about it is logged
// or kept with the visitor (the access log keeps no query string).

// option is one choice of a filter.
type option struct {
	Value, Label string
	Selected     bool
}

// itemView is an item in the reader's words: no codes.
type itemView struct {
	Href, Title, Description         string
	Sector, Level, Region, HoursText string
	Retired                          bool
}

// catalogueView is a list page: the search as asked, its filters, one
// page of results and the links to the pages around it.
type catalogueView struct {
	Kind                    catalogue.Kind
	Action, Text            string
	Sectors, Levels, Region []option
	Items                   []itemView
	Total, Page, Pages      int
	PrevHref, NextHref      string
	Searched                bool
}

func (s *Server) catalogueOn() bool { return s.cfg.Policy.Site.Catalogue && s.cfg.Catalogue != nil }

func (s *Server) catalogueJobs(w http.ResponseWriter, r *http.Request) {
	s.catalogueList(w, r, catalogue.Job)
}

func (s *Server) catalogueCourses(w http.ResponseWriter, r *http.Request) {
	s.catalogueList(w, r, catalogue.Course)
}

func (s *Server) catalogueJob(w http.ResponseWriter, r *http.Request) {
	s.catalogueItem(w, r, catalogue.Job)
}

func (s *Server) catalogueCourse(w http.ResponseWriter, r *http.Request) {
	s.catalogueItem(w, r, catalogue.Course)
}

func (s *Server) catalogueList(w http.ResponseWriter, r *http.Request, kind catalogue.Kind) {
	if !s.catalogueOn() {
		s.notFound(w, r)
		return
	}
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in := r.URL.Query()
	q := catalogue.Query{Kind: kind, Text: in.Get("q"), Sector: in.Get("sector"), Level: in.Get("level"), Region: in.Get("region")}
	if p := in.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			s.fail(w, r, steward.Errorf(steward.EINVALID, "error.catalogue_bad_filter"))
			return
		}
		q.Page = n
	}
	res, err := s.cfg.Catalogue.Search(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, lang, "", nil)
	v := &catalogueView{Kind: kind, Action: kind.Path(), Text: q.Text, Total: res.Total, Page: res.Page, Pages: res.Pages,
		Searched: q.Text != "" || q.Sector != "" || q.Level != "" || q.Region != ""}
	v.Sectors = options(pg, "catalogue.sector.", catalogue.Sectors, q.Sector)
	v.Levels = options(pg, "catalogue.level.", catalogue.Levels, q.Level)
	v.Region = options(pg, "catalogue.region.", catalogue.Regions, q.Region)
	for _, it := range res.Items {
		v.Items = append(v.Items, viewItem(pg, it))
	}
	pageHref := func(n int) string {
		u := url.Values{}
		for _, k := range []string{"q", "sector", "level", "region"} {
			if x := in.Get(k); x != "" {
				u.Set(k, x)
			}
		}
		if n > 1 {
			u.Set("page", strconv.Itoa(n))
		}
		if lang != "nl" {
			u.Set("lang", lang)
		}
		if len(u) == 0 {
			return v.Action
		}
		return v.Action + "?" + u.Encode()
	}
	if res.Page > 1 && res.Page <= res.Pages {
		v.PrevHref = pageHref(res.Page - 1)
	}
	if res.Page < res.Pages {
		v.NextHref = pageHref(res.Page + 1)
	}
	title := "catalogue.jobs.title"
	if kind == catalogue.Course {
		title = "catalogue.courses.title"
	}
	pg = s.page(r, lang, title, v)
	s.render(w, r, http.StatusOK, "catalogue", pg)
}

func (s *Server) catalogueItem(w http.ResponseWriter, r *http.Request, kind catalogue.Kind) {
	if !s.catalogueOn() {
		s.notFound(w, r)
		return
	}
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	it, err := s.cfg.Catalogue.Item(r.Context(), kind, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, lang, "", nil)
	v := struct {
		Item     itemView
		Kind     catalogue.Kind
		BackHref string
		Save     *saveButton
	}{viewItem(pg, it), kind, pg.Href(kind.Path()), s.saveButtonFor(r, lang, it)}
	pg = s.page(r, lang, "", v)
	pg.Title = it.Title
	s.render(w, r, http.StatusOK, "catalogue_item", pg)
}

func options(pg *Page, prefix string, values []string, selected string) []option {
	out := make([]option, 0, len(values))
	for _, v := range values {
		out = append(out, option{Value: v, Label: pg.T(prefix + v), Selected: v == selected})
	}
	return out
}

func viewItem(pg *Page, it catalogue.Item) itemView {
	return itemView{
		Href:        pg.Href(it.Kind.Path() + "/" + url.PathEscape(it.ExternalID)),
		Title:       it.Title,
		Description: it.Description,
		Sector:      pg.T("catalogue.sector." + it.Sector),
		Level:       pg.T("catalogue.level." + it.Level),
		Region:      pg.T("catalogue.region." + it.Region),
		HoursText:   pg.Tf("catalogue.hours", "hours", it.Hours),
		Retired:     !it.Retired.IsZero(),
	}
}
