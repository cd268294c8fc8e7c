package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"steward/rights"
	"steward/store"
)

// Disclosures to third parties on the command line (R7).

func runDisclosuresAdd(ctx context.Context, a *app, args []string) error {
	fs := a.flags("disclosures add", "--subject ID|--email ADDRESS --ground ID --categories KIND,... [--withhold-reason TEXT]",
		"Records that a person's data went to a third party on one of the policy's\n"+
			"disclosure grounds (R7). The person sees it on their \"My data\" page unless\n"+
			"--withhold-reason names the law that forbids telling them. Prints the id.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	subjectID, email := subjectFlags(fs)
	ground := fs.String("ground", "", "the policy's disclosures[].id")
	recipient := fs.String("recipient", "", "who received it (default: the ground's recipient)")
	cats := fs.String("categories", "", "record kinds disclosed, comma-separated")
	ref := fs.String("reference", "", "the recipient's reference (order or case number)")
	req := fs.String("request", "", "the request id it answered, if any")
	date := fs.String("date", "", "the day of disclosure, YYYY-MM-DD (default today)")
	withhold := fs.String("withhold-reason", "", "withhold from the person, for this legal reason")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	env, actor, err := openStaffDesk(ctx, a, a.openStoreToChange, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer env.Close()
	n := rights.NewDisclosure{Ground: *ground, Recipient: *recipient, Reference: *ref, RequestID: *req,
		DisclosedOn: env.desk.Today(), Withheld: *withhold != "", WithholdReason: *withhold}
	for _, c := range strings.Split(*cats, ",") {
		if c = strings.TrimSpace(c); c != "" {
			n.Categories = append(n.Categories, c)
		}
	}
	if *date != "" {
		if n.DisclosedOn, err = parseDay("date", *date); err != nil {
			return err
		}
	}
	if n.SubjectID, err = resolveSubject(ctx, env.store, *subjectID, *email); err != nil {
		return err
	}
	d, err := env.desk.RecordDisclosure(ctx, actor, n)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, d.ID)
	return nil
}

func runDisclosuresList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("disclosures list", "--subject ID|--email ADDRESS [--format table|json]",
		"Lists the disclosures of a person's data, newest first, withheld ones included.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	subjectID, email := subjectFlags(fs)
	format := formatFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if err := format.check(); err != nil {
		return err
	}
	env, _, err := openStaffDesk(ctx, a, a.openStore, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer env.Close()
	id, err := resolveSubject(ctx, env.store, *subjectID, *email)
	if err != nil {
		return err
	}
	list, err := env.store.DisclosuresOf(ctx, id, true)
	if err != nil {
		return err
	}
	if format.json() {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if list == nil {
			list = []store.Disclosure{}
		}
		return enc.Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(a.stdout, "no disclosures")
		return nil
	}
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tDATE\tGROUND\tRECIPIENT\tCATEGORIES\tREFERENCE\tWITHHELD")
	for _, d := range list {
		wh := ""
		if d.Withheld {
			wh = "yes: " + d.WithholdReason
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, dayText(d.DisclosedOn), d.Ground, d.Recipient,
			strings.Join(d.Categories, ","), d.Reference, wh)
	}
	return w.Flush()
}
