// Package service applies the career domain to the store (issue 18):
// saving functies and opleidingen with an account, keeping what a visitor
// saved in their session when they log in, the basic questions' answers
// as the profile's work preferences, and the career profile's job and
// education history. Each change is one transaction with its audit entry
// (record kind, id and field names; never a value). Built once in
// internal/wiring.
package service

import (
	"context"
	"sort"
	"strconv"
	"time"

	"steward"
	"steward/account"
	accountservice "steward/account/service"
	"steward/audit"
	"steward/career"
	"steward/catalogue"
	"steward/clock"
	"steward/policy"
	"steward/store"
)

// Service is the career platform's service for people with an account.
type Service struct {
	Policy *policy.Policy
	Store  *store.Store
	Clock  clock.Clock
	Audit  *audit.Log
	// Profiles stores the work preferences through the person's own
	// profile edit (validated, audited like any edit).
	Profiles *accountservice.Service
	// Questions are the site's basic questions (policies/content); nil
	// when the site has none.
	Questions *career.Questionnaire
	// BaseURL is the site's public address, for the links in the
	// newsletter's tailored part.
	BaseURL string
}

// Saved is one saved functie or opleiding: the record (0 for a visitor's
// session copy), what it names, when, and the catalogue's item — which
// stays readable when a later import retired it, and is nil only for an
// item the catalogue never held.
type Saved struct {
	RecordID int64
	Ref      career.Ref
	SavedAt  time.Time
	Item     *catalogue.Item
}

func actor(acct *account.Account) audit.Actor {
	return audit.SubjectActor(audit.Pseudonym(acct.Pseudonym))
}

// CheckSave returns the item r names if it may be saved now: an unknown
// item is ENOTFOUND, a retired one (no longer offered) ECONFLICT, and
// nothing is stored either way.
func (s *Service) CheckSave(ctx context.Context, r career.Ref) (catalogue.Item, error) {
	if !career.Saving(s.Policy) {
		return catalogue.Item{}, steward.Errorf(steward.ENOTFOUND, "error.not_found")
	}
	if !r.Valid() {
		return catalogue.Item{}, steward.Errorf(steward.ENOTFOUND, "error.saved_unknown")
	}
	it, err := s.Store.CatalogueItem(ctx, r.Kind, r.ID)
	if steward.ErrorCode(err) == steward.ENOTFOUND {
		return it, steward.Errorf(steward.ENOTFOUND, "error.saved_unknown")
	}
	if err != nil {
		return it, err
	}
	if !it.Retired.IsZero() {
		return it, steward.Errorf(steward.ECONFLICT, "error.saved_retired")
	}
	return it, nil
}

// Save keeps r for acct as a saved_item record, in one transaction with
// its audit entry. Saving an item already saved changes nothing.
func (s *Service) Save(ctx context.Context, acct *account.Account, r career.Ref) error {
	if acct.IsStaff() {
		return steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_save")
	}
	if _, err := s.CheckSave(ctx, r); err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		_, err := s.saveTx(ctx, tx, acct, r)
		return err
	})
}

// saveTx stores r for acct unless it is there already; it reports whether
// it stored it.
func (s *Service) saveTx(ctx context.Context, tx *store.Tx, acct *account.Account, r career.Ref) (bool, error) {
	rec := s.Policy.Record(career.SavedKind)
	id, err := tx.RecordWithValues(ctx, acct.ID, career.SavedKind, map[string]string{career.SavedFieldKind: string(r.Kind), career.SavedFieldItem: r.ID})
	if err != nil || id != 0 {
		return false, err
	}
	n, err := tx.CountRecordsOfKind(ctx, acct.ID, career.SavedKind)
	if err != nil {
		return false, err
	}
	if n >= career.MaxSaved {
		return false, steward.Errorf(steward.ECONFLICT, "error.saved_full", "max", career.MaxSaved)
	}
	now := s.Clock.Now()
	vals := map[string]string{career.SavedFieldKind: string(r.Kind), career.SavedFieldItem: r.ID}
	if rec.Field(career.SavedFieldSaveAt) != nil {
		vals[career.SavedFieldSaveAt] = now.UTC().Format(time.DateOnly)
	}
	rc := &store.Record{Subject: acct.ID, Kind: career.SavedKind, CreatedAt: now, Values: vals}
	if err := tx.InsertRecord(ctx, s.Policy, rc); err != nil {
		return false, err
	}
	err = s.Audit.Record(ctx, tx, audit.Entry{Actor: actor(acct), Action: audit.RecordCreate, ObjectKind: career.SavedKind,
		ObjectID: strconv.FormatInt(rc.ID, 10), Subject: audit.Pseudonym(acct.Pseudonym), Fields: fieldNames(career.SavedKind, vals)})
	return err == nil, err
}

