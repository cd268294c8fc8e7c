// Package service stores the learning results a learning environment
// reports through the xAPI Statements resource (issue 16 item 4, R8).
// One request is one transaction: every statement of a batch is stored,
// or none is (G3). A statement becomes a learning_result record holding
// only the fields the policy declares for that kind (course, score,
// passed, completed_at: R4); a passed course that earns accreditation
// points also becomes the person's accreditation record, once per course,
// which the accreditation export hands to PE-online. Each record gets its
// audit entry (ids and field names only); the statement's id and a hash
// of its content are kept so a statement sent again is a no-op and one
// with the same id and other content a conflict.
package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"steward"
	"steward/apikey"
	"steward/audit"
	"steward/clock"
	"steward/internal/combine"
	"steward/learning"
	"steward/policy"
	"steward/store"
	"steward/xapi"
)

// The record kinds a statement writes and the kind its actor names.
const (
	ResultKind        = "learning_result"
	AccreditationKind = "accreditation"
	LMSAccountKind    = "lms_account"
)

// Service stores statements.
type Service struct {
	Policy *policy.Policy
	Store  *store.Store
	Clock  clock.Clock
	Audit  *audit.Log
	// Issuer is Steward's public base URL: the homePage of every actor's
	// account (the OIDC issuer the LMS knows people by).
	Issuer string

	once     sync.Once
	combiner *combine.Combiner[*request, *request]
	// passes is held by a transaction whose statements may pass a
	// course, and shared by the others (acceptAll).
	passes sync.RWMutex
}

// Outcome is what a request did: the ids of its statements, in order,
// and how many were new (the rest were sent before with the same content).
type Outcome struct {
	IDs    []string
	Stored int
}

// Enabled reports whether the policy declares learning results.
func (s *Service) Enabled() bool { return s.Policy.Record(ResultKind) != nil }

// Accept stores statements sent with key, all or nothing. An unknown or
// erased person, an unknown course, an id already used for other content
// fail the whole request with nothing stored; so does a key that, read
// again in the transaction, has been rotated, revoked or has expired
// (EUNAUTHORIZED: the key may have been let in from memory,
// apikey/service's Recognise).
//
// Requests that arrive while others are being stored are stored together
// in one transaction (s.combiner), each still all or nothing: one whose
// statements fail leaves nothing of its own behind and the others are
// stored. If that transaction fails, each of its requests is tried again
// on its own.
func (s *Service) Accept(ctx context.Context, key *apikey.Key, sts []xapi.Statement) (*Outcome, error) {
	if !s.Enabled() {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.not_found")
	}
	s.once.Do(func() {
		s.combiner = &combine.Combiner[*request, *request]{Run: s.acceptAll, Max: maxCombined, Lanes: 1}
		if s.Store.Dialect() == store.Postgres {
			// A request of many statements is stored beside the
			// transaction running, on a backend of its own, their audit
			// entries and commits one after the other (store.WriteXAPI):
			// the server's writing, most of such a transaction, then
			// uses both cores. Small requests wait and are stored
			// together, as fewer and larger transactions cost the
			// server less a statement (issue 16). On SQLite the one
			// writer takes transactions in turn anyway.
			s.combiner.Lanes = 2
			s.combiner.Beside = func(r *request) bool { return len(r.sts) >= besideStatements }
		}
	})
	r, err := s.combiner.Do(ctx, newRequest(key, sts))
	for tries := 0; err == nil && r.retry; tries++ {
		if tries == maxTries {
			err = fmt.Errorf("xapi: tried %d times, each time another transaction stored one of its statements first", tries)
			break
		}
		r = s.acceptAll(ctx, []*request{newRequest(key, sts)})[0]
	}
	if err == nil {
		err = r.err
	}
	if err != nil {
		return nil, fmt.Errorf("xapi: store %d statements: %w", len(sts), err)
	}
	return r.out, nil
}

// maxTries is how often a request is tried again on its own (its
// combined transaction failed, or another stored one of its statements
// first) before it fails.
const maxTries = 3

// besideStatements is the fewest statements a request holds for it to be
// stored beside another transaction of this process (PostgreSQL). In
// the same runs (c8, 2026-12-05 15:33-15:35), two transactions side by
// side took batches of 100 from 16.3-18.4k to 21.4-24.8k statements a
// second, and single statements from 2.85-3.13k down to 2.42-2.60k.
const besideStatements = 16

// maxCombined is the most requests stored in one transaction.
const maxCombined = 32

// request is one Accept call: its statements and, once stored, what it
// did, or why it failed, or that its transaction failed with others and
// it must be tried again alone.
type request struct {
	key *apikey.Key
	sts []xapi.Statement
	// hashes are the statements' content hashes, in order.
	hashes []string
	out    *Outcome
	err    error
	retry  bool
}

