// Package service imports and searches the catalogue of functies and
// opleidingen (issue 18). It is built once in internal/wiring; the
// catalogue command and the pages call it. A search is not logged, not
// audited and not kept with anyone: it names no person and leaves no trace.
package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"steward"
	"steward/catalogue"
	"steward/clock"
	"steward/store"
)

// Service imports and searches the catalogue.
type Service struct {
	Store *store.Store
	Clock clock.Clock
}

// ImportResult counts what an import did.
type ImportResult struct {
	Jobs, Courses                      int
	Added, Changed, Unchanged, Retired int
}

// Import makes the catalogue what items (a whole import file, checked by
// catalogue.ParseFile) say, in one transaction: a new id is added, a
// known one updated (offered again if it was retired), an item the file
// no longer holds retired — never deleted, so a saved reference to it
// stays readable. Importing the same file twice changes nothing.
func (s *Service) Import(ctx context.Context, items []catalogue.Item) (ImportResult, error) {
	var res ImportResult
	if len(items) == 0 {
		return res, steward.Errorf(steward.EINVALID, "error.catalogue_empty", "file", "-")
	}
	now := s.Clock.Now()
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		res = ImportResult{}
		have, err := tx.CatalogueAll(ctx)
		if err != nil {
			return err
		}
		byKey := make(map[string]*catalogue.Item, len(have))
		for i := range have {
			byKey[key(&have[i])] = &have[i]
		}
		seen := make(map[int64]bool, len(items))
		for i := range items {
			it := items[i]
			if it.Kind == catalogue.Job {
				res.Jobs++
			} else {
				res.Courses++
			}
			words := catalogue.Words(it.Title + " " + it.Description)
			it.SearchText = strings.Join(words, " ")
			it.SearchStems = strings.Join(catalogue.Stems(words), " ")
			old, ok := byKey[key(&it)]
			if !ok {
				if err := tx.InsertCatalogueItem(ctx, &it, now); err != nil {
					return err
				}
				res.Added++
				continue
			}
			seen[old.ID] = true
			if old.Same(&it) {
				res.Unchanged++
				continue
			}
			it.ID = old.ID
			if err := tx.UpdateCatalogueItem(ctx, &it, now); err != nil {
				return err
			}
			res.Changed++
		}
		var retire []int64
		for _, old := range have {
			if !seen[old.ID] && old.Retired.IsZero() {
				retire = append(retire, old.ID)
			}
		}
		res.Retired = len(retire)
		if err := tx.RetireCatalogueItems(ctx, retire, now); err != nil {
			return err
		}
		if res.Added+res.Changed+res.Retired == 0 {
			return nil
		}
		return tx.AnalyzeCatalogue(ctx)
	})
	return res, err
}

func key(it *catalogue.Item) string { return string(it.Kind) + "/" + it.ExternalID }

// MaxQuery is the longest search text accepted.
const MaxQuery = 200

// Search finds one page of offered items of a kind. Unknown filter values
// and a page out of range are EINVALID; the text is searched word by word
// (all must be there, after Dutch stemming; stop words do not count).
func (s *Service) Search(ctx context.Context, q catalogue.Query) (catalogue.Result, error) {
	var res catalogue.Result
	if !q.Kind.Valid() {
		return res, steward.Errorf(steward.EINVALID, "error.catalogue_bad_filter")
	}
	for _, f := range []struct {
		v    string
		list []string
	}{{q.Sector, catalogue.Sectors}, {q.Level, catalogue.Levels}, {q.Region, catalogue.Regions}} {
		if f.v != "" && !contains(f.list, f.v) {
			return res, steward.Errorf(steward.EINVALID, "error.catalogue_bad_filter")
		}
	}
	if utf8.RuneCountInString(q.Text) > MaxQuery {
		return res, steward.Errorf(steward.EINVALID, "error.catalogue_query_too_long", "max", MaxQuery)
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.Page < 1 || q.Page > 100000 {
		return res, steward.Errorf(steward.EINVALID, "error.catalogue_bad_filter")
	}
	words := catalogue.QueryWords(q.Text)
	items, total, err := s.Store.SearchCatalogue(ctx, catalogue.Search{Kind: q.Kind, Sector: q.Sector, Level: q.Level, Region: q.Region,
		Words: words, Stems: catalogue.Stems(words), Offset: (q.Page - 1) * catalogue.PageSize, Limit: catalogue.PageSize})
	if err != nil {
		return res, err
	}
	res = catalogue.Result{Items: items, Total: total, Page: q.Page, Pages: (total + catalogue.PageSize - 1) / catalogue.PageSize}
	return res, nil
}

// Item returns one item by kind and the file's id, retired ones too.
func (s *Service) Item(ctx context.Context, kind catalogue.Kind, externalID string) (catalogue.Item, error) {
	if !kind.Valid() || externalID == "" || len(externalID) > catalogue.MaxExternalID {
		return catalogue.Item{}, steward.Errorf(steward.ENOTFOUND, "error.catalogue_item_not_found")
	}
	return s.Store.CatalogueItem(ctx, kind, externalID)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
