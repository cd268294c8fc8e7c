package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"steward"
	"steward/internal/wiring"
	"steward/order"
)

// runProductsImport loads the shop's publications and materials from a
// CSV or JSON file (issue 17, R5), like 'courses import': idempotent on
// slug, all or nothing — a bad line changes nothing and the error names
// it.
func runProductsImport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("products import", "FILE.csv|FILE.json --staff ID",
		"Adds and updates the publications and materials from a file, by slug: a\n"+
			"product in the file is added or replaced, one not in it is left as it is;\n"+
			"importing the same file again changes nothing. CSV starts with the header\n"+
			"  "+strings.Join(order.CSVHeader, ",")+"\n"+
			"(price_cents including VAT, 0 for free; vat_percent 0, 9 or 21; format file\n"+
			"or physical; file the file's name in the download directory, file only;\n"+
			"free_for_account_holders and published true or false); JSON is an array of\n"+
			"objects with these keys. A wrong line changes nothing and is named by its\n"+
			"number. Audited to your staff account.")
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
	var products []order.Product
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv":
		products, err = order.ParseCSV(data)
	case ".json":
		products, err = order.ParseJSON(data)
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
	if !order.Enabled(p) {
		return steward.Errorf(steward.EINVALID, "error.policy_has_no_shop")
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
	res, err := svc.Orders.Import(ctx, actor, products)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d products: %d added, %d changed, %d unchanged\n", len(products), res.Added, res.Changed, res.Unchanged)
	return nil
}
