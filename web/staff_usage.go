package web

import (
	"net/http"
	"slices"
	"strconv"

	"steward"
	"steward/account"
	"steward/usage"
)

// usageDays are the periods the usage page offers, in days.
var usageDays = []int{7, 30, 90}

type staffUsageView struct {
	Days    int
	Choices []int
	// Pages is each page's views over the period, the most opened first;
	// PerDay each day's views over all pages, the newest first.
	Pages  []usage.Count
	PerDay []usage.Count
	Total  int64
	Keep   string
}

// staffUsage is GET /staff/usage (issue 18 item 8): what the site counted
// itself, per page and per day — no person appears, so any staff role may
// look.
func (s *Server) staffUsage(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Usage == nil {
		s.fail(w, r, steward.Errorf(steward.ENOTFOUND, "error.not_found"))
		return
	}
	if s.requireRole(w, r, account.RoleSupport, false) == nil {
		return
	}
	days := 30
	if q := r.URL.Query().Get("days"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || !slices.Contains(usageDays, n) {
			s.fail(w, r, steward.FieldError("days", "error.usage_days_bad"))
			return
		}
		days = n
	}
	now := s.cfg.Clock.Now()
	counts, err := s.cfg.Usage.Report(r.Context(), now.AddDate(0, 0, 1-days), now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := mustLang(r)
	v := &staffUsageView{Days: days, Choices: usageDays, Keep: s.page(r, lang, "", nil).Period(s.cfg.Usage.Keep)}
	v.Pages, v.PerDay, v.Total = usage.Totals(counts)
	s.render(w, r, http.StatusOK, "staff_usage", s.page(r, lang, "staff_usage.title", v))
}
