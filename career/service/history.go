package service

import (
	"context"
	"strconv"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/career"
	"steward/policy"
	"steward/store"
)

// History is one repeatable kind with the person's items of it.
type History struct {
	Kind  *policy.Record
	Items []store.Record
}

// HistoryOf lists acct's items of every repeatable kind, oldest first.
func (s *Service) HistoryOf(ctx context.Context, acct *account.Account) ([]History, error) {
	var out []History
	for _, rec := range career.HistoryKinds(s.Policy) {
		h := History{Kind: rec}
		err := s.Store.EachRecordOfKind(ctx, acct.ID, rec.ID, func(r store.Record) error {
			h.Items = append(h.Items, r)
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

func (s *Service) historyKind(acct *account.Account, kind string) (*policy.Record, error) {
	if acct.IsStaff() {
		return nil, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_save")
	}
	rec := career.HistoryKind(s.Policy, kind)
	if rec == nil {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.history_kind_unknown")
	}
	return rec, nil
}

// AddHistory adds one item of the repeatable kind for acct, after
// career.CheckItem; it returns the record's id.
func (s *Service) AddHistory(ctx context.Context, acct *account.Account, kind string, in map[string]string) (int64, error) {
	rec, err := s.historyKind(acct, kind)
	if err != nil {
		return 0, err
	}
	vals, err := career.CheckItem(rec, in)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		n, err := tx.CountRecordsOfKind(ctx, acct.ID, kind)
		if err != nil {
			return err
		}
		if n >= career.MaxHistory {
			return steward.Errorf(steward.ECONFLICT, "error.history_full", "max", career.MaxHistory)
		}
		r := &store.Record{Subject: acct.ID, Kind: kind, CreatedAt: s.Clock.Now(), Values: vals}
		if err := tx.InsertRecord(ctx, s.Policy, r); err != nil {
			return err
		}
		id = r.ID
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: actor(acct), Action: audit.RecordCreate, ObjectKind: kind,
			ObjectID: strconv.FormatInt(r.ID, 10), Subject: audit.Pseudonym(acct.Pseudonym), Fields: fieldNames(kind, vals)})
	})
	return id, err
}

// UpdateHistory replaces the values of acct's item id of kind with in
// (a field left out is emptied), after career.CheckItem.
func (s *Service) UpdateHistory(ctx context.Context, acct *account.Account, kind string, id int64, in map[string]string) error {
	rec, err := s.historyKind(acct, kind)
	if err != nil {
		return err
	}
	vals, err := career.CheckItem(rec, in)
	if err != nil {
		return err
	}
	for _, f := range account.InputFields(rec) {
		if _, ok := vals[f.ID]; !ok {
			vals[f.ID] = ""
		}
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateRecordValues(ctx, s.Policy, acct.ID, kind, id, vals, s.Clock.Now()); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: actor(acct), Action: audit.RecordUpdate, ObjectKind: kind,
			ObjectID: strconv.FormatInt(id, 10), Subject: audit.Pseudonym(acct.Pseudonym), Fields: fieldNames(kind, vals)})
	})
}

// RemoveHistory deletes acct's item id of kind.
func (s *Service) RemoveHistory(ctx context.Context, acct *account.Account, kind string, id int64) error {
	if _, err := s.historyKind(acct, kind); err != nil {
		return err
	}
	return s.deleteRecord(ctx, acct, kind, id)
}
