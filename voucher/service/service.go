// Package service applies the voucher rules to the store (issue 17: R6):
// an organisation manager or staff creates a batch of codes for a course
// (only their hashes are kept); a person redeems a code after seeing the
// policy's notice that the organisation will see their learning results,
// which records the notice they saw, marks the code used and enrols them
// through learning/service.EnrolTx in one transaction; the organisation's
// report shows each redeemer with the policy's voucher_report fields
// only, and every person in it is a recorded staff view. Built once in
// internal/wiring.
package service

import (
	"context"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/erasure"
	"steward/learning"
	learnservice "steward/learning/service"
	"steward/policy"
	"steward/store"
	"steward/voucher"
)

// Service creates, redeems and reports vouchers.
type Service struct {
	Policy   *policy.Policy
	Store    *store.Store
	Clock    clock.Clock
	Audit    *audit.Log
	Learning *learnservice.Service
}

func (s *Service) enabled() error {
	if !voucher.Enabled(s.Policy) || !learning.Enabled(s.Policy) {
		return steward.Errorf(steward.ENOTFOUND, "error.not_found")
	}
	return nil
}

// Create makes a batch of b.Count codes for b.Organisation and b.Course
// in one transaction, audited to by, and returns the codes: the only
// time they exist outside the hands of whoever receives them. by must be
// staff or the organisation's manager; the course must exist.
func (s *Service) Create(ctx context.Context, by *account.Account, b voucher.Batch) (*voucher.Batch, []string, error) {
	if err := s.enabled(); err != nil {
		return nil, nil, err
	}
	if by == nil || !by.MayManageOrganisation(b.Organisation) {
		return nil, nil, steward.Errorf(steward.EFORBIDDEN, "error.page_needs_another_role")
	}
	now := s.Clock.Now()
	if err := b.Check(now); err != nil {
		return nil, nil, err
	}
	b.ID, b.CreatedAt, b.CreatedBy = account.NewID("vb-"), now, string(audit.Staff(by.ID))
	codes := make([]string, b.Count)
	hashes := make([]string, b.Count)
	for i := range codes {
		codes[i] = voucher.NewCode()
		n, _ := voucher.Normalise(codes[i])
		hashes[i] = voucher.Hash(n)
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Organisation(ctx, b.Organisation); err != nil {
			return err
		}
		if _, err := tx.Course(ctx, b.Course); err != nil {
			return err
		}
		if err := tx.InsertVoucherBatch(ctx, &b, hashes); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.Staff(by.ID), Action: audit.VoucherCreate,
			ObjectKind: "voucher_batch", ObjectID: b.ID, Fields: []string{"organisation", "course", "count", "expires", "label"}})
	})
	if err != nil {
		return nil, nil, err
	}
	return &b, codes, nil
}

// Batches lists an organisation's batches for by.
func (s *Service) Batches(ctx context.Context, by *account.Account, org string) ([]*voucher.Batch, error) {
	if err := s.enabled(); err != nil {
		return nil, err
	}
	if by == nil || !by.MayManageOrganisation(org) {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.page_needs_another_role")
	}
	return s.Store.VoucherBatches(ctx, org)
}

// Offer is a redeemable code's course and the notice its redeemer sees.
type Offer struct {
	Batch        *voucher.Batch
	Organisation string
	Course       *learning.Course
	Notice       *voucher.Notice
}

// invalid is the one answer for a code that is unknown, used, expired,
// of a full batch or for a course no longer offered: it does not tell
// whether a batch exists.
func invalid() error { return steward.Errorf(steward.ENOTFOUND, "error.voucher_invalid") }

// offer reads the code through r (the store, or the redeeming
// transaction) and builds the notice in lang.
func (s *Service) offer(ctx context.Context, r *store.Reader, typed, lang string) (*Offer, string, error) {
	if err := s.enabled(); err != nil {
		return nil, "", err
	}
	code, err := voucher.Normalise(typed)
	if err != nil {
		return nil, "", err
	}
	hash := voucher.Hash(code)
	b, used, err := r.VoucherByHash(ctx, hash)
	if err != nil {
		return nil, "", err
	}
	if used || !s.Clock.Now().Before(b.ExpiresAt) || b.Redeemed >= b.Count {
		return nil, "", invalid()
	}
	c, err := r.Course(ctx, b.Course)
	if err != nil || !c.Published {
		return nil, "", invalid()
	}
	o, err := r.Organisation(ctx, b.Organisation)
	if err != nil {
		return nil, "", invalid()
	}
	n := voucher.NewNotice(s.Policy, lang, o.Name, c.Title.In(lang), erasure.GoesWith(s.Policy, voucher.Kind))
	return &Offer{Batch: b, Organisation: o.Name, Course: c, Notice: n}, hash, nil
}

