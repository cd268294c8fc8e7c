package main

import (
	"context"
	"fmt"
	"strings"

	"steward"
)

// setFlags collects repeated --set record.field=value flags.
type setFlags map[string]map[string]string

func (s setFlags) String() string { return "" }

func (s setFlags) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	rid, fid, ok2 := strings.Cut(name, ".")
	if !ok || !ok2 || rid == "" || fid == "" {
		return steward.FieldError("set", "error.set_record_field_value")
	}
	if s[rid] == nil {
		s[rid] = map[string]string{}
	}
	s[rid][fid] = val
	return nil
}

func runRequestsRectify(ctx context.Context, a *app, args []string) error {
	id, args := splitID(args)
	fs := a.flags("requests rectify", "ID --set record.field=VALUE [--set ...]",
		"Corrects the person's record for a verified rectification request (Art. 16\n"+
			"GDPR), as the request's web page does: only fields the policy declares, by\n"+
			"the rules of the person's own profile edit; only values that differ are\n"+
			"stored; the audit log and the request's timeline name the fields, never\n"+
			"the values. Only after a correction can 'requests complete' close the\n"+
			"request as done; with nothing to correct, refuse it with the reason.\n"+
			"A sensitive field (the BIG number) is corrected on the web page, where the\n"+
			"data key is loaded; here it is refused.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	set := setFlags{}
	fs.Var(set, "set", "record.field=value to store, e.g. account.last_name=Visser; repeat for more fields")
	if err := parse(fs, args); err != nil {
		return err
	}
	id, err := needID(fs, id)
	if err != nil {
		return err
	}
	if len(set) == 0 {
		return steward.FieldError("set", "error.set_record_field_value")
	}
	env, actor, err := openStaffDesk(ctx, a, a.openStoreToChange, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer env.Close()
	fields, err := env.desk.Rectify(ctx, actor, id, set)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: corrected %s\n", id, strings.Join(fields, ", "))
	return nil
}
