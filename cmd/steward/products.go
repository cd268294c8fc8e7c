package main

import (
	"context"
	"strings"

	"steward"
	"steward/audit"
	"steward/internal/wiring"
	"steward/order"
)

// runProductsImport loads the shop's publications and materials from a
// CSV or JSON file (issue 17, R5), like 'courses import': idempotent on
// slug, all or nothing — a bad line changes nothing and the error names
// it.
func runProductsImport(ctx context.Context, a *app, args []string) error {
	return importCommand[order.Product]{
		name: "products import",
		help: "Adds and updates the publications and materials from a file, by slug: a\n" +
			"product in the file is added or replaced, one not in it is left as it is;\n" +
			"importing the same file again changes nothing. CSV starts with the header\n" +
			"  " + strings.Join(order.CSVHeader, ",") + "\n" +
			"(price_cents including VAT, 0 for free; vat_percent 0, 9 or 21; format file\n" +
			"or physical; file the file's name in the download directory, file only;\n" +
			"free_for_account_holders and published true or false); JSON is an array of\n" +
			"objects with these keys. A wrong line changes nothing and is named by its\n" +
			"number. Audited to your staff account.",
		noun:        "products",
		parseCSV:    order.ParseCSV,
		parseJSON:   order.ParseJSON,
		enabled:     order.Enabled,
		disabledKey: "error.policy_has_no_shop",
		importInto: func(ctx context.Context, svc *wiring.Services, by audit.Actor, rows []order.Product) (steward.ImportResult, error) {
			return svc.Orders.Import(ctx, by, rows)
		},
	}.run(ctx, a, args)
}
