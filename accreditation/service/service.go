// Package service writes the accreditation export for PE-online (issue
// 16 item 6, R8) from the accreditation records the LMS's passed courses
// created (xapi/service). One export is one transaction: the register's
// due records are chosen, each person's register number is opened with
// the data key for this and nothing else, the file is written by the
// caller before commit, and then each record's reported_at is set (so a
// second run exports nothing twice) and each person's transfer is a
// disclosure to PE-online — shown in their My data and export — with its
// audit entries (ids and field names only). A person without a register
// number is skipped and named by id, never exported with an empty one.
package service

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"steward"
	"steward/account"
	"steward/accreditation"
	"steward/audit"
	"steward/clock"
	"steward/learning"
	"steward/policy"
	"steward/store"
)

// The record kinds and fields an export reads and writes.
const (
	Kind           = "accreditation"
	LMSAccountKind = "lms_account"
	NumberField    = "register_number"
	// Purpose is the policy purpose the transfer serves; its legal basis
	// is the disclosure's.
	Purpose = "accreditation"
)

// Service writes exports.
type Service struct {
	Policy *policy.Policy
	Store  *store.Store
	Clock  clock.Clock
	Audit  *audit.Log
}

// Options choose what an export holds.
type Options struct {
	// Recipient is the policy's processors entry the file goes to
	// (pe_online); its export must declare the fields the file holds.
	Recipient string
	Register  string
	// Since is the first completion day exported.
	Since time.Time
	// Again exports records already reported too.
	Again bool
	// Prefix goes before each 11-digit number (accreditation.DefaultPrefix).
	Prefix string
}

// Opener opens a sealed value (account/service.Open).
type Opener func(accountID, record, field, sealed string) (string, error)

// Skipped is a record left out: the person (by account id) has no
// register number, or one that is not 11 digits.
type Skipped struct {
	Account string
	Record  int64
}

// Result says what an export did.
type Result struct {
	ID      string
	Rows    int
	People  int
	Skipped []Skipped
}

// The fields the file holds, as the policy's export names them (R4: only
// what the processor's export declares leaves).
var fileFields = []string{LMSAccountKind + "." + NumberField, Kind + ".course", Kind + ".points", Kind + ".completed_at"}

// Export chooses the due records, opens the numbers and calls write with
// the rows inside the transaction: if write fails, nothing is marked or
// recorded. open is required (the numbers are sealed, R3).
func (s *Service) Export(ctx context.Context, by audit.Actor, o Options, open Opener, write func([]accreditation.Row) error) (*Result, error) {
	proc, err := s.check(o)
	if err != nil {
		return nil, err
	}
	if open == nil {
		return nil, steward.Errorf(steward.EUNAVAILABLE, "error.sensitive_fields_cannot_be_read")
	}
	courses, err := s.Store.Courses(ctx, false)
	if err != nil {
		return nil, err
	}
	if err := accreditation.CheckRegister(courses, o.Register); err != nil {
		return nil, err
	}
	bySlug := map[string]*learning.Course{}
	for i := range courses {
		bySlug[courses[i].Slug] = &courses[i]
	}
	res := &Result{ID: account.NewID("acx_")}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		res.Rows, res.People, res.Skipped = 0, 0, nil
		recs, err := tx.RecordsOfKind(ctx, Kind)
		if err != nil {
			return err
		}
		numbers := map[string]string{} // subject → number, "" for none
		var rows []accreditation.Row
		var done []store.Record
		for _, r := range recs {
			c := bySlug[r.Values["course"]]
			if c == nil || accreditation.PointsIn(c, o.Register) == 0 || !accreditation.Due(r.Values["completed_at"], r.Values["reported_at"], o.Since, o.Again) {
				continue
			}
			n, ok := numbers[r.Subject]
			if !ok {
				if n, err = s.number(ctx, tx, r.Subject, o.Prefix, open); err != nil {
					return err
				}
				numbers[r.Subject] = n
			}
			if n == "" {
				res.Skipped = append(res.Skipped, Skipped{Account: r.Subject, Record: r.ID})
				continue
			}
			rows = append(rows, accreditation.Row{Number: n, Course: c.Slug, LMSCourseID: c.LMSCourseID,
				Points: accreditation.PointsIn(c, o.Register), CompletedAt: r.Values["completed_at"]})
			done = append(done, r)
		}
		if err := write(rows); err != nil {
			return err
		}
		res.Rows = len(rows)
		return s.record(ctx, tx, by, proc, o, res, done)
	})
	if err != nil {
		return nil, fmt.Errorf("accreditation: export %s: %w", o.Register, err)
	}
	return res, nil
}

