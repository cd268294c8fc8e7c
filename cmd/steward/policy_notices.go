package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"steward"
	"steward/message"
	"steward/policy"
	"steward/policy/publication"
)

// runPolicyNotices shows, per change of substance between two published
// versions of the policy, how many people it concerns directly (Z11;
// issue 20): the count the personal mails would go to. Only the dry run
// exists: it changes nothing and sends nothing.
func runPolicyNotices(ctx context.Context, a *app, args []string) error {
	fs := a.flags("policy notices", "--dry-run [OLD NEW] [--site ID] [--lang nl|en]",
		"Shows, for each change of substance from published version OLD to NEW (default:\n"+
			"the two newest), how many people it concerns directly: holders of the record\n"+
			"kinds whose purpose, period, recipients or legal basis changed, and people whose\n"+
			"consent rests on a notice text reworded in substance. --dry-run is required:\n"+
			"it reads only.")
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	dry := fs.Bool("dry-run", false, "count only; nothing is stored or sent")
	site := fs.String("site", "", "the site (default: the --policy file's site)")
	lang := fs.String("lang", policy.Languages[0], fmt.Sprintf("language of the list: one of %v", policy.Languages))
	if err := parse(fs, args); err != nil {
		return err
	}
	if !*dry {
		return a.wrongUsage("policy notices", "cli.notices_dry_run_only")
	}
	if !slices.Contains(policy.Languages, *lang) {
		return a.wrongUsage("policy notices", "cli.unknown_lang", "lang", *lang, "choices", policy.Languages)
	}
	if fs.NArg() != 0 && fs.NArg() != 2 {
		fs.Usage()
		return errUsage
	}
	siteID, err := siteOf(*site, *pol)
	if err != nil {
		return err
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	var nums [2]int
	if fs.NArg() == 2 {
		for i := range nums {
			if nums[i], err = strconv.Atoi(fs.Arg(i)); err != nil {
				return steward.Errorf(steward.EINVALID, "error.policy_version_number", "value", fs.Arg(i))
			}
		}
	} else {
		all, err := s.PolicyPublications(ctx, siteID)
		if err != nil {
			return err
		}
		if len(all) < 2 {
			return steward.Errorf(steward.ECONFLICT, "error.policy_notices_need_two", "n", len(all))
		}
		nums = [2]int{all[1].N, all[0].N}
	}
	var ps [2]*policy.Policy
	for i, n := range nums {
		v, err := s.PolicyPublication(ctx, siteID, n)
		if err != nil {
			return err
		}
		if ps[i], err = policy.Parse(fmt.Sprintf("version %d", n), []byte(v.Content)); err != nil {
			return err
		}
	}
	affected, err := (&publication.Service{Store: s, Clock: a.clock}).Affected(ctx, ps[0], ps[1])
	if err != nil {
		return err
	}
	if len(affected) == 0 {
		fmt.Fprintln(a.stdout, message.Text(*lang, "policynotices.none"))
		return nil
	}
	fmt.Fprintln(a.stdout, message.Format(*lang, "policynotices.heading", "old", nums[0], "new", nums[1]))
	for _, af := range affected {
		count := message.Format(*lang, "policynotices.people", "n", af.People)
		if !af.Change.Notice && len(af.Change.Records) == 0 {
			count = message.Text(*lang, "policynotices.announced")
		}
		fmt.Fprintf(a.stdout, "- %s: %s\n", af.Change.Text(*lang), count)
	}
	return nil
}
