package main

import (
	"context"
	"errors"
	"fmt"

	"steward/policy"
)

func runPolicyCheck(ctx context.Context, a *app, args []string) error {
	fs := a.flags("policy check", "FILE...", "Validates each policy file and prints every problem as file:line:col: message.\nExits 1 if any file has a problem.\nWith --strict, a value marked !unconfirmed (one the site's own statement does not give) is a problem too.")
	strict := fs.Bool("strict", false, "also fail on every value marked !unconfirmed, listing each")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	var all policy.Problems
	var other []error
	for _, path := range fs.Args() {
		p, err := loadPolicy(path)
		var ps policy.Problems
		switch {
		case errors.As(err, &ps):
			all = append(all, ps...)
		case err != nil:
			other = append(other, fmt.Errorf("%s: %w", path, err))
		case *strict && len(p.Unconfirmed) > 0:
			all = append(all, p.UnconfirmedProblems()...)
		default:
			fmt.Fprintf(a.stdout, "%s: ok (%s, version %s: %d purposes, %d record kinds, %d retention rules, %d cookies, %d unconfirmed values)\n",
				path, p.Site.Name, p.Version.Number, len(p.Purposes), len(p.Records), len(p.Retention), len(p.Cookies), len(p.Unconfirmed))
		}
	}
	for _, err := range other {
		fmt.Fprintln(a.stderr, err)
	}
	if len(all) > 0 {
		return all
	}
	if len(other) > 0 {
		return errReported
	}
	return nil
}