// check refuses a recipient the policy does not declare, or whose export
// does not declare every field the file holds.
func (s *Service) check(o Options) (*policy.Processor, error) {
	for i := range s.Policy.Processors {
		p := &s.Policy.Processors[i]
		if p.ID != o.Recipient {
			continue
		}
		for _, f := range fileFields {
			if p.Export == nil || !slices.Contains(p.Export.Fields, f) {
				return nil, steward.FieldError("recipient", "error.accreditation_recipient_fields", "recipient", o.Recipient, "field", f)
			}
		}
		if s.Policy.Record(Kind) == nil || s.Policy.Record(Kind).Field("reported_at") == nil {
			return nil, steward.Errorf(steward.EINVALID, "error.accreditation_not_declared")
		}
		return p, nil
	}
	return nil, steward.FieldError("recipient", "error.api_key_recipient", "recipient", o.Recipient)
}

// number opens the person's register number: the one they gave in their
// profile, else their LMS account record's; "" when there is none or it
// is not an 11-digit number.
func (s *Service) number(ctx context.Context, tx *store.Tx, subject, prefix string, open Opener) (string, error) {
	prof, err := tx.Profile(ctx, subject, LMSAccountKind)
	if err != nil {
		return "", err
	}
	sealed := prof[NumberField]
	if sealed == "" {
		if sealed, err = tx.RecordValueOf(ctx, subject, LMSAccountKind, NumberField); err != nil {
			return "", err
		}
	}
	if sealed == "" {
		return "", nil
	}
	plain, err := open(subject, LMSAccountKind, NumberField, sealed)
	if err != nil {
		return "", err
	}
	n, _ := accreditation.Number(plain, prefix)
	return n, nil
}

// record marks the exported records reported and records one disclosure
// to the recipient per person, each with its audit entry.
func (s *Service) record(ctx context.Context, tx *store.Tx, by audit.Actor, proc *policy.Processor, o Options, res *Result, done []store.Record) error {
	now := s.Clock.Now()
	today := now.UTC().Format(time.DateOnly)
	basis := policy.LegalBasis("")
	if pu := s.Policy.Purpose(Purpose); pu != nil {
		basis = pu.LegalBasis
	}
	people := map[string]*account.Account{}
	var order []string
	for _, r := range done {
		a := people[r.Subject]
		if a == nil {
			var err error
			if a, err = tx.AccountByID(ctx, r.Subject); err != nil {
				return err
			}
			people[r.Subject] = a
			order = append(order, r.Subject)
		}
		if err := tx.SetRecordValue(ctx, s.Policy, Kind, r.ID, "reported_at", today); err != nil {
			return err
		}
		if err := s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: audit.AccreditationReport, ObjectKind: Kind,
			ObjectID: strconv.FormatInt(r.ID, 10), Subject: audit.Pseudonym(a.Pseudonym), Fields: []string{Kind + ".reported_at"}}); err != nil {
			return err
		}
	}
	for _, id := range order {
		a := people[id]
		d := &store.Disclosure{ID: account.NewID("dis_"), SubjectID: a.ID, SubjectPseudonym: a.Pseudonym,
			Ground: proc.ID, Recipient: proc.Name, LegalBasis: basis, Categories: []string{LMSAccountKind, Kind},
			Reference: res.ID + " " + o.Register, DisclosedOn: dayOf(now), RecordedAt: now, RecordedBy: string(by)}
		if err := tx.InsertDisclosure(ctx, d); err != nil {
			return err
		}
		if err := s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: audit.DisclosureRecord, ObjectKind: "disclosure",
			ObjectID: d.ID, Subject: audit.Pseudonym(a.Pseudonym), Fields: slices.Clone(fileFields)}); err != nil {
			return err
		}
	}
	res.People = len(order)
	return nil
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
