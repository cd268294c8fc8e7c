// Package service applies the learning domain to the store (issue 16,
// R5): the course catalogue's import and reads, and enrolment. Enrol is
// the one way an enrolment is made — free courses by clicking today,
// vouchers and orders (issue 17) through EnrolTx inside their own
// transaction — and stores an enrolment record of the policy's kind with
// only its declared fields, the learning environment's account record on
// a person's first enrolment (so the LMS retention rules have a target),
// and the audit entry (ids and field names only). Built once in
// internal/wiring.
package service

import (
	"context"
	"strconv"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/erasure"
	"steward/learning"
	"steward/policy"
	"steward/store"
)

// Service is the catalogue and enrolment service.
type Service struct {
	Policy *policy.Policy
	Store  *store.Store
	Clock  clock.Clock
	Audit  *audit.Log
}

// Source says how an enrolment came about.
type Source struct {
	Kind SourceKind
	// Ref is the voucher or order record that pays for the enrolment
	// (issue 17); empty for a free course.
	Ref string
}

// SourceKind is free, voucher or order.
type SourceKind string

// The sources of an enrolment.
const (
	Free    SourceKind = "free"
	Voucher SourceKind = "voucher"
	Order   SourceKind = "order"
)

// Enrolment is a stored enrolment.
type Enrolment struct {
	ID         int64
	Course     string
	EnrolledAt time.Time
}

// Import stores the parsed catalogue in one transaction: new slugs are
// added, changed courses replaced, unchanged ones left alone (an import
// run twice changes nothing the second time). Each added or changed
// course gets a course.import audit entry naming the fields that changed.
func (s *Service) Import(ctx context.Context, by audit.Actor, courses []learning.Course) (steward.ImportResult, error) {
	var res steward.ImportResult
	err := s.Store.InTx(ctx, func(tx *store.Tx) (err error) {
		now := s.Clock.Now()
		res, err = steward.ImportEach(courses, learning.CourseFields,
			func(c *learning.Course) (*learning.Course, error) { return tx.Course(ctx, c.Slug) },
			func(c *learning.Course) error { return tx.PutCourse(ctx, c, now) },
			func(c *learning.Course, fields []string) error {
				return s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: audit.CourseImport, ObjectKind: "course", ObjectID: c.Slug, Fields: fields})
			})
		return err
	})
	return res, err
}

// Catalogue lists the published courses (the public pages), or every
// course for staff.
func (s *Service) Catalogue(ctx context.Context, all bool) ([]learning.Course, error) {
	if !learning.Enabled(s.Policy) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.not_found")
	}
	return s.Store.Courses(ctx, !all)
}

// Course returns a published course; an unpublished or unknown one is
// not found.
func (s *Service) Course(ctx context.Context, slug string) (*learning.Course, error) {
	if !learning.Enabled(s.Policy) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.not_found")
	}
	c, err := s.Store.Course(ctx, slug)
	if err != nil {
		return nil, err
	}
	if !c.Published {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_course")
	}
	return c, nil
}

// EnrolmentIn returns acct's enrolment in course, nil for none.
func (s *Service) EnrolmentIn(ctx context.Context, acct *account.Account, course string) (*Enrolment, error) {
	id, err := s.Store.RecordWithValue(ctx, acct.ID, learning.EnrolmentKind, "course", course)
	if err != nil || id == 0 {
		return nil, err
	}
	recs, err := s.Store.RecordsOf(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.ID == id {
			return &Enrolment{ID: id, Course: course, EnrolledAt: r.CreatedAt}, nil
		}
	}
	return nil, nil
}

// Enrol enrols acct in the published course slug, in one transaction.
func (s *Service) Enrol(ctx context.Context, acct *account.Account, slug string, src Source) (*Enrolment, error) {
	var e *Enrolment
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		e, err = s.EnrolTx(ctx, tx, acct, slug, src)
		return err
	})
	return e, err
}

