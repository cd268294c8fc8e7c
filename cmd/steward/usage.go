package main

import (
	"context"
	"encoding/csv"
	"strconv"
	"time"

	"steward"
	"steward/internal/wiring"
	"steward/usage"
)

// runUsageReport prints what the site counted itself (issue 18 item 8):
// page views per page and day, no person in them.
func runUsageReport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("usage report", "[--from DATE] [--to DATE]",
		"Writes the usage counts of the days from --from to --to (YYYY-MM-DD, UTC, both\n"+
			"included; default the last 30 days up to today) as CSV: day,page,views, the\n"+
			"newest day first. A count is per page (the route, e.g. /functies/{id}) and day\n"+
			"and names no person. Only for a site whose policy declares usage_counts.")
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	fromFlag := fs.String("from", "", "first day (YYYY-MM-DD)")
	toFlag := fs.String("to", "", "last day (YYYY-MM-DD)")
	if _, err := positional(fs, args, 0); err != nil {
		return err
	}
	now := a.clock.Now().UTC()
	to, err := usageDay("to", *toFlag, now)
	if err != nil {
		return err
	}
	from, err := usageDay("from", *fromFlag, to.AddDate(0, 0, -29))
	if err != nil {
		return err
	}
	if from.After(to) {
		return steward.FieldError("from", "error.usage_from_after_to")
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	if p.UsageCounts == nil {
		return steward.Errorf(steward.EINVALID, "error.usage_not_declared", "site", p.Site.ID)
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock})
	if err != nil {
		return err
	}
	counts, err := svc.Usage.Report(ctx, from, to)
	if err != nil {
		return err
	}
	w := csv.NewWriter(a.stdout)
	w.Write([]string{"day", "page", "views"})
	for _, c := range counts {
		w.Write([]string{c.Day, c.Page, strconv.FormatInt(c.Views, 10)})
	}
	w.Flush()
	return w.Error()
}

// usageDay parses a --from or --to day; empty is def.
func usageDay(flag, s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	t, err := time.Parse(usage.DayLayout, s)
	if err != nil {
		return time.Time{}, steward.FieldError(flag, "error.usage_day_bad", "s", s)
	}
	return t, nil
}
