package web

import (
	"net/http"
	"time"

	"steward"
	"steward/account"
	"steward/lms"
	"steward/store"
)

// staffLMSLimit is how many failed LMS messages the page lists, newest
// first; 'steward lms list --status failed -n N' lists more.
const staffLMSLimit = 100

// staffLMSRow is a message the dispatcher gave up on, in words: what it
// was to tell the learning environment, whom (a link to the person's
// record while the account exists, or to the erasure request), how many
// attempts and when the last one failed, and Moodle's error code.
type staffLMSRow struct {
	lmsItem
	Person, Request string
	LastAttemptAt   time.Time
	LastError       string
}

type staffLMSView struct {
	Rows  []staffLMSRow
	Limit int
}

// staffLMS is GET /staff/lms: the LMS outbox's messages that failed for
// good (issue 16 item 5, issue 17 item 4), which the privacy officer
// follows up — a deletion or correction the LMS never confirmed is an
// Art. 17(2)/19 duty not yet met. No personal value is on it: the rows
// hold none.
func (s *Server) staffLMS(w http.ResponseWriter, r *http.Request) {
	if lms.Kind(s.cfg.Policy) == "" {
		s.fail(w, r, steward.Errorf(steward.ENOTFOUND, "error.not_found"))
		return
	}
	if s.requireRole(w, r, account.RolePrivacyOfficer, false) == nil {
		return
	}
	ms, err := s.cfg.Store.LMSMessages(r.Context(), store.LMSFailed, staffLMSLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.lmsWords(r.Context(), ms)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &staffLMSView{Limit: staffLMSLimit}
	for i, m := range ms {
		v.Rows = append(v.Rows, staffLMSRow{lmsItem: items[i], Person: m.SubjectID, Request: m.RequestID, LastAttemptAt: m.LastAttemptAt, LastError: m.LastError})
	}
	s.render(w, r, http.StatusOK, "staff_lms", s.page(r, mustLang(r), "staff_lms.title", v))
}
