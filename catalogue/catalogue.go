// Package catalogue is Zorginspirator's catalogue of functies (jobs) and
// opleidingen (courses) in care (issue 18): the items, their closed
// vocabularies (sector, level, region), the import file's rules and the
// search words. It is site content, not personal data: nothing here
// names a person, and a search is never kept with one.
//
// The package is pure: no SQL, no HTTP, no clock of its own. The service
// that imports and searches is catalogue/service.
package catalogue

import (
	"slices"
	"time"
)

// Kind is what an item is: a functie or an opleiding. The words are the
// values the policy's saved_item record declares for its field kind.
type Kind string

// The two kinds.
const (
	Job    Kind = "job"
	Course Kind = "course"
)

// Kinds lists the kinds in the order pages show them.
var Kinds = []Kind{Job, Course}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Job || k == Course }

// Path is the site's list page of a kind; an item's page is the path, a
// slash and its id.
func (k Kind) Path() string {
	if k == Course {
		return "/opleidingen"
	}
	return "/functies"
}

// Sectors are the parts of care an item belongs to; pages show each in
// words (message key "catalogue.sector.<id>").
var Sectors = []string{"ziekenhuis", "ouderenzorg", "gehandicaptenzorg", "ggz", "jeugdzorg", "wijkzorg", "huisartsenzorg", "kraamzorg", "apotheek"}

// Levels are the education levels an item asks or leads to
// ("catalogue.level.<id>").
var Levels = []string{"mbo2", "mbo3", "mbo4", "hbo", "wo"}

// Regions are the twelve provinces ("catalogue.region.<id>").
var Regions = []string{"groningen", "friesland", "drenthe", "overijssel", "flevoland", "gelderland", "utrecht", "noord_holland", "zuid_holland", "zeeland", "noord_brabant", "limburg"}

// Limits of an item's texts and hours.
const (
	MaxExternalID  = 64
	MaxTitle       = 200
	MaxDescription = 2000
	MaxHours       = 60
)

// Item is one functie or opleiding.
type Item struct {
	// ID is the catalogue's own number for the item, assigned when it is
	// first imported; pages and saved items refer to the item by Kind and
	// ExternalID.
	ID int64
	// ExternalID is the id the import file gives the item: re-importing
	// the file updates the item with that id instead of adding one.
	ExternalID  string
	Kind        Kind
	Title       string
	Description string
	Sector      string
	Level       string
	Region      string
	// Hours is the hours a week: the job's working hours, or the course's
	// study load.
	Hours int
	// Retired is when a full import no longer held the item, zero while it
	// is offered. A retired item stays readable (saved references).
	Retired time.Time
	// SearchText is the item's title and description as search words
	// (Words): what PostgreSQL's dutch configuration indexes.
	SearchText string
	// SearchStems is SearchText stemmed (Stems): what SQLite's FTS5 index
	// holds. Both are derived; the service fills them in.
	SearchStems string
}

// Same reports whether two items have the same content (the import's
// "unchanged").
func (it *Item) Same(o *Item) bool {
	return it.Kind == o.Kind && it.ExternalID == o.ExternalID && it.Title == o.Title && it.Description == o.Description &&
		it.Sector == o.Sector && it.Level == o.Level && it.Region == o.Region && it.Hours == o.Hours && it.Retired.IsZero() == o.Retired.IsZero()
}

// Query is a search: words to find (empty finds everything) and filters
// (empty for any), one page of results.
type Query struct {
	Kind   Kind
	Text   string
	Sector string
	Level  string
	Region string
	// Page counts from 1.
	Page int
}

// PageSize is the number of results on one page.
const PageSize = 20

// Search is a query as the store runs it: the filters, the words for
// PostgreSQL's dutch configuration and the stems for SQLite's FTS5 index,
// the offset and size of the page.
type Search struct {
	Kind                  Kind
	Sector, Level, Region string
	Words, Stems          []string
	Offset, Limit         int
}

// Result is one page of a search with the number of items found.
type Result struct {
	Items []Item
	Total int
	Page  int
	Pages int
}

// Known reports whether v is in vocabulary list (or empty: any).
func known(list []string, v string) bool { return slices.Contains(list, v) }

// ValidID reports whether id has the form of an item's id in an import
// file: what a saved reference to an item may hold.
func ValidID(id string) bool { return len(id) <= MaxExternalID && externalID.MatchString(id) }
