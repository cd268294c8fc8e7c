package learning

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"steward"
	"steward/policy"
)

// CSVHeader is the header row a course CSV file starts with, in this
// order. points is "register:points" pairs separated by ";" (knmp:2;krp:1),
// price_cents a whole number of cents (0: free), published true or false.
var CSVHeader = []string{"slug", "title_nl", "title_en", "description_nl", "description_en", "lms_course_id", "points", "price_cents", "published"}

// jsonCourse is one course of a JSON file: an array of these objects.
type jsonCourse struct {
	Slug          string         `json:"slug"`
	TitleNL       string         `json:"title_nl"`
	TitleEN       string         `json:"title_en"`
	DescriptionNL string         `json:"description_nl"`
	DescriptionEN string         `json:"description_en"`
	LMSCourseID   string         `json:"lms_course_id"`
	Points        map[string]int `json:"points"`
	PriceCents    int64          `json:"price_cents"`
	Published     bool           `json:"published"`
}

// lineError wraps a course's error with the line of the file it is on.
func lineError(line int, err error) error {
	var se *steward.Error
	if errors.As(err, &se) && se.Field != "" {
		return steward.Errorf(steward.EINVALID, "error.import_line_field", "line", line, "field", se.Field, "err", err)
	}
	return steward.Errorf(steward.EINVALID, "error.import_line", "line", line, "err", err)
}

// ParseCSV reads a course catalogue in CSV (CSVHeader first). A line that
// is wrong makes the whole file wrong, with the line number in the error;
// a slug twice in the file too.
func ParseCSV(data []byte) ([]Course, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(CSVHeader)
	head, err := r.Read()
	if err != nil {
		return nil, lineError(1, steward.Errorf(steward.EINVALID, "error.import_header", "header", strings.Join(CSVHeader, ",")))
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	for i := range CSVHeader {
		if strings.TrimSpace(head[i]) != CSVHeader[i] {
			return nil, lineError(1, steward.Errorf(steward.EINVALID, "error.import_header", "header", strings.Join(CSVHeader, ",")))
		}
	}
	var out []Course
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, lineError(pe.StartLine, steward.Errorf(steward.EINVALID, "error.import_csv_row", "columns", len(CSVHeader)))
			}
			return nil, err
		}
		line, _ := r.FieldPos(0)
		c := Course{Slug: rec[0], Title: textOf(rec[1], rec[2]), Description: textOf(rec[3], rec[4]), LMSCourseID: rec[5]}
		if c.Points, err = parsePoints(rec[6]); err != nil {
			return nil, lineError(line, err)
		}
		if c.PriceCents, err = strconv.ParseInt(strings.TrimSpace(rec[7]), 10, 64); err != nil {
			return nil, lineError(line, steward.FieldError("price_cents", "error.course_price", "max", MaxPriceCents))
		}
		switch strings.TrimSpace(rec[8]) {
		case "true":
			c.Published = true
		case "false":
		default:
			return nil, lineError(line, steward.FieldError("published", "error.must_be_true_or_false"))
		}
		if err := add(&out, seen, c, line); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func textOf(nl, en string) policy.Text { return policy.Text{NL: nl, EN: en} }

// parsePoints reads "knmp:2;krp:1" ("" for none).
func parsePoints(s string) ([]Points, error) {
	var out []Points
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		reg, n, ok := strings.Cut(part, ":")
		v, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil {
			return nil, steward.FieldError("points", "error.course_points_pair")
		}
		out = append(out, Points{Register: strings.TrimSpace(reg), Points: v})
	}
	return out, nil
}

// add checks c and appends it, refusing a slug seen before in the file.
func add(out *[]Course, seen map[string]int, c Course, line int) error {
	if err := c.Check(); err != nil {
		return lineError(line, err)
	}
	if first, ok := seen[c.Slug]; ok {
		return lineError(line, steward.FieldError("slug", "error.import_duplicate_slug", "first", first))
	}
	seen[c.Slug] = line
	*out = append(*out, c)
	return nil
}

// ParseJSON reads a course catalogue in JSON: an array of objects with the
// keys of CSVHeader (points an object register → points). Unknown keys
// are refused. An error names the line its object starts on.
func ParseJSON(data []byte) ([]Course, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n")) }
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, lineError(1, steward.Errorf(steward.EINVALID, "error.import_json_array"))
	}
	var out []Course
	seen := map[string]int{}
	for dec.More() {
		off := dec.InputOffset()
		// The object starts after the separator and white space.
		for int(off) < len(data) && strings.ContainsRune(", \t\r\n", rune(data[off])) {
			off++
		}
		line := lineAt(off)
		var jc jsonCourse
		if err := dec.Decode(&jc); err != nil {
			return nil, lineError(line, steward.Errorf(steward.EINVALID, "error.import_json_object"))
		}
		c := Course{Slug: jc.Slug, Title: textOf(jc.TitleNL, jc.TitleEN), Description: textOf(jc.DescriptionNL, jc.DescriptionEN),
			LMSCourseID: jc.LMSCourseID, PriceCents: jc.PriceCents, Published: jc.Published}
		for reg, n := range jc.Points {
			c.Points = append(c.Points, Points{Register: reg, Points: n})
		}
		if err := add(&out, seen, c, line); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, lineError(lineAt(dec.InputOffset()), steward.Errorf(steward.EINVALID, "error.import_json_array"))
	}
	return out, nil
}