// Keep stores what a visitor saved in their session as acct's saved items,
// in one transaction: the one click after logging in (Z1, Z4). Items no
// longer offered or unknown are left out; the count kept is returned.
func (s *Service) Keep(ctx context.Context, acct *account.Account, refs []career.Ref) (int, error) {
	if acct.IsStaff() || !career.Saving(s.Policy) {
		return 0, nil
	}
	var ok []career.Ref
	for _, r := range refs {
		if _, err := s.CheckSave(ctx, r); err == nil {
			ok = append(ok, r)
		}
	}
	n := 0
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		n = 0
		for _, r := range ok {
			stored, err := s.saveTx(ctx, tx, acct, r)
			if err != nil {
				return err
			}
			if stored {
				n++
			}
		}
		return nil
	})
	return n, err
}

// Remove deletes acct's saved item r; one they did not save is not found.
func (s *Service) Remove(ctx context.Context, acct *account.Account, r career.Ref) error {
	id, err := s.Store.RecordWithValues(ctx, acct.ID, career.SavedKind, map[string]string{career.SavedFieldKind: string(r.Kind), career.SavedFieldItem: r.ID})
	if err != nil {
		return err
	}
	if id == 0 {
		return steward.Errorf(steward.ENOTFOUND, "error.saved_not_saved")
	}
	return s.deleteRecord(ctx, acct, career.SavedKind, id)
}

func (s *Service) deleteRecord(ctx context.Context, acct *account.Account, kind string, id int64) error {
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteRecordOf(ctx, acct.ID, kind, id); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: actor(acct), Action: audit.RecordDelete, ObjectKind: kind,
			ObjectID: strconv.FormatInt(id, 10), Subject: audit.Pseudonym(acct.Pseudonym)})
	})
}

// SavedOf lists acct's saved items, oldest first, each with its catalogue
// item (retired ones included).
func (s *Service) SavedOf(ctx context.Context, acct *account.Account) ([]Saved, error) {
	var out []Saved
	err := s.Store.EachRecordOfKind(ctx, acct.ID, career.SavedKind, func(r store.Record) error {
		out = append(out, Saved{RecordID: r.ID, Ref: career.Ref{Kind: catalogue.Kind(r.Values[career.SavedFieldKind]), ID: r.Values[career.SavedFieldItem]}, SavedAt: r.CreatedAt})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, s.describe(ctx, out)
}

// Describe returns a visitor's session items with their catalogue items.
func (s *Service) Describe(ctx context.Context, refs []career.Ref) ([]Saved, error) {
	out := make([]Saved, 0, len(refs))
	for _, r := range refs {
		out = append(out, Saved{Ref: r})
	}
	return out, s.describe(ctx, out)
}

func (s *Service) describe(ctx context.Context, list []Saved) error {
	for i := range list {
		it, err := s.Store.CatalogueItem(ctx, list[i].Ref.Kind, list[i].Ref.ID)
		if steward.ErrorCode(err) == steward.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		list[i].Item = &it
	}
	return nil
}

// fieldNames are the audit entry's "kind.field" names of vals.
func fieldNames(kind string, vals map[string]string) []string {
	out := make([]string, 0, len(vals))
	for f := range vals {
		out = append(out, kind+"."+f)
	}
	sort.Strings(out)
	return out
}

// IsSaved reports whether acct saved r.
func (s *Service) IsSaved(ctx context.Context, acct *account.Account, r career.Ref) (bool, error) {
	id, err := s.Store.RecordWithValues(ctx, acct.ID, career.SavedKind, map[string]string{career.SavedFieldKind: string(r.Kind), career.SavedFieldItem: r.ID})
	return id != 0, err
}
