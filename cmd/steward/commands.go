package main

// commandTable is every steward subcommand: the one list a new command is
// added to, in the order 'steward help' shows them (by name). Each
// command's code is in its own file; its name's first word groups it
// ("retention override set" is in "retention" and "retention override").
var commandTable = []command{
	{name: "accreditation export", summary: "write a register's accreditation file for PE-online with the register numbers; records the transfer per person (R8; audited)", db: auditedDB, run: runAccreditationExport},
	{name: "api-keys create", summary: "create a key for a processor's client system (scope xapi: learning results); the secret shown once (audited)", db: auditedDB, run: runAPIKeysCreate},
	{name: "api-keys list", summary: "list the API keys with their processor, scope and state (never a secret)", db: existingDB, run: runAPIKeysList},
	{name: "api-keys revoke", summary: "stop an API key for good (audited)", db: auditedDB, run: runAPIKeysRevoke},
	{name: "api-keys rotate", summary: "give an API key a new secret, shown once; the old one stops at once (audited)", db: auditedDB, run: runAPIKeysRotate},
	{name: "audit bench", summary: "measure audit appends and verification on a scratch database", db: scratchDB, run: runAuditBench},
	{name: "audit checkpoint", summary: "verify the audit log and sign a checkpoint of its head", db: auditedDB, run: runAuditCheckpoint},
	{name: "audit export", summary: "write audit entries since a date as JSON Lines, for an auditor", db: existingDB, run: runAuditExport},
	{name: "audit pubkey", summary: "print the audit signing key's public key, for 'audit verify --pubkey'", db: noDB, run: runAuditPubkey},
	{name: "audit tail", summary: "show the latest audit entries", db: existingDB, run: runAuditTail},
	{name: "audit verify", summary: "check the audit log for changed, deleted, reordered, cut-off or forged entries", db: existingDB, run: runAuditVerify},
	{name: "catalogue import", summary: "import the catalogue of functies and opleidingen from a JSON or CSV file (retires what it no longer holds)", db: existingDB, run: runCatalogueImport},
	{name: "clients add", summary: "register an OpenID Connect client (the learning environment) for a policy recipient; prints its secret once (audited)", db: auditedDB, run: runClientsAdd},
	{name: "clients keys rotate", summary: "make a new ID-token signing key; old ones stay in the JWKS until their tokens expire (audited)", db: auditedDB, run: runClientsKeysRotate},
	{name: "clients list", summary: "list the OpenID Connect clients (never a secret)", db: existingDB, run: runClientsList},
	{name: "clients revoke", summary: "revoke an OpenID Connect client and its tokens (audited)", db: auditedDB, run: runClientsRevoke},
	{name: "clients rotate-secret", summary: "give an OpenID Connect client a new secret, shown once (audited)", db: auditedDB, run: runClientsRotateSecret},
	{name: "consent receipt", summary: "write a person's signed consent receipt (history and notice texts)", db: auditedDB, run: runConsentReceipt},
	{name: "consent verify-receipt", summary: "check a consent receipt's signature and notice texts (exit 0 valid, 1 not)", db: noDB, run: runConsentVerifyReceipt},
	{name: "courses import", summary: "add and update the course catalogue from a CSV or JSON file, by slug (R5; all or nothing; audited)", db: auditedDB, run: runCoursesImport},
	{name: "products import", summary: "add and update the shop's publications and materials from a CSV or JSON file, by slug (R5; all or nothing; audited)", db: auditedDB, run: runProductsImport},
	{name: "disclosures add", summary: "record a disclosure of a person's data to a third party (R7)", db: auditedDB, run: runDisclosuresAdd},
	{name: "disclosures list", summary: "list the disclosures of a person's data, withheld ones included", db: existingDB, run: runDisclosuresList},
	{name: "keygen", summary: "write a new data key for encrypting sensitive fields (R3)", db: noDB, run: runKeygen},
	{name: "lms list", summary: "list the deletions and corrections for the learning environment and whether it confirmed them", db: existingDB, run: runLMSList},
	{name: "lms send-due", summary: "tell the learning environment (Moodle) the deletions and corrections due now, once (for cron; audited)", db: auditedDB, run: runLMSSendDue},
	{name: "mail list", summary: "list mail in the outbox, newest first (recipients masked)", db: existingDB, run: runMailList},
	{name: "mail prune", summary: "delete sent and failed mail older than --keep-days", db: existingDB, run: runMailPrune},
	{name: "mail send-due", summary: "deliver the mail that is due now, once (for cron)", db: existingDB, run: runMailSendDue},
	{name: "mail show", summary: "print one outbox mail whole, for the operator", db: auditedDB, run: runMailShow},
	{name: "migrate", summary: "apply the database migrations (idempotent)", db: makesDB, run: runMigrate},
	{name: "newsletter purge", summary: "delete newsletter sign-ups not confirmed within the policy's period", db: auditedDB, run: runNewsletterPurge},
	{name: "newsletter send", summary: "enqueue a newsletter to everyone whose consent stands now (resumable)", db: auditedDB, run: runNewsletterSend},
	{name: "organisations add", summary: "create an organisation people can be invited into (R6; audited)", db: auditedDB, run: runOrganisationsAdd},
	{name: "organisations invite", summary: "mail a person an invitation to join an organisation; they accept or decline on the site (audited)", db: auditedDB, run: runOrganisationsInvite},
	{name: "organisations list", summary: "list the organisations with their number of members", db: existingDB, run: runOrganisationsList},
	{name: "organisations remove-member", summary: "end a person's membership of an organisation (audited)", db: auditedDB, run: runOrganisationsRemoveMember},
	{name: "panel export", summary: "write the research-panel invitation list (only those consenting now); audited", db: auditedDB, run: runPanelExport},
	{name: "panel invite", summary: "mail a survey invitation to everyone whose panel consent stands now (resumable, once per survey); audited", db: auditedDB, run: runPanelInvite},
	{name: "partners export", summary: "write the k-anonymous export for an analysis partner and its report (Z6; nothing if k cannot be met; audited)", db: auditedDB, run: runPartnersExport},
	{name: "policy check", summary: "validate policy files; list every problem as file:line:col", db: noDB, run: runPolicyCheck},
	{name: "policy diff", summary: "list what changed between two policy files or published versions, substance first", db: existingDB, run: runPolicyDiff},
	{name: "policy notices", summary: "count, per change between two published versions, the people to tell personally (--dry-run)", db: existingDB, run: runPolicyNotices},
	{name: "policy publish", summary: "record a changed policy file as the site's next version, with a change summary", db: auditedDB, run: runPolicyPublish},
	{name: "policy render", summary: "print the privacy statement of a policy file (HTML or Markdown)", db: noDB, run: runPolicyRender},
	{name: "requests add", summary: "enter a request that arrived by e-mail, letter or phone", db: auditedDB, run: runRequestsAdd},
	{name: "requests complete", summary: "complete a verified request (runs the self-service action) or refuse it", db: auditedDB, run: runRequestsComplete},
	{name: "requests export", summary: "write the person's export ZIP for a verified access or portability request (as My data gives it)", db: auditedDB, run: runRequestsExport},
	{name: "requests extend", summary: "extend a request's deadline once, with a reason (mails the person)", db: auditedDB, run: runRequestsExtend},
	{name: "requests lift-restriction", summary: "lift a restriction of processing once the dispute is resolved, with a reason (mails the person)", db: auditedDB, run: runRequestsLiftRestriction},
	{name: "requests list", summary: "list data-subject requests by deadline (--overdue, --due-within 7d; for cron)", db: existingDB, run: runRequestsList},
	{name: "requests rectify", summary: "correct the person's record for a verified rectification request (only then can it be completed)", db: auditedDB, run: runRequestsRectify},
	{name: "requests show", summary: "show one request with its deadline and timeline", db: existingDB, run: runRequestsShow},
	{name: "requests verify", summary: "verify a requester's identity: mail a confirmation link, or note a manual check", db: auditedDB, run: runRequestsVerify},
	{name: "retention bench", summary: "time retention plan and run against a bare SQL DELETE on seeded accounts (use an empty database)", db: scratchDB, run: runRetentionBench},
	{name: "retention override list", summary: "list the contract overrides of retention periods", db: existingDB, run: runOverrideList},
	{name: "retention override remove", summary: "remove a contract override; the rule's own period applies again (audited)", db: auditedDB, run: runOverrideRemove},
	{name: "retention override set", summary: "set another period for a retention rule for an organisation's members, per contract (R9, R10; audited)", db: auditedDB, run: runOverrideSet},
	{name: "retention plan", summary: "show what retention would warn, delete and anonymise, per rule and subject (changes nothing)", db: existingDB, run: runRetentionPlan},
	{name: "retention run", summary: "carry out the retention rules in audited batches (resumable, one runner at a time)", db: auditedDB, run: runRetentionRun},
	{name: "serve", summary: "run the web server (SQLite and the IVM demo policy by default)", db: makesDB, run: runServe},
	{name: "staff add", summary: "create a staff account with a role; prints a one-time set-password link", db: auditedDB, run: runStaffAdd},
	{name: "staff link", summary: "issue a fresh one-time set-password link for an existing staff account (audited)", db: auditedDB, run: runStaffLink},
	{name: "staff reset-mfa", summary: "clear a lost second factor of an account so its next login enrols again (audited)", db: auditedDB, run: runStaffResetMFA},
	{name: "usage report", summary: "write the site's own usage counts (page views per page and day, no person) as CSV", db: existingDB, run: runUsageReport},
	{name: "version", summary: "print the version of this binary", db: noDB, run: runVersion},
	{name: "vouchers create", summary: "create a batch of voucher codes for an organisation's course; the codes as CSV, once (R6; audited)", db: auditedDB, run: runVouchersCreate},
}

// access says what a command does with the database, and so which keys it
// needs (issue 13). Only 'serve' and 'migrate' create a database, and keys
// for a database that has none; every other command works on a database
// they made — with none at --db it says so and creates nothing — and loads
// the keys it needs without ever creating them (keys.go).
type access uint8

const (
	unclassified access = iota // the zero value: TestCommandTable refuses it
	// noDB: never opens a database ('keygen' writes a data key file and
	// nothing else).
	noDB
	// existingDB: reads an existing database, or changes it without
	// auditing (outbox housekeeping); loads no key.
	existingDB
	// auditedDB: changes an existing database with audit entries; loads
	// the audit key the database expects before doing anything, and the
	// consent or data key when it needs them, and refuses without them.
	auditedDB
	// makesDB: 'serve' and 'migrate' create and migrate the database and,
	// for a database that has none yet, its audit and consent keys.
	makesDB
	// scratchDB: a benchmark on a scratch database of its own.
	scratchDB
)

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
