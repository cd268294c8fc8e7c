package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"steward"
	"steward/internal/wiring"
	"steward/learning"
)

// runCoursesImport loads the course catalogue from a CSV or JSON file
// (issue 16, R5): idempotent on slug, all or nothing — a bad line changes
// nothing and the error names it.
func runCoursesImport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("courses import", "FILE.csv|FILE.json --staff ID",
		"Adds and updates the course catalogue from a file, by slug: a course in the\n"+
			"file is added or replaced, one not in it is left as it is; importing the same\n"+
			"file again changes nothing. CSV starts with the header\n"+
			"  "+strings.Join(learning.CSVHeader, ",")+"\n"+
			"(points as register:points pairs joined by ';', price_cents 0 for free,\n"+
			"published true or false); JSON is an array of objects with these keys\n"+
			"(points an object register -> points). A wrong line changes nothing and is\n"+
			"named by its number. Audited to your staff account.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	file := pos[0]
	data, err := readInputFile("file "+filepath.Base(file), file, maxInputFile)
	if err != nil {
		return err
	}
	var courses []learning.Course
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv":
		courses, err = learning.ParseCSV(data)
	case ".json":
		courses, err = learning.ParseJSON(data)
	default:
		return steward.Errorf(steward.EINVALID, "error.import_extension")
	}
	if err != nil {
		return err
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	if !learning.Enabled(p) {
		return steward.Errorf(steward.EINVALID, "error.policy_has_no_courses")
	}
	s, actor, err := a.openStoreAsStaff(ctx, *db, *staff)
	if err != nil {
		return err
	}
	defer s.Close()
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock})
	if err != nil {
		return err
	}
	res, err := svc.Learning.Import(ctx, actor, courses)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d courses: %d added, %d changed, %d unchanged\n", len(courses), res.Added, res.Changed, res.Unchanged)
	return nil
}