// EnrolTx enrols acct in course slug inside tx, for a caller whose own
// change (a redeemed voucher, a paid order) must commit with it. A course
// that is not published, a person already enrolled, staff, and a paid
// course without a voucher or order are refused. The enrolment stores
// only the fields the policy declares for its kind (the course's slug and
// the day), and the person's first enrolment creates their learning
// environment's account record, whose retention rules (R10) then count
// the enrolment. Whatever paid for it, the enrolment is provisioned to
// the learning environment the same way (issue 17 item 4): an enrol row in
// the LMS outbox, in tx, that the lms dispatcher sends.
func (s *Service) EnrolTx(ctx context.Context, tx *store.Tx, acct *account.Account, slug string, src Source) (*Enrolment, error) {
	p := s.Policy
	rec := p.Record(learning.EnrolmentKind)
	if rec == nil {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.not_found")
	}
	if acct.IsStaff() {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_enrol")
	}
	c, err := tx.Course(ctx, slug)
	if err != nil {
		return nil, err
	}
	if !c.Published {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_course")
	}
	switch src.Kind {
	case Free:
		if !c.Free() {
			return nil, steward.Errorf(steward.ECONFLICT, "error.course_not_free")
		}
	case Voucher, Order:
		if src.Ref == "" {
			return nil, steward.FieldError("source", "error.enrolment_source_ref")
		}
	default:
		return nil, steward.FieldError("source", "error.enrolment_source")
	}
	if id, err := tx.RecordWithValue(ctx, acct.ID, learning.EnrolmentKind, "course", slug); err != nil {
		return nil, err
	} else if id != 0 {
		return nil, steward.Errorf(steward.ECONFLICT, "error.already_enrolled")
	}
	now := s.Clock.Now()
	fields := []string{}
	// The learning environment's account, on the first enrolment.
	var lmsRecord int64
	sys := erasure.GoesWith(p, learning.EnrolmentKind)
	if sys != "" && sys != learning.EnrolmentKind {
		if lmsRecord, err = tx.RecordOfKind(ctx, acct.ID, sys); err != nil {
			return nil, err
		}
		if lmsRecord == 0 {
			r := &store.Record{Subject: acct.ID, Kind: sys, CreatedAt: now, ConfirmedAt: acct.ConfirmedAt}
			if err := tx.InsertRecord(ctx, p, r); err != nil {
				return nil, err
			}
			lmsRecord = r.ID
			fields = append(fields, sys)
		}
	}
	vals := map[string]string{}
	for _, f := range rec.Fields {
		switch f.ID {
		case "course":
			vals[f.ID] = slug
		case "enrolled_at":
			vals[f.ID] = now.UTC().Format(time.DateOnly)
		}
	}
	r := &store.Record{Subject: acct.ID, Kind: learning.EnrolmentKind, CreatedAt: now, Values: vals}
	if err := tx.InsertRecord(ctx, p, r); err != nil {
		return nil, err
	}
	for f := range vals {
		fields = append(fields, learning.EnrolmentKind+"."+f)
	}
	fields = append(fields, "source."+string(src.Kind))
	// Provisioned to the learning environment the same way whatever paid
	// for it (issue 17 item 4, R8): a row in its outbox, in this
	// transaction, that makes the LMS user if need be and enrols it. The
	// row holds ids; the values are read when it is sent.
	if lmsRecord != 0 && erasure.Remote(p, sys) {
		if _, err := tx.EnqueueLMSEnrol(ctx, strconv.FormatInt(lmsRecord, 10), acct.ID, r.ID, now); err != nil {
			return nil, err
		}
		fields = append(fields, "lms_outbox.enrol")
	}
	err = s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.SubjectActor(audit.Pseudonym(acct.Pseudonym)), Action: audit.EnrolmentCreate,
		ObjectKind: learning.EnrolmentKind, ObjectID: strconv.FormatInt(r.ID, 10), Subject: audit.Pseudonym(acct.Pseudonym), Fields: fields})
	if err != nil {
		return nil, err
	}
	return &Enrolment{ID: r.ID, Course: slug, EnrolledAt: now}, nil
}

// EnrolmentCounts counts the enrolments per course slug (the staff page).
func (s *Service) EnrolmentCounts(ctx context.Context) (map[string]int, error) {
	return s.Store.RecordValueCounts(ctx, learning.EnrolmentKind, "course")
}

// LMSAccountTx returns the id of acct's learning-environment account
// record inside tx, creating it when the person has none yet (issue 16
// item 3: the first sign-in to the learning environment through Steward,
// before any enrolment). The kind is the policy's account record of the
// enrolment's system; created reports a new record, which the caller
// names in its audit entry.
func (s *Service) LMSAccountTx(ctx context.Context, tx *store.Tx, acct *account.Account) (id int64, created bool, err error) {
	kind := erasure.GoesWith(s.Policy, learning.EnrolmentKind)
	if kind == "" || kind == learning.EnrolmentKind {
		return 0, false, steward.Errorf(steward.ENOTFOUND, "error.not_found")
	}
	if acct.IsStaff() {
		return 0, false, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_enrol")
	}
	if id, err := tx.RecordOfKind(ctx, acct.ID, kind); err != nil || id != 0 {
		return id, false, err
	}
	r := &store.Record{Subject: acct.ID, Kind: kind, CreatedAt: s.Clock.Now(), ConfirmedAt: acct.ConfirmedAt}
	if err := tx.InsertRecord(ctx, s.Policy, r); err != nil {
		return 0, false, err
	}
	return r.ID, true, nil
}
