package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"steward"
	"steward/audit"
	"steward/internal/wiring"
	"steward/policy"
)

// importCommand is what 'courses import' and 'products import' share: a
// CSV or JSON file of the site's catalogue, parsed whole first (a wrong
// line changes nothing and is named by its number), then handed to the
// service, which adds and replaces by slug in one transaction audited to
// the staff account.
type importCommand[T any] struct {
	name, help string
	// noun names the rows in the summary line ("courses", "products").
	noun        string
	parseCSV    func([]byte) ([]T, error)
	parseJSON   func([]byte) ([]T, error)
	enabled     func(*policy.Policy) bool
	disabledKey string
	importInto  func(ctx context.Context, svc *wiring.Services, by audit.Actor, rows []T) (steward.ImportResult, error)
}

func (c importCommand[T]) run(ctx context.Context, a *app, args []string) error {
	fs := a.flags(c.name, "FILE.csv|FILE.json --staff ID", c.help)
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
	var rows []T
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv":
		rows, err = c.parseCSV(data)
	case ".json":
		rows, err = c.parseJSON(data)
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
	if !c.enabled(p) {
		return steward.Errorf(steward.EINVALID, c.disabledKey)
	}
	svc, s, actor, err := a.staffServices(ctx, *db, *staff, p)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := c.importInto(ctx, svc, actor, rows)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d %s: %d added, %d changed, %d unchanged\n", len(rows), c.noun, res.Added, res.Changed, res.Unchanged)
	return nil
}
