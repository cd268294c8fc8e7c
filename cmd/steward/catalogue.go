package main

import (
	"context"
	"fmt"

	"steward"
	"steward/catalogue"
	"steward/internal/wiring"
)

// maxCatalogueFile bounds an import file: 20,000 items of a long
// description each stay far below it.
const maxCatalogueFile = 64 << 20

// runCatalogueImport makes the site's catalogue of functies and
// opleidingen what a file says (issue 18).
func runCatalogueImport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("catalogue import", "FILE",
		"Imports the catalogue of functies and opleidingen from FILE (.json: an array of\n"+
			"items; .csv: a first row naming the columns id,kind,title,description,sector,\n"+
			"level,region,hours). The file is the whole catalogue: an item is added or\n"+
			"updated by its id, an item the file no longer holds is retired (no longer\n"+
			"shown or found, still readable where it was saved). Importing the same file\n"+
			"again changes nothing. A wrong row changes nothing and is named by its line.\n"+
			"Only for a site whose policy has a catalogue (site.catalogue).")
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	if !p.Site.Catalogue {
		return steward.Errorf(steward.EINVALID, "error.catalogue_not_enabled", "site", p.Site.ID)
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	data, err := readInputFile(pos[0], pos[0], maxCatalogueFile)
	if err != nil {
		return err
	}
	items, err := catalogue.ParseFile(pos[0], data)
	if err != nil {
		return err
	}
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock})
	if err != nil {
		return err
	}
	res, err := svc.Catalogue.Import(ctx, items)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "catalogue: %d functies, %d opleidingen; %d added, %d changed, %d unchanged, %d retired\n",
		res.Jobs, res.Courses, res.Added, res.Changed, res.Unchanged, res.Retired)
	return nil
}
