package main

// commandTable is every steward subcommand: the one list a new command is
// added to, in the order 'steward help' shows them (by name). Each
// command's code is in its own file; its name's first word groups it
// ("retention override set" is in "retention" and "retention override").
var commandTable = []command{
	{name: "audit bench", summary: "measure audit appends and verification on a scratch database", run: runAuditBench},
	{name: "audit checkpoint", summary: "verify the audit log and sign a checkpoint of its head", run: runAuditCheckpoint},
	{name: "audit export", summary: "write audit entries since a date as JSON Lines, for an auditor", run: runAuditExport},
	{name: "audit pubkey", summary: "print the audit signing key's public key, for 'audit verify --pubkey'", run: runAuditPubkey},
	{name: "audit tail", summary: "show the latest audit entries", run: runAuditTail},
	{name: "audit verify", summary: "check the audit log for changed, deleted, reordered, cut-off or forged entries", run: runAuditVerify},
	{name: "consent receipt", summary: "write a person's signed consent receipt (history and notice texts)", run: runConsentReceipt},
	{name: "consent verify-receipt", summary: "check a consent receipt's signature and notice texts (exit 0 valid, 1 not)", run: runConsentVerifyReceipt},
	{name: "disclosures add", summary: "record a disclosure of a person's data to a third party (R7)", run: runDisclosuresAdd},
	{name: "disclosures list", summary: "list the disclosures of a person's data, withheld ones included", run: runDisclosuresList},
	{name: "keygen", summary: "write a new data key for encrypting sensitive fields (R3)", run: runKeygen},
	{name: "mail list", summary: "list mail in the outbox, newest first (recipients masked)", run: runMailList},
	{name: "mail prune", summary: "delete sent and failed mail older than --keep-days", run: runMailPrune},
	{name: "mail send-due", summary: "deliver the mail that is due now, once (for cron)", run: runMailSendDue},
	{name: "mail show", summary: "print one outbox mail whole, for the operator", run: runMailShow},
	{name: "migrate", summary: "apply the database migrations (idempotent)", run: runMigrate},
	{name: "newsletter purge", summary: "delete newsletter sign-ups not confirmed within the policy's period", run: runNewsletterPurge},
	{name: "newsletter send", summary: "enqueue a newsletter to everyone whose consent stands now (resumable)", run: runNewsletterSend},
	{name: "panel export", summary: "write the research-panel invitation list (only those consenting now); audited", run: runPanelExport},
	{name: "policy check", summary: "validate policy files; list every problem as file:line:col", run: runPolicyCheck},
	{name: "policy diff", summary: "list what changed between two policy files or published versions, substance first", run: runPolicyDiff},
	{name: "policy notices", summary: "count, per change between two published versions, the people to tell personally (--dry-run)", run: runPolicyNotices},
	{name: "policy publish", summary: "record a changed policy file as the site's next version, with a change summary", run: runPolicyPublish},
	{name: "policy render", summary: "print the privacy statement of a policy file (HTML or Markdown)", run: runPolicyRender},
	{name: "requests add", summary: "enter a request that arrived by e-mail, letter or phone", run: runRequestsAdd},
	{name: "requests complete", summary: "complete a verified request (runs the self-service action) or refuse it", run: runRequestsComplete},
	{name: "requests export", summary: "write the person's export ZIP for a verified access or portability request (as My data gives it)", run: runRequestsExport},
	{name: "requests extend", summary: "extend a request's deadline once, with a reason (mails the person)", run: runRequestsExtend},
	{name: "requests lift-restriction", summary: "lift a restriction of processing once the dispute is resolved, with a reason (mails the person)", run: runRequestsLiftRestriction},
	{name: "requests list", summary: "list data-subject requests by deadline (--overdue, --due-within 7d; for cron)", run: runRequestsList},
	{name: "requests rectify", summary: "correct the person's record for a verified rectification request (only then can it be completed)", run: runRequestsRectify},
	{name: "requests show", summary: "show one request with its deadline and timeline", run: runRequestsShow},
	{name: "requests verify", summary: "verify a requester's identity: mail a confirmation link, or note a manual check", run: runRequestsVerify},
	{name: "retention bench", summary: "time retention plan and run against a bare SQL DELETE on seeded accounts (use an empty database)", run: runRetentionBench},
	{name: "retention override list", summary: "list the contract overrides of retention periods", run: runOverrideList},
	{name: "retention override remove", summary: "remove a contract override; the rule's own period applies again (audited)", run: runOverrideRemove},
	{name: "retention override set", summary: "set another period for a retention rule for an organisation's members, per contract (R9, R10; audited)", run: runOverrideSet},
	{name: "retention plan", summary: "show what retention would warn, delete and anonymise, per rule and subject (changes nothing)", run: runRetentionPlan},
	{name: "retention run", summary: "carry out the retention rules in audited batches (resumable, one runner at a time)", run: runRetentionRun},
	{name: "serve", summary: "run the web server (SQLite and the IVM demo policy by default)", run: runServe},
	{name: "staff add", summary: "create a staff account with a role; prints a one-time set-password link", run: runStaffAdd},
	{name: "staff reset-mfa", summary: "clear a lost second factor of an account so its next login enrols again (audited)", run: runStaffResetMFA},
	{name: "version", summary: "print the version of this binary", run: runVersion},
}

// commands indexes commandTable by name.
var commands = indexCommands(commandTable)

// indexCommands maps each command's name to it; a name listed twice is a
// programming error that stops the program at its start.
func indexCommands(list []command) map[string]*command {
	m := make(map[string]*command, len(list))
	for i := range list {
		c := &list[i]
		if _, dup := m[c.name]; dup {
			panic("steward: command listed twice: " + c.name)
		}
		m[c.name] = c
	}
	return m
}
