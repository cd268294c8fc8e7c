package main

import (
	"context"
	"strings"

	"steward"
	"steward/audit"
	"steward/internal/wiring"
	"steward/learning"
)

// runCoursesImport loads the course catalogue from a CSV or JSON file
// (issue 16, R5): idempotent on slug, all or nothing — a bad line changes
// nothing and the error names it.
func runCoursesImport(ctx context.Context, a *app, args []string) error {
	return importCommand[learning.Course]{
		name: "courses import",
		help: "Adds and updates the course catalogue from a file, by slug: a course in the\n" +
			"file is added or replaced, one not in it is left as it is; importing the same\n" +
			"file again changes nothing. CSV starts with the header\n" +
			"  " + strings.Join(learning.CSVHeader, ",") + "\n" +
			"(points as register:points pairs joined by ';', price_cents 0 for free,\n" +
			"published true or false); JSON is an array of objects with these keys\n" +
			"(points an object register -> points). A wrong line changes nothing and is\n" +
			"named by its number. Audited to your staff account.",
		noun:        "courses",
		parseCSV:    learning.ParseCSV,
		parseJSON:   learning.ParseJSON,
		enabled:     learning.Enabled,
		disabledKey: "error.policy_has_no_courses",
		importInto: func(ctx context.Context, svc *wiring.Services, by audit.Actor, rows []learning.Course) (steward.ImportResult, error) {
			return svc.Learning.Import(ctx, by, rows)
		},
	}.run(ctx, a, args)
}