// acceptAll stores requests in one transaction: each request's statements
// are checked and gathered in turn, a request that fails is taken out of
// the batch with all it gathered, and what is left is written together.
func (s *Service) acceptAll(ctx context.Context, reqs []*request) []*request {
	var ids []string
	for _, r := range reqs {
		r.out = &Outcome{IDs: make([]string, len(r.sts))}
		for i := range r.sts {
			r.out.IDs[i] = r.sts[i].ID
			ids = append(ids, r.sts[i].ID)
		}
	}
	q, refs := s.query(reqs, ids)
	// Transactions of this process may run side by side (Lanes). What
	// one decides from its read is then safe from the others: a statement
	// id stored by two waits for the first and fails in the second (the
	// unique key), which is then tried again. An accreditation is kept
	// once per person and course by the read alone, so a transaction
	// that may accredit runs with no other of this process at once.
	if q.HeldKind != "" {
		s.passes.Lock()
		defer s.passes.Unlock()
	} else {
		s.passes.RLock()
		defer s.passes.RUnlock()
	}
	err := s.Store.WriteXAPI(ctx, s.Policy, q, func(f *store.XAPIFacts) (*store.XAPIWrite, error) {
		// Called again, with facts read again, if the first attempt
		// could not be written (store.WriteXAPI): decided afresh.
		b := &batch{now: s.Clock.Now(), accredited: map[string]bool{}, seen: map[string]string{}, facts: f, courses: courses(refs, f)}
		had := f.Hashes
		for _, r := range reqs {
			r.out.Stored, r.err = 0, nil
			if !r.key.StillValid(f.Keys[r.key.ID], b.now) {
				// Rotated or revoked since the request was let in
				// (apikey/service's Recognise): refused at once, as
				// the check before the request would have refused it.
				r.err = steward.Errorf(steward.EUNAUTHORIZED, "error.api_key_denied")
				continue
			}
			m := b.mark()
			// Gathering reads nothing (the facts were read for all): a
			// request's error leaves the transaction as it was.
			if r.err = s.gather(b, r, had); r.err != nil {
				b.undo(m)
			}
		}
		w := &store.XAPIWrite{Records: b.records, Statements: b.statements}
		if err := s.Audit.Record(ctx, w, b.entries...); err != nil {
			return nil, err
		}
		return w, nil
	})
	if err != nil {
		for _, r := range reqs {
			if len(reqs) > 1 || errors.Is(err, store.ErrStatementStoredMeanwhile) {
				// What each was told was decided in a transaction that
				// did not commit: each is tried again on its own.
				r.err, r.retry = nil, true
			} else if r.err == nil {
				r.err = err
			}
		}
	}
	return reqs
}

// gather checks one request's statements and gathers what they store.
func (s *Service) gather(b *batch, r *request, had map[string]string) error {
	b.by = audit.System("xapi." + r.key.ID)
	for i := range r.sts {
		st, hash := &r.sts[i], r.hashes[i]
		if h, ok := b.seen[st.ID]; ok {
			// The same statement in two requests stored together
			// (xapi.Parse refuses it twice in one): as if the second
			// came after the first.
			if h == hash {
				continue
			}
			return withIndex(steward.Errorf(steward.ECONFLICT, "error.xapi_conflict", "id", st.ID), i)
		}
		if h, ok := had[st.ID]; ok {
			if h == hash {
				continue
			}
			return withIndex(steward.Errorf(steward.ECONFLICT, "error.xapi_conflict", "id", st.ID), i)
		}
		if err := s.add(b, st); err != nil {
			return withIndex(err, i)
		}
		b.seen[st.ID] = hash
		b.seenIDs = append(b.seenIDs, st.ID)
		b.statements = append(b.statements, store.Statement{ID: st.ID, KeyID: r.key.ID, ContentHash: hash, Verb: st.Verb, StoredAt: b.now})
		r.out.Stored++
	}
	return nil
}

// newRequest is a request with its statements' content hashes, computed
// by the request's own goroutine rather than in the combined transaction
// one of them runs for all (issue 16: the transaction is what requests
// queue for).
func newRequest(key *apikey.Key, sts []xapi.Statement) *request {
	r := &request{key: key, sts: sts, hashes: make([]string, len(sts))}
	for i := range sts {
		r.hashes[i] = sts[i].Hash()
	}
	return r
}

func withIndex(err error, i int) error {
	if e, ok := err.(*steward.Error); ok {
		e.Args = append(e.Args, "index", i)
	}
	return err
}