// Preview checks a typed code and returns what redeeming it means.
func (s *Service) Preview(ctx context.Context, acct *account.Account, typed, lang string) (*Offer, error) {
	if acct.IsStaff() {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_enrol")
	}
	o, _, err := s.offer(ctx, s.Store.Reader, typed, lang)
	return o, err
}

// Redeem redeems a typed code for acct, who confirmed the notice with
// noticeHash in lang: in one transaction it checks the code again,
// requires the notice to be exactly the one now in force (ECONFLICT
// error.voucher_notice_changed otherwise), enrols the person through
// EnrolTx, stores their voucher record (the course and the day; never
// the code), marks the code redeemed with the notice's hash, language
// and policy version, and audits it (ids and field names). Any error
// changes nothing.
func (s *Service) Redeem(ctx context.Context, acct *account.Account, typed, lang, noticeHash string) (*Offer, error) {
	if acct.IsStaff() {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_enrol")
	}
	var out *Offer
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		o, hash, err := s.offer(ctx, tx.Reader, typed, lang)
		if err != nil {
			return err
		}
		if noticeHash != o.Notice.Hash {
			return steward.Errorf(steward.ECONFLICT, "error.voucher_notice_changed")
		}
		if _, err := s.Learning.EnrolTx(ctx, tx, acct, o.Batch.Course, learnservice.Source{Kind: learnservice.Voucher, Ref: o.Batch.ID}); err != nil {
			return err
		}
		now := s.Clock.Now()
		vals := map[string]string{}
		for _, f := range s.Policy.Record(voucher.Kind).Fields {
			switch f.ID {
			case "course":
				vals[f.ID] = o.Batch.Course
			case "redeemed_at":
				vals[f.ID] = now.UTC().Format(time.DateOnly)
			}
		}
		rec := &store.Record{Subject: acct.ID, Kind: voucher.Kind, CreatedAt: now, Values: vals}
		if err := tx.InsertRecord(ctx, s.Policy, rec); err != nil {
			return err
		}
		if err := tx.RedeemVoucher(ctx, store.VoucherRedemption{Hash: hash, RecordID: rec.ID, At: now,
			NoticeHash: o.Notice.Hash, NoticeLang: lang, PolicyVersion: s.Policy.Version.Number}); err != nil {
			return err
		}
		fields := []string{"notice." + voucher.Purpose}
		for f := range vals {
			fields = append(fields, voucher.Kind+"."+f)
		}
		p := audit.Pseudonym(acct.Pseudonym)
		out = o
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.SubjectActor(p), Action: audit.VoucherRedeem,
			ObjectKind: "voucher_batch", ObjectID: o.Batch.ID, Subject: p, Fields: fields})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Report is an organisation's voucher report.
type Report struct {
	Columns []voucher.Column
	Rows    []store.ReportRow
}

// Report returns the redeemers of org's vouchers with exactly the
// policy's voucher_report fields, and records, before anything is shown,
// a staff view on each redeemer's record (their "who saw my data") and
// one staff.view audit entry naming the columns, on object kind how
// ("voucher_report" for the page, "voucher_report_csv" for the download).
func (s *Service) Report(ctx context.Context, by *account.Account, org, how string) (*Report, error) {
	if err := s.enabled(); err != nil {
		return nil, err
	}
	if by == nil || !by.MayManageOrganisation(org) {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.page_needs_another_role")
	}
	if _, err := s.Store.Organisation(ctx, org); err != nil {
		return nil, err
	}
	cols := voucher.ReportColumns(s.Policy)
	rows, err := s.Store.VoucherReport(ctx, org, voucher.Purpose, cols)
	if err != nil {
		return nil, err
	}
	fields := make([]string, len(cols))
	for i, c := range cols {
		fields[i] = c.ID()
	}
	now := s.Clock.Now()
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		seen := map[string]bool{}
		var subjects []string
		for _, r := range rows {
			if !seen[r.Subject] {
				seen[r.Subject] = true
				subjects = append(subjects, r.Subject)
			}
		}
		if err := tx.RecordStaffViews(ctx, now, by.ID, subjects, fields); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.Staff(by.ID), Action: audit.StaffView,
			ObjectKind: how, ObjectID: org, Fields: fields})
	})
	if err != nil {
		return nil, err
	}
	return &Report{Columns: cols, Rows: rows}, nil
}
