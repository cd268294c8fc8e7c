package career_test

import (
	"fmt"
	"testing"
	"time"

	"steward/career"
	"steward/catalogue"
)

// TestNewsMatchesSavedItemsAndAnswers (issue 18 item 6): a new item
// matches when it shares a saved item's sector (closer with its level and
// region) or suits an answer; an item already saved, a retired one and
// one that matches nothing are left out; best first, at most NewsLimit a
// kind; nothing to tailor with gives nothing.
func TestNewsMatchesSavedItemsAndAnswers(t *testing.T) {
	q := shipped(t)
	item := func(id string, k catalogue.Kind, sector, level, region string) catalogue.Item {
		return catalogue.Item{ExternalID: id, Kind: k, Title: "Titel " + id, Sector: sector, Level: level, Region: region, Hours: 24}
	}
	saved := item("F-1", catalogue.Job, "ouderenzorg", "mbo3", "drenthe")
	fresh := []catalogue.Item{
		saved, // saved already
		item("F-2", catalogue.Job, "ouderenzorg", "mbo2", "limburg"), // sector: 1
		item("F-3", catalogue.Job, "ouderenzorg", "mbo3", "drenthe"), // sector, level, region: 3
		item("F-4", catalogue.Job, "apotheek", "mbo4", "limburg"),    // nothing
		item("O-1", catalogue.Course, "ggz", "hbo", "utrecht"),       // the answer
		item("O-2", catalogue.Course, "ouderenzorg", "mbo3", "groningen"),
	}
	retired := item("F-5", catalogue.Job, "ouderenzorg", "mbo3", "drenthe")
	retired.Retired = time.Now()
	fresh = append(fresh, retired)
	in := &career.Interests{Saved: []catalogue.Item{saved}, Answers: career.Answers{"sector": "ggz"}}
	jobs, courses := career.News(q, fresh, in)
	ids := func(list []catalogue.Item) string {
		out := ""
		for _, it := range list {
			out += it.ExternalID + " "
		}
		return out
	}
	if got := ids(jobs); got != "F-3 F-2 " {
		t.Errorf("jobs %q, want F-3 (closest) then F-2", got)
	}
	if got := ids(courses); got != "O-2 O-1 " { // O-2: sector and level of F-1; O-1: the answer
		t.Errorf("courses %q", got)
	}
	if j, c := career.News(q, fresh, &career.Interests{}); j != nil || c != nil {
		t.Error("nothing to tailor with gave items")
	}
	var many []catalogue.Item
	for i := range 12 {
		many = append(many, item(fmt.Sprintf("N-%02d", i), catalogue.Job, "ggz", "hbo", "utrecht"))
	}
	if j, _ := career.News(q, many, in); len(j) != career.NewsLimit {
		t.Errorf("%d jobs, want at most %d", len(j), career.NewsLimit)
	}
}