// batch is what one request stores, gathered statement by statement and
// written together (a few multi-row statements, not ten per statement:
// issue 16's throughput). A batch is mostly one person or one course:
// each is looked up once per request.
type batch struct {
	// by is the actor of the request being gathered.
	by  audit.Actor
	now time.Time
	// records and their audit entries, in the same order; an entry's
	// object id is its record's, known once the records are written.
	records    []*store.Record
	entries    []audit.Entry
	statements []store.Statement
	// accredited holds the person and course pairs whose accreditation
	// this request has decided, so a course passed twice in one batch
	// earns one record.
	accredited map[string]bool
	// accreditedKeys lists accredited's keys in the order added, so a
	// failed request's can be taken out again (undo).
	accreditedKeys []string
	// seen is each statement gathered so far by id, with its content's
	// hash; seenIDs its keys in order.
	seen    map[string]string
	seenIDs []string
	// facts are what was read for every request at once: the ids
	// already accepted, the people the actors name, the courses they are
	// enrolled in and hold an accreditation for, the courses named, and
	// (PostgreSQL) the records' ids.
	facts *store.XAPIFacts
	// courses are the courses by activity id, nil for an activity that
	// names none.
	courses map[string]*learning.Course
}

// batchMark is how much of a batch was gathered before a request.
type batchMark struct{ records, statements, accredited, seen int }

func (b *batch) mark() batchMark {
	return batchMark{len(b.records), len(b.statements), len(b.accreditedKeys), len(b.seenIDs)}
}

// undo takes out what was gathered since m: a failed request's records,
// audit entries, statements and accreditations. The people and courses
// it looked up stay known; they were read in this transaction.
func (b *batch) undo(m batchMark) {
	b.records, b.entries = b.records[:m.records], b.entries[:m.records]
	b.statements = b.statements[:m.statements]
	for _, k := range b.accreditedKeys[m.accredited:] {
		delete(b.accredited, k)
	}
	b.accreditedKeys = b.accreditedKeys[:m.accredited]
	for _, id := range b.seenIDs[m.seen:] {
		delete(b.seen, id)
	}
	b.seenIDs = b.seenIDs[:m.seen]
}

// add gathers the records statement st makes: its learning result and,
// for a pass that earns points, the person's accreditation for the course.
func (s *Service) add(b *batch, st *xapi.Statement) error {
	acct, err := s.actor(b, st)
	if err != nil {
		return err
	}
	course := b.courses[st.Activity]
	if course == nil {
		return steward.Errorf(steward.EINVALID, "error.xapi_unknown_course")
	}
	if learning.Enabled(s.Policy) && !b.facts.Enrolled[acct.Subject][course.Slug] {
		// A result is kept for the enrolment it belongs to (R5, R8):
		// without one there is no ground to keep it.
		return steward.Errorf(steward.EINVALID, "error.xapi_not_enrolled")
	}
	at := st.Timestamp
	if at.IsZero() {
		at = b.now
	}
	day := at.UTC().Format(time.DateOnly)
	vals := map[string]string{}
	put := func(field, v string) {
		if s.Policy.Record(ResultKind).Field(field) != nil {
			vals[field] = v
		}
	}
	put("course", course.Slug)
	if st.HasScore {
		put("score", strconv.Itoa(st.Score))
	}
	switch {
	case st.Verb == "passed":
		put("passed", "true")
	case st.Verb == "failed":
		put("passed", "false")
	case st.Success != nil:
		put("passed", strconv.FormatBool(*st.Success))
	}
	if st.Verb != "scored" || st.Completion != nil && *st.Completion {
		put("completed_at", day)
	}
	pseudo := audit.Pseudonym(acct.Pseudonym)
	b.add(acct.Subject, pseudo, ResultKind, audit.LearningResultCreate, vals)
	if st.Passed() {
		return s.accredit(b, acct.Subject, pseudo, course, day)
	}
	return nil
}

// add gathers one record and its audit entry (ids and field names only).
func (b *batch) add(subject string, pseudo audit.Pseudonym, kind string, action audit.Action, vals map[string]string) {
	b.records = append(b.records, &store.Record{Subject: subject, Kind: kind, CreatedAt: b.now, Values: vals})
	fields := make([]string, 0, len(vals))
	for f := range vals {
		fields = append(fields, kind+"."+f)
	}
	b.entries = append(b.entries, audit.Entry{Actor: b.by, Action: action, ObjectKind: kind, Subject: pseudo, Fields: fields})
}

