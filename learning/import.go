package learning

import (
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

// ParseCSV reads a course catalogue in CSV (CSVHeader first). A line that
// is wrong makes the whole file wrong, with the line number in the error;
// a slug twice in the file too.
func ParseCSV(data []byte) ([]Course, error) {
	return steward.ParseCSV(data, CSVHeader, courseOf, (*Course).slug)
}

// courseOf reads one line of a course CSV file.
func courseOf(rec []string) (Course, error) {
	c := Course{Slug: rec[0], Title: textOf(rec[1], rec[2]), Description: textOf(rec[3], rec[4]), LMSCourseID: rec[5]}
	var err error
	if c.Points, err = parsePoints(rec[6]); err != nil {
		return c, err
	}
	if c.PriceCents, err = strconv.ParseInt(strings.TrimSpace(rec[7]), 10, 64); err != nil {
		return c, steward.FieldError("price_cents", "error.course_price", "max", MaxPriceCents)
	}
	switch strings.TrimSpace(rec[8]) {
	case "true":
		c.Published = true
	case "false":
	default:
		return c, steward.FieldError("published", "error.must_be_true_or_false")
	}
	return c, nil
}

func (c *Course) slug() string { return c.Slug }

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

// ParseJSON reads a course catalogue in JSON: an array of objects with the
// keys of CSVHeader (points an object register → points). Unknown keys
// are refused. An error names the line its object starts on.
func ParseJSON(data []byte) ([]Course, error) {
	return steward.ParseJSON(data, func(jc jsonCourse) Course {
		c := Course{Slug: jc.Slug, Title: textOf(jc.TitleNL, jc.TitleEN), Description: textOf(jc.DescriptionNL, jc.DescriptionEN),
			LMSCourseID: jc.LMSCourseID, PriceCents: jc.PriceCents, Published: jc.Published}
		for reg, n := range jc.Points {
			c.Points = append(c.Points, Points{Register: reg, Points: n})
		}
		return c
	}, (*Course).slug)
}
