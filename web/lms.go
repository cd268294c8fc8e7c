package web

import (
	"context"
	"time"

	"steward"
	"steward/learning"
	"steward/lms"
	"steward/policy"
	"steward/store"
)

// lmsItem is one deletion, correction or enrolment Steward told the
// learning environment (issue 16 item 5, issue 17 item 4), as My data and
// the staff request page say it: what, the fields by their names in the
// policy or the course by its title, and whether the LMS confirmed —
// waiting, confirmed on a date, failing and retrying, or given up.
type lmsItem struct {
	Delete        bool
	Enrol         bool
	Course        policy.Text
	Fields        []policy.Text
	Status        store.LMSStatus
	Attempts      int
	CreatedAt     time.Time
	NextAttemptAt time.Time
	DoneAt        time.Time
}

// Retrying is a pending message the LMS failed at least once.
func (i lmsItem) Retrying() bool { return i.Status == store.LMSPending && i.Attempts > 0 }

// lmsItems reads the messages of an account (request "") or of a request
// (account "") in words.
func (s *Server) lmsItems(ctx context.Context, accountID, requestID string) ([]lmsItem, error) {
	var ms []store.LMSMessage
	var err error
	if requestID != "" {
		ms, err = s.cfg.Store.LMSMessagesOfRequest(ctx, requestID)
	} else {
		ms, err = s.cfg.Store.LMSMessagesOf(ctx, accountID)
	}
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	return s.lmsWords(ctx, ms)
}

// lmsWords says messages in words: the fields by their names, an
// enrolment's course by its title.
func (s *Server) lmsWords(ctx context.Context, ms []store.LMSMessage) ([]lmsItem, error) {
	rec := s.cfg.Policy.Record(lms.Kind(s.cfg.Policy))
	courses, err := s.lmsCourses(ctx, ms)
	if err != nil {
		return nil, err
	}
	out := make([]lmsItem, len(ms))
	for i, m := range ms {
		it := lmsItem{Delete: m.Op == store.LMSDelete, Enrol: m.Op == store.LMSEnrol, Course: courses[m.RecordID], Status: m.Status,
			Attempts: m.Attempts, CreatedAt: m.CreatedAt, NextAttemptAt: m.NextAttemptAt, DoneAt: m.DoneAt}
		for _, f := range m.Fields {
			name := policy.Text{NL: f, EN: f}
			if rec != nil {
				if fd := rec.Field(f); fd != nil {
					name = fd.Name
				}
			}
			it.Fields = append(it.Fields, name)
		}
		out[i] = it
	}
	return out, nil
}

// lmsCourses names the course of each enrolment the messages provision,
// by enrolment record id: the course's title, or its slug when the
// catalogue no longer has it. An enrolment erased meanwhile is not named.
func (s *Server) lmsCourses(ctx context.Context, ms []store.LMSMessage) (map[int64]policy.Text, error) {
	out := map[int64]policy.Text{}
	seen := map[string]bool{}
	for _, m := range ms {
		if m.Op != store.LMSEnrol || m.SubjectID == "" || seen[m.SubjectID] {
			continue
		}
		seen[m.SubjectID] = true
		recs, err := s.cfg.Store.RecordsOf(ctx, m.SubjectID)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			slug := r.Values[lms.EnrolmentCourseField]
			if r.Kind != learning.EnrolmentKind || slug == "" {
				continue
			}
			name := policy.Text{NL: slug, EN: slug}
			if c, err := s.cfg.Store.Course(ctx, slug); err == nil {
				name = c.Title
			} else if steward.ErrorCode(err) != steward.ENOTFOUND {
				return nil, err
			}
			out[r.ID] = name
		}
	}
	return out, nil
}