// actorID is the LMS account record id a statement's actor names: its
// account's homePage must be Steward's issuer and its name that id,
// written as Steward writes it; 0 for anything else.
func (s *Service) actorID(st *xapi.Statement) int64 {
	if st.HomePage != s.Issuer {
		return 0
	}
	id, err := strconv.ParseInt(st.Name, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != st.Name {
		return 0
	}
	return id
}

// query is what to read, for the statements of every request of a batch
// at once (ids), that gathering them needs: the ids already accepted, the
// people their actors name, the courses those are enrolled in and, if any
// statement passes, which accreditations they hold, the courses their
// activities name, and the requests' API keys as they are now — on
// PostgreSQL one round trip however many statements, people and courses
// there are (store.XAPIFacts). refs are the courses the activities name.
func (s *Service) query(reqs []*request, ids []string) (store.XAPIQuery, map[string]xapi.CourseRef) {
	q := store.XAPIQuery{StatementIDs: ids, ActorKind: LMSAccountKind, Field: "course"}
	for _, r := range reqs {
		if !slices.Contains(q.KeyIDs, r.key.ID) {
			q.KeyIDs = append(q.KeyIDs, r.key.ID)
		}
	}
	seen := map[int64]bool{}
	refs := map[string]xapi.CourseRef{}
	slugs, lmsIDs := map[string]bool{}, map[string]bool{}
	passes := 0
	for _, r := range reqs {
		for i := range r.sts {
			st := &r.sts[i]
			if st.Passed() {
				passes++
			}
			if id := s.actorID(st); id != 0 && !seen[id] {
				seen[id] = true
				q.Actors = append(q.Actors, id)
			}
			if _, ok := refs[st.Activity]; ok {
				continue
			}
			ref, ok := xapi.ActivityCourse(s.Issuer, st.Activity)
			refs[st.Activity] = ref
			switch {
			case !ok:
			case ref.Slug != "" && !slugs[ref.Slug]:
				slugs[ref.Slug] = true
				q.Slugs = append(q.Slugs, ref.Slug)
			case ref.LMSID != "" && !lmsIDs[ref.LMSID]:
				lmsIDs[ref.LMSID] = true
				q.LMSIDs = append(q.LMSIDs, ref.LMSID)
			}
		}
	}
	if learning.Enabled(s.Policy) {
		q.EnrolmentKind = learning.EnrolmentKind
	}
	// A statement writes its result and, for a pass, perhaps an
	// accreditation: at most this many records.
	q.NewRecords = len(ids)
	if passes > 0 && s.Policy.Record(AccreditationKind) != nil {
		q.HeldKind = AccreditationKind
		q.NewRecords += passes
	}
	return q, refs
}

// courses are the courses found in f by the activities' refs, nil for an
// activity that names none.
func courses(refs map[string]xapi.CourseRef, f *store.XAPIFacts) map[string]*learning.Course {
	out := make(map[string]*learning.Course, len(refs))
	for activity, ref := range refs {
		if ref.Slug != "" {
			out[activity] = f.BySlug[ref.Slug]
		} else if ref.LMSID != "" {
			out[activity] = f.ByLMSID[ref.LMSID]
		}
	}
	return out
}

// actor finds the person a statement is about among those lookUp read:
// the live LMS account record its actor names, whose person still has an
// account. An erased person's record is gone, so they are unknown like
// anyone never seen.
func (s *Service) actor(b *batch, st *xapi.Statement) (store.XAPIActor, error) {
	acct, ok := b.facts.Actors[s.actorID(st)]
	if !ok || acct.Pseudonym == "" {
		return acct, steward.Errorf(steward.EINVALID, "error.xapi_unknown_actor")
	}
	return acct, nil
}

// accredit records the accreditation a passed course earns, once per
// person and course: the course, its points and the day. A course earns
// points per register (the catalogue's KNMP, KRP, …) while the person has
// one register number; the record keeps the most points the course earns
// in any register, and the export writes each register's own points from
// the catalogue (docs/accreditation.md).
func (s *Service) accredit(b *batch, subject string, pseudo audit.Pseudonym, c *learning.Course, day string) error {
	rec := s.Policy.Record(AccreditationKind)
	points := 0
	for _, p := range c.Points {
		points = max(points, p.Points)
	}
	if rec == nil || points == 0 || b.accredited[subject+"\x00"+c.Slug] {
		return nil
	}
	b.accredited[subject+"\x00"+c.Slug] = true
	b.accreditedKeys = append(b.accreditedKeys, subject+"\x00"+c.Slug)
	if b.facts.Held[subject][c.Slug] {
		return nil
	}
	vals := map[string]string{}
	for f, v := range map[string]string{"course": c.Slug, "points": strconv.Itoa(points), "completed_at": day} {
		if rec.Field(f) != nil {
			vals[f] = v
		}
	}
	b.add(subject, pseudo, AccreditationKind, audit.AccreditationCreate, vals)
	return nil
}
