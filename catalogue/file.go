package catalogue

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"steward"
	"steward/message"
)

// The import file (issue 18): a JSON array of items or a CSV file whose
// first row names the columns, chosen by the file name's extension. The
// file is the whole catalogue: every row must be right, or nothing is
// imported, and the first wrong row is named by its line.

// FileItem is one item as the JSON file writes it.
type FileItem struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Sector      string `json:"sector"`
	Level       string `json:"level"`
	Region      string `json:"region"`
	Hours       int    `json:"hours"`
}

// Columns are the CSV file's columns, in the order the first row names
// them (any order is accepted).
var Columns = []string{"id", "kind", "title", "description", "sector", "level", "region", "hours"}

var externalID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ParseFile reads an import file named name (its extension chooses the
// format). An error names the file and the line of the first wrong row.
func ParseFile(name string, data []byte) ([]Item, error) {
	var items []Item
	var err error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		items, err = parseJSON(name, data)
	case ".csv":
		items, err = parseCSV(name, data)
	default:
		return nil, steward.Errorf(steward.EINVALID, "error.catalogue_file_type", "file", name)
	}
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, steward.Errorf(steward.EINVALID, "error.catalogue_empty", "file", name)
	}
	return items, nil
}

// lineAt is the line of the first character at or after off that is not
// white space or a comma.
func lineAt(data []byte, off int64) int {
	i := int(off)
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n' || data[i] == ',') {
		i++
	}
	return bytes.Count(data[:min(i, len(data))], []byte{'\n'}) + 1
}

func parseJSON(name string, data []byte) ([]Item, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	bad := func(line int, err error) error {
		return steward.Errorf(steward.EINVALID, "error.catalogue_bad_json", "file", name, "line", line, "err", oneLine(err))
	}
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		return nil, steward.Errorf(steward.EINVALID, "error.catalogue_not_array", "file", name)
	}
	c := newChecker(name)
	for dec.More() {
		line := lineAt(data, dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, bad(line, err)
		}
		var fi FileItem
		one := json.NewDecoder(bytes.NewReader(raw))
		one.DisallowUnknownFields()
		if err := one.Decode(&fi); err != nil {
			return nil, bad(line, err)
		}
		if err := c.add(line, fi); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad(lineAt(data, dec.InputOffset()), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, steward.Errorf(steward.EINVALID, "error.catalogue_not_array", "file", name)
	}
	return c.items, nil
}

func parseCSV(name string, data []byte) ([]Item, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(Columns)
	head, err := r.Read()
	if err != nil || !sameColumns(head) {
		return nil, steward.Errorf(steward.EINVALID, "error.catalogue_csv_header", "file", name, "columns", strings.Join(Columns, ","))
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	c := newChecker(name)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, steward.Errorf(steward.EINVALID, "error.catalogue_bad_csv", "file", name, "line", line, "err", oneLine(err))
		}
		line, _ := r.FieldPos(0)
		fi := FileItem{ID: rec[col["id"]], Kind: rec[col["kind"]], Title: rec[col["title"]], Description: rec[col["description"]],
			Sector: rec[col["sector"]], Level: rec[col["level"]], Region: rec[col["region"]]}
		hours := strings.TrimSpace(rec[col["hours"]])
		h, err := strconv.Atoi(hours)
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.catalogue_bad_hours", "file", name, "line", line, "max", MaxHours)
		}
		fi.Hours = h
		if err := c.add(line, fi); err != nil {
			return nil, err
		}
	}
	return c.items, nil
}

func sameColumns(head []string) bool {
	if len(head) != len(Columns) {
		return false
	}
	seen := map[string]bool{}
	for _, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		seen[h] = true
	}
	for _, c := range Columns {
		if !seen[c] {
			return false
		}
	}
	return true
}

// checker validates rows and finds an id used twice.
type checker struct {
	name  string
	items []Item
	first map[string]int
}

func newChecker(name string) *checker { return &checker{name: name, first: map[string]int{}} }

func (c *checker) add(line int, fi FileItem) error {
	it, err := c.item(line, fi)
	if err != nil {
		return err
	}
	key := string(it.Kind) + "/" + it.ExternalID
	if first, dup := c.first[key]; dup {
		return steward.Errorf(steward.EINVALID, "error.catalogue_duplicate", "file", c.name, "line", line, "id", it.ExternalID, "first", first)
	}
	c.first[key] = line
	c.items = append(c.items, it)
	return nil
}

func (c *checker) item(line int, fi FileItem) (Item, error) {
	it := Item{ExternalID: strings.TrimSpace(fi.ID), Kind: Kind(strings.TrimSpace(fi.Kind)), Title: clean(fi.Title),
		Description: clean(fi.Description), Sector: strings.TrimSpace(fi.Sector), Level: strings.TrimSpace(fi.Level),
		Region: strings.TrimSpace(fi.Region), Hours: fi.Hours}
	field := func(key, f string, args ...any) error {
		return steward.Errorf(steward.EINVALID, key, append([]any{"file", c.name, "line", line, "field", message.Key("catalogue.column." + f)}, args...)...)
	}
	switch {
	case it.ExternalID == "":
		return it, field("error.catalogue_missing", "id")
	case len(it.ExternalID) > MaxExternalID || !externalID.MatchString(it.ExternalID):
		return it, field("error.catalogue_bad_id", "id", "max", MaxExternalID)
	case !it.Kind.Valid():
		return it, field("error.catalogue_unknown_value", "kind", "value", fi.Kind, "allowed", "job, course")
	case it.Title == "":
		return it, field("error.catalogue_missing", "title")
	case utf8.RuneCountInString(it.Title) > MaxTitle:
		return it, field("error.catalogue_too_long", "title", "max", MaxTitle)
	case utf8.RuneCountInString(it.Description) > MaxDescription:
		return it, field("error.catalogue_too_long", "description", "max", MaxDescription)
	case !known(Sectors, it.Sector):
		return it, field("error.catalogue_unknown_value", "sector", "value", fi.Sector, "allowed", strings.Join(Sectors, ", "))
	case !known(Levels, it.Level):
		return it, field("error.catalogue_unknown_value", "level", "value", fi.Level, "allowed", strings.Join(Levels, ", "))
	case !known(Regions, it.Region):
		return it, field("error.catalogue_unknown_value", "region", "value", fi.Region, "allowed", strings.Join(Regions, ", "))
	case it.Hours < 1 || it.Hours > MaxHours:
		return it, steward.Errorf(steward.EINVALID, "error.catalogue_bad_hours", "file", c.name, "line", line, "max", MaxHours)
	}
	return it, nil
}

// clean trims a text and turns control characters (line breaks
// included) into spaces.
func clean(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
