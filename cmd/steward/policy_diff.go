package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"steward/message"
	"steward/policy"
	"steward/policy/diff"
)

// runPolicyDiff lists what changed between two versions of a policy, in
// words a privacy officer reads (G1, Z11; issue 20): changes of substance
// first, then text edits that change no meaning. OLD and NEW are policy
// files or numbers of published versions (read from --db).
func runPolicyDiff(ctx context.Context, a *app, args []string) error {
	fs := a.flags("policy diff", "OLD NEW [--lang nl|en] [--site ID]",
		"Lists what changed from OLD to NEW: purposes, legal bases, fields, retention\n"+
			"periods, processors and recipients, cookies, rights — changes of substance\n"+
			"first, then text edits that change no meaning. OLD and NEW are policy files or\n"+
			"numbers of published versions (read from --db, for --site or the --policy's site).")
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	lang := fs.String("lang", policy.Languages[0], fmt.Sprintf("language of the list: one of %v", policy.Languages))
	site := fs.String("site", "", "the site whose published versions OLD and NEW number (default: the --policy file's site)")
	pos, err := positional(fs, args, 2)
	if err != nil {
		return err
	}
	if !slices.Contains(policy.Languages, *lang) {
		return a.wrongUsage("policy diff", "cli.unknown_lang", "lang", *lang, "choices", policy.Languages)
	}
	var loaded [2]*policy.Policy
	for i, arg := range pos {
		n, err := strconv.Atoi(arg)
		if err != nil {
			if loaded[i], err = loadPolicy(arg); err != nil {
				return err
			}
			continue
		}
		if loaded[i], err = a.publishedPolicy(ctx, *db, *pol, *site, n); err != nil {
			return err
		}
	}
	changes := diff.Between(loaded[0], loaded[1])
	if len(changes) == 0 {
		fmt.Fprintln(a.stdout, message.Text(*lang, "policydiff.none"))
		return nil
	}
	heading := ""
	for _, c := range changes {
		h := "policydiff.text_only"
		if c.Substance {
			h = "policydiff.substance"
		}
		if h != heading {
			if heading != "" {
				fmt.Fprintln(a.stdout)
			}
			fmt.Fprintln(a.stdout, message.Text(*lang, h))
			heading = h
		}
		fmt.Fprintf(a.stdout, "- %s\n", c.Text(*lang))
	}
	return nil
}

// siteOf is site, or when empty the id of the site policyPath governs.
func siteOf(site, policyPath string) (string, error) {
	if site != "" {
		return site, nil
	}
	p, err := loadPolicy(policyPath)
	if err != nil {
		return "", err
	}
	return p.Site.ID, nil
}

// publishedPolicy reads version n of a site's published policy.
func (a *app) publishedPolicy(ctx context.Context, db, policyPath, site string, n int) (*policy.Policy, error) {
	site, err := siteOf(site, policyPath)
	if err != nil {
		return nil, err
	}
	s, err := a.openStore(ctx, db)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	v, err := s.PolicyPublication(ctx, site, n)
	if err != nil {
		return nil, err
	}
	return policy.Parse(fmt.Sprintf("version %d", n), []byte(v.Content))
}
