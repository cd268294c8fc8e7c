package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward"
	"steward/policy"
	"steward/policy/publication"
)

// runPolicyPublish records a policy file as the site's next version (G1,
// Z11; issue 20): its content, hash, time, the staff member who published
// it and a change summary in Dutch and English. serve then starts on it;
// until it is published, serve refuses a changed policy.
func runPolicyPublish(ctx context.Context, a *app, args []string) error {
	fs := a.flags("policy publish", "FILE --summary-nl TEXT --summary-en TEXT --staff ID [--effective YYYY-MM-DD]",
		"Records the policy file as the site's next version, with a summary of the change\n"+
			"in Dutch and English that the history page shows. Refused when the file equals\n"+
			"the current version. Audited to your staff account. With --effective the change\n"+
			"is announced in advance: the banner and /privacy say \"from DATE\", and consent\n"+
			"given with a notice it rewords counts until that day (00:00 UTC).")
	db, staff := a.dbFlag(fs), a.staffFlag(fs)
	nl := fs.String("summary-nl", "", "what changed, in Dutch")
	en := fs.String("summary-en", "", "what changed, in English")
	eff := fs.String("effective", "", "the day the change takes effect, YYYY-MM-DD, after today (default: at once)")
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	var effective time.Time
	if *eff != "" {
		if effective, err = time.Parse("2006-01-02", *eff); err != nil {
			return steward.FieldError("effective", "error.policy_effective_date", "value", *eff)
		}
		if !effective.After(a.clock.Now()) {
			return steward.FieldError("effective", "error.policy_effective_past", "value", *eff)
		}
	}
	file := pos[0]
	summary := policy.Text{NL: strings.TrimSpace(*nl), EN: strings.TrimSpace(*en)}
	if !summary.Complete() {
		return steward.FieldError("summary", "error.policy_summary_required")
	}
	data, err := readInputFile("policy "+file, file, maxPolicyFile)
	if err != nil {
		return err
	}
	p, err := policy.Parse(file, data)
	if err != nil {
		return err
	}
	s, actor, err := a.openStoreAsStaff(ctx, *db, *staff)
	if err != nil {
		return err
	}
	defer s.Close()
	v, err := (&publication.Service{Store: s, Clock: a.clock}).PublishFrom(ctx, p, data, actor, summary, effective)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: published as version %d of %s\n", file, v.N, p.Site.ID)
	return nil
}
