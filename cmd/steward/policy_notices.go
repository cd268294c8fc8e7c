package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"steward"
	"steward/message"
	"steward/policy"
	"steward/policy/publication"
)

// runPolicyNotices shows, per change of substance between two published
// versions of the policy, how many people it concerns directly (Z11;
// issue 20): the count the personal mails go to (--dry-run); with --send
// it queues those mails.
func runPolicyNotices(ctx context.Context, a *app, args []string) error {
	fs := a.flags("policy notices", "--dry-run [OLD NEW] | --send [N] --base-url URL [--site ID] [--lang nl|en]",
		"--dry-run shows, for each change of substance from published version OLD to NEW\n"+
			"(default: the two newest), how many people it concerns directly: holders of the\n"+
			"record kinds whose purpose, period, recipients or legal basis changed, and people\n"+
			"whose consent rests on a notice text reworded in substance. It reads only.\n"+
			"--send queues a personal mail about version N (default: the newest) to each of\n"+
			"them, in their language, on the outbox's bulk lane (personal mail goes first);\n"+
			"audited as policy.notify by ids only. Interrupted? Run it again: it resumes,\n"+
			"and nobody is mailed twice about one version.")
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	dry := fs.Bool("dry-run", false, "count only; nothing is stored or sent")
	send := fs.Bool("send", false, "queue the personal mails")
	baseURL := fs.String("base-url", a.env("STEWARD_BASE_URL", ""), "public URL of the site, for the links in the mails (env STEWARD_BASE_URL; required with --send)")
	site := fs.String("site", "", "the site (default: the --policy file's site)")
	lang := fs.String("lang", policy.Languages[0], fmt.Sprintf("language of the list: one of %v", policy.Languages))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dry == *send {
		return a.wrongUsage("policy notices", "cli.notices_dry_run_only")
	}
	if !slices.Contains(policy.Languages, *lang) {
		return a.wrongUsage("policy notices", "cli.unknown_lang", "lang", *lang, "choices", policy.Languages)
	}
	if *send {
		return a.sendPolicyNotices(ctx, fs, *db, *pol, *site, *baseURL, *lang)
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

// sendPolicyNotices queues the personal mails about a published version
// (policy notices --send).
func (a *app) sendPolicyNotices(ctx context.Context, fs *flag.FlagSet, db, pol, site, baseURL, lang string) error {
	if fs.NArg() > 1 {
		fs.Usage()
		return errUsage
	}
	// Every mail links to the statement and the consents page; a wrong host
	// would send everyone to it at once, so there is no default.
	if u, err := url.Parse(baseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return steward.Errorf(steward.EINVALID, "error.base_url_is_required")
	}
	siteID, err := siteOf(site, pol)
	if err != nil {
		return err
	}
	s, err := a.openStoreToChange(ctx, db)
	if err != nil {
		return err
	}
	defer s.Close()
	n := 0
	if fs.NArg() == 1 {
		if n, err = strconv.Atoi(fs.Arg(0)); err != nil {
			return steward.Errorf(steward.EINVALID, "error.policy_version_number", "value", fs.Arg(0))
		}
	} else {
		cur, ok, err := s.LatestPolicyPublicationHead(ctx, siteID)
		if err != nil {
			return err
		}
		if !ok {
			return steward.Errorf(steward.ECONFLICT, "error.policy_notices_need_two", "n", 0)
		}
		n = cur.N
	}
	t := &publication.Teller{Service: &publication.Service{Store: s, Clock: a.clock}, BaseURL: baseURL}
	rep, err := t.Tell(ctx, siteID, n)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, message.Format(lang, "policynotices.sent", "n", rep.Version, "people", rep.People,
		"queued", rep.Queued, "already", rep.Already, "no_address", rep.NoAddress))
	return nil
}
