package desk_test

import (
	"context"
	"testing"

	"steward/internal/testkit"
)

// personTables maps every table with a column naming a person to the
// record kinds of the policy its rows are (R4: nothing is stored that the
// policy does not declare with a purpose), the first kind the policy
// declares counting; or, with no kinds, says why its rows are not data
// about a person.
var personTables = map[string][]string{
	"accounts":       {"account"},
	"profile_values": {"account"}, // the profile kinds, keyed by record id and checked by PutProfile
	"email_changes":  {"account"}, // a new login address awaiting its link
	// An invitation to join an organisation and its answer (issue 16): the
	// account's membership, like accounts.organisation_id, whose contract
	// terms set its retention; the mail itself is a mail.
	"organisation_invitations": {"account"},
	"sessions":                 {"login_session"},
	"account_tokens":           {"login_session"}, // hashed one-time links that log a person in
	// The second factor (issue 14, finding 4): a sealed TOTP key, hashed
	// recovery codes and half-done logins are account security, what the
	// login_session kind's purpose (account_security) covers.
	"second_factors":   {"login_session"},
	"recovery_codes":   {"login_session"},
	"login_challenges": {"login_session"},
	// A sign-in to the learning environment through Steward (issue 16
	// item 3): an authorisation request and its access tokens are a login
	// session of the person, for the client's recipient.
	"oidc_grants": {"login_session"},
	"oidc_tokens": {"login_session"},
	// A client's recipient is a processors entry of the policy, no person.
	"oidc_clients":    nil,
	"staff_views":     {"staff_view"},
	"consent_records": {"consent"},
	"consent_state":   {"consent"},
	// A restriction (Art. 18) or objection (Art. 21) in force is the
	// effect of a request about one's data.
	"processing_limits": {"privacy_request"},
	// Sign-ups without an account exist only where the policy declares
	// them (store.NewsletterRecord); elsewhere newsletter consent is a
	// consent record of the account.
	"newsletter_subscriptions": {"newsletter_subscription", "consent"},
	"newsletter_deliveries":    {"mail"},
	"outbox":                   {"mail"},
	// What Steward tells the learning environment about a person's LMS
	// account (issue 16 item 5, issue 17 item 4): its deletion,
	// correction or enrolment, the LMS account and enrolment by id and the
	// fields by name, no value.
	"lms_outbox": {"lms_account", "disclosure"},
	// Who was mailed about a policy change, and who dismissed its banner
	// (issue 20): a mail to the person, a choice kept with the account.
	"policy_notice_mails":      {"mail"},
	"policy_notice_dismissals": {"account"},
	"retention_warnings":       {"retention_warning"},
	"requests":                 {"privacy_request"},
	"request_steps":            {"privacy_request"},
	"disclosures":              {"disclosure"},
	// Rows of any kind, which InsertRecord refuses unless the policy
	// declares it.
	"records":       {"*"},
	"record_values": {"*"},
	// Pseudonyms only, never a personal value (G2).
	"audit_log": nil,
}

// personColumns are the column names that name a person.
var personColumns = map[string]bool{"subject_id": true, "subject": true, "account_id": true, "email": true, "recipient": true}

// TestEveryPersonTableIsDeclared fails when a table with a column naming a
// person is not mapped to a record kind both policies declare (R4, Art.
// 5(1)(c) and 13(1)(c) GDPR: the statement must tell the reader about it),
// the way TestExportCoversEveryRecordKind keeps the export complete. A
// new table holding data about people needs a record kind in
// policies/*.yaml with its fields, purpose and legal basis, and a line in
// personTables.
func TestEveryPersonTableIsDeclared(t *testing.T) {
	s := testkit.SQLite(t)
	rows, err := s.Read().QueryContext(context.Background(), `SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	tables := map[string]string{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		if personColumns[column] {
			tables[table] = column
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("found only %d tables naming a person: %v", len(tables), tables)
	}
	for _, site := range []string{"ivm", "zorginspirator"} {
		p := testkit.Policy(t, site)
		for table, column := range tables {
			kinds, ok := personTables[table]
			if !ok {
				t.Errorf("%s: table %s names a person (%s) but maps to no record kind: declare one in the policy and add it to personTables", site, table, column)
				continue
			}
			if len(kinds) == 0 || kinds[0] == "*" {
				continue
			}
			found := false
			for _, k := range kinds {
				if r := p.Record(k); r != nil && len(r.Fields) > 0 {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s: table %s maps to %v, which the policy does not declare", site, table, kinds)
			}
		}
	}
}
