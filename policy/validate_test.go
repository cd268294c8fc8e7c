package policy_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"steward/policy"
)

// edit replaces one unique piece of the valid test policy.
type edit struct{ old, new string }

// brokenCase is a valid policy with one thing changed, and the problem the
// loader must report for it.
type brokenCase struct {
	name  string
	edits []edit
	// at is a piece of the edited file whose first character is where the
	// problem must be reported; nth picks a later occurrence (default 1).
	at  string
	nth int
	// want is a fragment of the problem's message.
	want string
}

func validPolicy(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// apply makes each edit, which must match exactly once, so that a case
// cannot silently test the valid policy.
func apply(t *testing.T, text string, edits []edit) string {
	t.Helper()
	for _, e := range edits {
		if n := strings.Count(text, e.old); n != 1 {
			t.Fatalf("edit %q matches %d times in the test policy, want once", e.old, n)
		}
		text = strings.Replace(text, e.old, e.new, 1)
	}
	return text
}

// position returns the line and column (1-based) of the nth occurrence of
// marker in text.
func position(t *testing.T, text, marker string, nth int) policy.Pos {
	t.Helper()
	if nth == 0 {
		nth = 1
	}
	off := -1
	for range nth {
		i := strings.Index(text[off+1:], marker)
		if i < 0 {
			t.Fatalf("marker %q (occurrence %d) not in the edited policy", marker, nth)
		}
		off += 1 + i
	}
	line := strings.Count(text[:off], "\n") + 1
	col := off - strings.LastIndex(text[:off], "\n")
	return policy.Pos{Line: line, Col: col}
}

func TestValidPolicyLoads(t *testing.T) {
	p, err := policy.Parse("valid.yaml", []byte(validPolicy(t)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Purpose("newsletter") == nil || p.Record("order") == nil || p.Rule("inactive") == nil || p.Processor("registry") == nil {
		t.Error("lookups do not find what valid.yaml declares")
	}
	if got := len(p.ConsentPurposes()); got != 1 {
		t.Errorf("ConsentPurposes: %d, want 1", got)
	}
	if got := p.Record("lms_account").Field("big"); got == nil || !got.Sensitive {
		t.Error("the BIG number field is not loaded as sensitive")
	}
	if got := p.Rule("lms_unconfirmed").Where.Confirmed; got == nil || *got {
		t.Error("confirmed: false is not loaded")
	}
	if got := p.Site.Systems[1].URLs; len(got) != 1 || got[0] != "https://learn.example.nl" {
		t.Errorf("systems not loaded: %v", got)
	}
}

func TestValidate(t *testing.T) {
	cases := []brokenCase{
		// R4: data minimisation.
		{name: "field_used_by_no_purpose_is_an_error",
			edits: []edit{{"purposes: [statistics]", "purposes: []"}},
			at:    "id: age", want: `record "account" field "age" is used by no purpose`},
		{name: "field_without_purposes_key_is_an_error",
			edits: []edit{{"        purposes: [statistics]\n", ""}},
			at:    "id: age", want: "is used by no purpose"},

		// The start page's content (issue 13).
		{name: "home_link_to_another_scheme_is_an_error",
			edits: []edit{{"link: https://learn.example.nl", "link: javascript:alert(1)"}},
			at:    "title: {nl: Cursussen", want: `link "javascript:alert(1)": want a path on the site`},
		{name: "home_text_in_one_language_is_an_error",
			edits: []edit{{"text: {nl: Volg een cursus., en: Take a course.}", "text: {nl: Volg een cursus.}"}},
			at:    "title: {nl: Cursussen", want: "site.home offer 1 text: needs both nl and en text"},

		// The site's own usage counts (issue 18 item 8).
		{name: "usage_counts_for_an_unknown_purpose_is_an_error",
			edits: []edit{{"usage_counts:\n  purpose: account", "usage_counts:\n  purpose: stats"}},
			at:    "purpose: stats", want: `usage_counts.purpose "stats" is not a declared purpose`},
		{name: "usage_counts_without_a_period_is_an_error",
			edits: []edit{{"  keep: P1Y\n", ""}},
			at:    "purpose: account\n", nth: 2, want: "usage_counts.keep: say how long"},

		// References.
		{name: "field_naming_an_unknown_purpose_is_an_error",
			edits: []edit{{"purposes: [bookkeeping]", "purposes: [bookeeping]"}},
			at:    "id: amount", want: `unknown purpose "bookeeping"`},
		{name: "retention_rule_on_an_undeclared_record_kind_is_an_error",
			edits: []edit{{"record: lms_account", "record: lms_acount"}},
			at:    "id: lms_unconfirmed", want: `record kind "lms_acount" is not declared`},
		{name: "condition_naming_an_undeclared_record_kind_is_an_error",
			edits: []edit{{"has_none: [order]", "has_none: [orders]"}},
			at:    "has_none: [orders]", want: `condition names undeclared record kind "orders"`},
		{name: "condition_that_can_never_match_is_an_error",
			edits: []edit{{"has_none: [order]", "has_none: [order]\n      has_any: [order]"}},
			at:    "has_none: [order]", want: "can never match"},
		{name: "since_withdrawn_without_the_withdrawn_condition_is_an_error",
			edits: []edit{{"      confirmed: false\n    since: created", "      confirmed: false\n    since: withdrawn"}},
			at:    "id: lms_unconfirmed", want: "since withdrawn needs where.withdrawn: true"},
		{name: "withdrawn_condition_on_a_kind_without_consent_is_an_error",
			edits: []edit{{"      confirmed: false\n    since: created", "      withdrawn: true\n    since: withdrawn"}},
			at:    "withdrawn: true", want: "where.withdrawn needs a record kind whose fields serve a purpose resting on consent"},
		{name: "processor_receiving_an_unknown_record_kind_is_an_error",
			edits: []edit{{"records: [account, order]", "records: [account, orders]"}},
			at:    "id: host", want: `processor "host": unknown record kind "orders"`},
		{name: "disclosure_of_an_unknown_record_kind_is_an_error",
			edits: []edit{{"legal_basis: legal_obligation\n    records: [account]", "legal_basis: legal_obligation\n    records: [acount]"}},
			at:    "id: police", want: `disclosure "police": unknown record kind "acount"`},
		{name: "cookie_from_an_undeclared_processor_is_an_error",
			edits: []edit{{"provider: host", "provider: hoster"}},
			at:    "name: _ga", want: `provider "hoster" is neither first_party nor a declared processor`},
		{name: "cookie_with_an_unknown_purpose_is_an_error",
			edits: []edit{{"purpose: statistics", "purpose: stats"}},
			at:    "name: _ga", want: `cookie "_ga": unknown purpose "stats"`},
		{name: "record_in_an_undeclared_system_is_an_error",
			edits: []edit{{"system: lms", "system: moodle"}},
			at:    "id: lms_account", want: `system "moodle" is not one of site.systems`},
		{name: "cookie_on_a_host_of_no_system_is_an_error",
			edits: []edit{{"host: www.example.nl", "host: www.example.com"}},
			at:    "name: session", want: `host "www.example.com" is not a host`},
		{name: "export_of_an_undeclared_field_is_an_error",
			edits: []edit{{"fields: [account.age]", "fields: [account.birthday]"}},
			at:    "format: csv", nth: 2, want: `export field "account.birthday" is not declared`},
		{name: "export_of_a_record_the_party_does_not_receive_is_an_error",
			edits: []edit{{"fields: [lms_account.big]", "fields: [account.email]"}},
			at:    "format: csv", want: `record kind "account" is not in the processor's records`},
		// OpenID Connect claims (issue 16): only declared fields of kinds
		// the party receives, under names the protocol does not reserve.
		{name: "claim_of_a_record_the_party_does_not_receive_is_an_error",
			edits: []edit{{"field: lms_account.big", "field: account.email"}},
			at:    "claim: register_number", want: `claim "register_number": record kind "account" is not in the processor's records`},
		{name: "claim_of_an_undeclared_field_is_an_error",
			edits: []edit{{"field: lms_account.big", "field: lms_account.register"}},
			at:    "claim: register_number", want: `claim "register_number": field "lms_account.register" is not declared`},
		{name: "claim_named_like_a_protocol_claim_is_an_error",
			edits: []edit{{"claim: register_number", "claim: sub"}},
			at:    "claim: sub", want: `claim "sub": want a lower-case name the protocol does not set itself`},

		// Consent (Art. 6(1)(a), 7 GDPR).
		{name: "consent_purpose_without_channels_is_an_error",
			edits: []edit{{"channels: [newsletter_form, settings]", "channels: []"}},
			at:    "id: newsletter", want: `purpose "newsletter" is based on consent but gives no way to give it`},
		{name: "consent_purpose_with_an_unknown_channel_is_an_error",
			edits: []edit{{"channels: [newsletter_form, settings]", "channels: [newsletter_form, popup]"}},
			at:    "channels:", want: `unknown consent channel "popup"`},
		{name: "consent_asked_for_a_purpose_on_another_basis_is_an_error",
			edits: []edit{{"    legal_basis: legitimate_interests\n", "    legal_basis: legitimate_interests\n    consent:\n      channels: [settings]\n      notice: {nl: Ja., en: Yes.}\n"}},
			at:    "channels: [settings]", want: `purpose "statistics": consent is asked but the legal basis is legitimate_interests`},
		{name: "consent_notice_in_one_language_is_an_error",
			edits: []edit{{"notice: {nl: Ja graag., en: Yes please.}", "notice: {nl: Ja graag.}"}},
			at:    "channels: [newsletter_form", want: "consent notice: needs both nl and en text"},
		{name: "tailored_consent_without_data_to_tailor_with_is_an_error",
			edits: []edit{{"notice: {nl: Ja graag., en: Yes please.}", "notice: {nl: Ja graag., en: Yes please.}\n      tailored: true"},
				{"purposes: [account, newsletter]", "purposes: [account]"}},
			at: "channels: [newsletter_form", want: `purpose "newsletter": tailored, but no field declares the purpose to tailor with`},
		{name: "unknown_legal_basis_is_an_error",
			edits: []edit{{"legal_basis: legitimate_interests", "legal_basis: legitimate_interest"}},
			at:    "id: statistics", want: `legal_basis "legitimate_interest" is not one of`},
		{name: "consent_purposes_require_the_right_to_withdraw",
			edits: []edit{{"objection, withdraw_consent]", "objection]"}},
			at:    "honoured:", want: "withdraw_consent must be honoured"},
		{name: "legitimate_interests_require_the_right_to_object",
			edits: []edit{{"portability, objection, withdraw_consent]", "portability, withdraw_consent]"}},
			at:    "honoured:", want: `purpose "statistics" rests on legitimate_interests, so objection must be honoured`},
		{name: "notice_beside_consent_notice_is_an_error",
			edits: []edit{{"    legal_basis: consent\n", "    legal_basis: consent\n    notice: {nl: Ook., en: Also.}\n"}},
			at:    "id: newsletter", want: "states its notice under consent.notice"},

		// Cookies (Telecommunicatiewet art. 11.7a).
		{name: "necessary_cookie_that_needs_consent_is_an_error",
			edits: []edit{{"consent: false\n    host: www.example.nl", "consent: true\n    host: www.example.nl"}},
			at:    "name: session", want: `cookie "session" is in category necessary but needs consent`},
		{name: "marketing_cookie_without_consent_is_an_error",
			edits: []edit{{"category: analytics", "category: marketing"}},
			at:    "name: _ga", want: "must need consent"},
		{name: "cookie_needing_consent_for_a_purpose_without_consent_is_an_error",
			edits: []edit{{"lifetime: P2Y\n    consent: false", "lifetime: P2Y\n    consent: true"}},
			at:    "name: _ga", want: `its purpose "statistics" is not consent-based`},
		{name: "cookie_without_lifetime_is_an_error",
			edits: []edit{{"    lifetime: P2Y\n", ""}},
			at:    "name: _ga", want: "lifetime is missing"},
		{name: "duplicate_cookie_on_the_same_host_is_an_error",
			edits: []edit{{"  - name: _ga\n", "  - name: session\n    host: www.example.nl\n"}},
			at:    "name: session", nth: 2, want: `duplicate cookie "session"`},

		// Controller and contacts (R14, Z10).
		{name: "missing_controller_contact_is_an_error",
			edits: []edit{{"  contact:\n    email: info@example.nl\n    phone: 030 1234567\n  privacy_contact:\n    email: privacy@example.nl\n", ""}},
			at:    "name: Stichting Voorbeeld", want: "controller: no contact"},
		{name: "contact_with_a_malformed_e_mail_address_is_an_error",
			edits: []edit{{"email: privacy@example.nl", "email: privacy at example.nl"}},
			at:    "email: privacy at", want: `controller.privacy_contact.email "privacy at example.nl" is not an e-mail address`},
		{name: "missing_controller_address_is_an_error",
			edits: []edit{{"  address:\n    street: Straat 1\n    postcode: 1234 AB\n    city: Utrecht\n    country: Nederland\n", ""}},
			at:    "name: Stichting Voorbeeld", want: "controller.address is missing"},
		{name: "missing_complaint_route_is_an_error",
			edits: []edit{{"    url: https://autoriteitpersoonsgegevens.nl\n    phone: 088 1805 250\n", ""}},
			at:    "authority: Autoriteit", want: "rights.complaint: the complaint route needs an authority and a url or phone"},

		// Rights (Art. 12(3) GDPR).
		{name: "response_longer_than_a_month_is_an_error",
			edits: []edit{{"response: P1M", "response: P5W"}},
			at:    "honoured:", want: "rights.response must be set and at most one month"},
		{name: "extension_longer_than_two_months_is_an_error",
			edits: []edit{{"extension: P2M", "extension: P3M"}},
			at:    "honoured:", want: "rights.extension may be at most two months"},
		{name: "unknown_right_is_an_error",
			edits: []edit{{"honoured: [access,", "honoured: [forget_me, access,"}},
			at:    "honoured:", want: `unknown right "forget_me"`},

		// Ids.
		{name: "duplicate_purpose_id_is_an_error",
			edits: []edit{{"- id: bookkeeping", "- id: account"}, {"purposes: [bookkeeping]", "purposes: [account]"}},
			at:    "id: account", nth: 2, want: `duplicate purpose id "account"`},
		{name: "duplicate_record_id_is_an_error",
			edits: []edit{{"- id: order\n", "- id: account\n"}, {"has_none: [order]", "has_none: []"}, {"records: [account, order]", "records: [account]"}},
			at:    "id: account", nth: 3, want: `duplicate record id "account"`},
		{name: "duplicate_field_id_is_an_error",
			edits: []edit{{"- id: age", "- id: email"}},
			at:    "id: email", nth: 2, want: `duplicate field id "email"`},
		{name: "duplicate_retention_rule_id_is_an_error",
			edits: []edit{{"- id: lms_unconfirmed", "- id: inactive"}},
			at:    "id: inactive", nth: 2, want: `duplicate retention rule id "inactive"`},
		{name: "duplicate_processor_id_is_an_error",
			edits: []edit{{"- id: registry", "- id: host"}},
			at:    "id: host", nth: 2, want: `duplicate processor id "host"`},
		{name: "id_with_capitals_is_an_error",
			edits: []edit{{"- id: statistics", "- id: Statistics"}},
			at:    "id: Statistics", want: `purpose id "Statistics": want lower-case letters`},

		// Durations, dates, lifetimes.
		{name: "invalid_duration_is_reported_at_its_value",
			edits: []edit{{"period: P7Y", "period: 7 years"}},
			at:    "7 years", want: `keep.period: invalid duration "7 years"`},
		{name: "duration_with_a_time_part_is_an_error",
			edits: []edit{{"period: P1Y\n    action: delete\n    warn_before", "period: P1YT12H\n    action: delete\n    warn_before"}},
			at:    "P1YT12H", want: `invalid duration "P1YT12H"`},
		{name: "zero_retention_period_is_an_error",
			edits: []edit{{"period: P1Y\n    action: delete\n  - id: lms", "period: P0D\n    action: delete\n  - id: lms"}},
			at:    "id: inactive", want: `retention rule "inactive": period is missing or zero`},
		{name: "warning_not_before_the_action_is_an_error",
			edits: []edit{{"warn_before: P30D", "warn_before: P1Y"}},
			at:    "id: lms_unconfirmed", want: "warn_before P1Y is not shorter than the period P1Y"},
		{name: "invalid_cookie_lifetime_is_an_error",
			edits: []edit{{"lifetime: P2Y", "lifetime: forever"}},
			at:    "forever", want: `invalid lifetime "forever"`},
		{name: "invalid_date_is_an_error",
			edits: []edit{{"date: 2022-05-12", "date: 12 mei 2022"}},
			at:    "12 mei 2022", want: `history[0].date: invalid date "12 mei 2022"`},
		{name: "history_dated_after_the_version_in_force_is_an_error",
			edits: []edit{{"date: 2022-05-12", "date: 2025-05-12"}},
			at:    `version: "1"`, want: `change "1" is dated after the version in force`},
		{name: "history_without_the_version_in_force_is_an_error",
			edits: []edit{{`number: "2"`, `number: "3"`}},
			at:    `number: "3"`, want: `history must describe the version in force ("3")`},

		// Records.
		{name: "big_number_not_marked_sensitive_is_an_error",
			edits: []edit{{"        sensitive: true\n", ""}},
			at:    "id: big", want: "is sensitive and must be marked so (R3)"},
		{name: "keep_without_a_reason_is_an_error",
			edits: []edit{{"reason: {nl: Fiscale plicht., en: Tax duty.}", "reason: {nl: Fiscale plicht.}"}},
			at:    "period: P7Y", want: `record order keep reason: needs both nl and en text`},
		{name: "erasure_keep_without_keep_is_an_error",
			edits: []edit{{"    keep:\n      period: P7Y\n      since: created\n      reason: {nl: Fiscale plicht., en: Tax duty.}\n", ""}},
			at:    "id: order", want: `record "order": erasure keep needs keep.period`},
		{name: "keep_on_a_deleted_record_is_an_error",
			edits: []edit{{"erasure: keep", "erasure: delete"}},
			at:    "period: P7Y", want: "keep is only for erasure: keep"},
		{name: "choice_field_without_choices_is_an_error",
			edits: []edit{{"type: integer\n        min: 15", "type: choice\n        min: 15"}},
			at:    "id: age", want: "a choice field needs choices"},
		{name: "unknown_reference_is_an_error",
			edits: []edit{{"type: integer\n        min: 15", "type: text\n        references: person\n        min: 15"}},
			at:    "id: age", want: `references "person" is not one of [course catalogue_item]`},
		{name: "catalogue_item_reference_needs_a_kind_field",
			edits: []edit{{"type: integer\n        min: 15", "type: text\n        references: catalogue_item\n        min: 15"}},
			at:    "id: age", want: "references catalogue_item needs a choice field kind"},
		{name: "the_account_is_not_repeatable",
			edits: []edit{{"    name: {nl: Account, en: Account}\n    subject: account\n", "    name: {nl: Account, en: Account}\n    subject: account\n    repeatable: true\n"}},
			at:    "id: account\n    name: {nl: Account, en: Account}\n    subject: account", want: "repeatable is only for kinds a person with an account keeps"},
		{name: "reference_on_a_number_is_an_error",
			edits: []edit{{"type: integer\n        min: 15", "type: integer\n        references: course\n        min: 15"}},
			at:    "id: age", want: "references is only for type text"},
		{name: "minimum_above_maximum_is_an_error",
			edits: []edit{{"min: 15", "min: 150"}},
			at:    "id: age", want: "min 150 is above max 100"},

		// Processors (Z6).
		{name: "anonymised_recipient_without_k_is_an_error",
			edits: []edit{{"      min_k: 5\n", ""}},
			at:    "format: csv", nth: 2, want: `processor "analyst": an anonymised export needs min_k of at least 2`},
		{name: "k_for_a_processor_that_gets_personal_data_is_an_error",
			edits: []edit{{"fields: [lms_account.big]", "fields: [lms_account.big]\n      min_k: 5"}},
			at:    "format: csv", want: "min_k and min_l are only for kind anonymised_recipient"},
		{name: "band_that_is_not_a_larger_multiple_is_an_error",
			edits: []edit{{"band: 10}", "band: 7}"}},
			at:    "{name: band10", want: `generalisation of "account.age": band 7 must be at least 2 and a larger multiple`},
		{name: "hierarchy_levels_out_of_kind_order_are_an_error",
			edits: []edit{{"      - {name: band10, band: 10}\n", "      - {name: band10, band: 10}\n      - {name: region, ranges: [{from: 1000, to: 9999, value: x}]}\n"}},
			at:    "{name: region", want: "ranges are only the first level of a postcode_nl field"},
		{name: "value_in_two_groups_is_an_error",
			edits: []edit{{"      - {name: band5, band: 5}\n      - {name: band10, band: 10}\n", "      - name: life\n        groups:\n          - {value: young, members: ['18', '19']}\n          - {value: old, members: ['19']}\n"}},
			at:    "{value: old", want: `"19" is in group "young" and in group "old"`},
		{name: "quasi_identifier_without_hierarchy_is_an_error",
			edits: []edit{{"  - field: account.age\n", "  - field: account.email\n"}},
			at:    "format: csv", nth: 2, want: `quasi-identifier "account.age" has no generalisation`},
		{name: "statistics_at_a_level_the_hierarchy_lacks_is_an_error",
			edits: []edit{{"  - field: account.age\n", "  - field: account.age\n    statistics: band3\n"}, {"type: integer\n        min: 15", "type: integer\n        editable: true\n        min: 15"}},
			at:    "field: account.age", want: `generalisation of "account.age": statistics level "band3" is not one of its levels`},
		{name: "statistics_of_a_field_the_person_does_not_give_is_an_error",
			edits: []edit{{"  - field: account.age\n", "  - field: account.age\n    statistics: band5\n"}},
			at:    "field: account.age", want: "statistics keeps only a profile field the person gives"},
		{name: "statistics_keeping_a_free_value_is_an_error",
			edits: []edit{{"  - field: account.age\n", "  - field: account.age\n    statistics: value\n"}, {"type: integer\n        min: 15", "type: integer\n        editable: true\n        min: 15"}},
			at:    "field: account.age", want: "statistics may keep the value as it is only for a choice field"},
		{name: "statistics_of_a_sensitive_field_is_an_error",
			edits: []edit{{"  - field: account.age\n", "  - field: account.age\n    statistics: band5\n"}, {"type: integer\n        min: 15", "type: integer\n        editable: true\n        sensitive: true\n        min: 15"}},
			at:    "field: account.age", want: "a sensitive field cannot survive anonymisation in statistics"},
		{name: "anonymised_export_for_an_unknown_purpose_is_an_error",
			edits: []edit{{`purpose: "statistics"`, `purpose: "nosuch"`}},
			at:    "format: csv", nth: 2, want: `an anonymised export needs the purpose it serves, got "nosuch"`},
		{name: "disclosure_on_consent_is_an_error",
			edits: []edit{{"legal_basis: legal_obligation\n    records", "legal_basis: consent\n    records"}},
			at:    "id: police", want: `disclosure "police": legal_basis must be`},

		// Texts (G1).
		{name: "text_without_english_is_an_error",
			edits: []edit{{"intro: {nl: Inleiding., en: Introduction.}", "intro: {nl: Inleiding.}"}},
			at:    "format: 1", want: "intro: needs both nl and en text"},

		// Strict decoding.
		{name: "unknown_top_level_key_is_reported_with_its_position",
			edits: []edit{{"third_party_sites:", "third_party_site:"}},
			at:    "third_party_site:", want: `unknown key "third_party_site"`},
		{name: "unknown_nested_key_is_reported_with_its_path",
			edits: []edit{{"sensitive: true", "sensitve: true"}},
			at:    "sensitve", want: `unknown key "records[2].fields[0].sensitve"`},
		{name: "duplicate_key_is_an_error",
			edits: []edit{{"  name: Example\n", "  name: Example\n  name: Voorbeeld\n"}},
			at:    "name: Voorbeeld", want: `duplicate key "site.name"`},
		{name: "number_written_as_text_is_a_wrong_type",
			edits: []edit{{"format: 1", `format: "1"`}},
			at:    `"1"`, want: `format: want a whole number, got "1"`},
		{name: "yes_is_not_a_boolean",
			edits: []edit{{"required: true", "required: yes"}},
			at:    "yes", want: `records[0].fields[0].required: want true or false, got "yes"`},
		{name: "single_value_where_a_list_is_wanted_is_a_wrong_type",
			edits: []edit{{"  urls:\n    - https://www.example.nl\n", "  urls: https://www.example.nl\n"}},
			at:    "https://www.example.nl", want: "site.urls: want a list"},
		{name: "list_where_a_text_is_wanted_is_a_wrong_type",
			edits: []edit{{"  name: Example\n", "  name: [Example]\n"}},
			at:    "[Example]", want: "site.name: want text, got a list"},
		{name: "text_where_a_mapping_is_wanted_is_a_wrong_type",
			edits: []edit{{"changes: {nl: Wijzigingen., en: Changes.}", "changes: Wijzigingen."}},
			at:    "Wijzigingen.", want: `changes: want a mapping, got "Wijzigingen."`},
		{name: "number_too_large_is_an_error",
			edits: []edit{{"max: 100", "max: 99999999999"}},
			at:    "99999999999", want: `number "99999999999" out of range`},
		{name: "anchors_are_refused",
			edits: []edit{{"changes: {nl", "changes: &c {nl"}},
			at:    "&c", want: "anchors and aliases are not allowed"},
		{name: "aliases_are_refused",
			edits: []edit{{"intro: {nl: Inleiding., en: Introduction.}", "intro: &i {nl: Inleiding., en: Introduction.}"}, {"changes: {nl: Wijzigingen., en: Changes.}", "changes: *i"}},
			at:    "*i", want: "changes: anchors and aliases are not allowed"},
		{name: "anchored_keys_are_refused",
			edits: []edit{{"\nchanges:", "\n&k changes:"}},
			at:    "&k", want: `changes: anchors and aliases are not allowed`},
		{name: "merge_keys_are_refused",
			edits: []edit{{"intro: {nl: Inleiding., en: Introduction.}", "intro: &i {nl: Inleiding., en: Introduction.}"}, {"changes: {nl: Wijzigingen., en: Changes.}", "changes:\n  <<: *i"}},
			at:    "<<", want: `unknown key "changes.<<"`},
		{name: "a_second_document_is_refused",
			edits: []edit{{"changes: {nl: Wijzigingen., en: Changes.}\n", "changes: {nl: Wijzigingen., en: Changes.}\n---\nformat: 1\n"}},
			at:    "---", want: "a policy file holds one YAML document"},
		{name: "a_broken_second_document_is_refused",
			edits: []edit{{"changes: {nl: Wijzigingen., en: Changes.}\n", "changes: {nl: Wijzigingen., en: Changes.}\n---\nformat: [1\n"}},
			at:    "format: [1", want: "YAML syntax: did not find expected ',' or ']'"},
		{name: "malformed_yaml_is_reported_at_its_line",
			edits: []edit{{"  name: Example\n", "  name: [Example\n"}},
			at:    "  name: [Example", want: "YAML syntax: did not find expected ',' or ']'"},
		{name: "tab_indentation_is_malformed_yaml",
			edits: []edit{{"  name: Example\n", "\tname: Example\n"}},
			at:    "\tname", want: "YAML syntax: tabs are not allowed for indentation"},
		{name: "tab_inside_the_indentation_is_found",
			edits: []edit{{"        sensitive: true\n", "     \t  sensitive: true\n"}},
			at:    "\t  sensitive", want: "YAML syntax: tabs are not allowed for indentation"},
	}
	valid := validPolicy(t)
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("two cases named %s", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			text := apply(t, valid, c.edits)
			want := position(t, text, c.at, c.nth)
			_, err := policy.Parse("broken.yaml", []byte(text))
			if err == nil {
				t.Fatal("Parse accepted the broken policy")
			}
			if !errors.Is(err, policy.ErrInvalid) {
				t.Fatalf("Parse error %v is not ErrInvalid", err)
			}
			var ps policy.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Parse error is %T, want Problems", err)
			}
			for _, p := range ps {
				if p.File != "broken.yaml" {
					t.Errorf("problem names file %q, want broken.yaml", p.File)
				}
				if strings.Contains(p.Msg, c.want) {
					if p.Pos != want {
						t.Errorf("%q reported at %d:%d, want %d:%d (at %q)", c.want, p.Pos.Line, p.Pos.Col, want.Line, want.Col, c.at)
					}
					return
				}
			}
			t.Errorf("no problem mentions %q; got:\n%v", c.want, err)
		})
	}
}

func TestParseRefusesWholeFiles(t *testing.T) {
	cases := []struct {
		name, data, want string
	}{
		{"empty_file", "", "the file is empty"},
		{"only_a_comment", "# nothing here\n", "the file is empty"},
		{"a_second_empty_document", "format: 1\n---\n", "one YAML document"},
		{"a_list_instead_of_a_mapping", "- format: 1\n", "policy file: want a mapping, got a list"},
		{"a_single_word", "policy\n", `policy file: want a mapping, got "policy"`},
		{"too_large", "format: 1\n" + strings.Repeat("#", policy.MaxFileSize), "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := policy.Parse("x.yaml", []byte(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse = %v, want a problem mentioning %q", err, c.want)
			}
			if !errors.Is(err, policy.ErrInvalid) {
				t.Errorf("%v is not ErrInvalid", err)
			}
		})
	}
}

func TestProblemsListEveryProblemAsFileLineCol(t *testing.T) {
	text := apply(t, validPolicy(t), []edit{
		{"purposes: [statistics]", "purposes: []"},
		{"channels: [newsletter_form, settings]", "channels: []"},
	})
	_, err := policy.Parse("two.yaml", []byte(text))
	var ps policy.Problems
	if !errors.As(err, &ps) || len(ps) != 2 {
		t.Fatalf("want exactly two problems, got %v", err)
	}
	age, nl := position(t, text, "id: age", 1), position(t, text, "id: newsletter", 1)
	for _, want := range []string{
		fmt.Sprintf("two.yaml:%d:%d: purpose \"newsletter\"", nl.Line, nl.Col),
		fmt.Sprintf("two.yaml:%d:%d: record \"account\" field \"age\"", age.Line, age.Col),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error text lacks %q:\n%s", want, err)
		}
	}
}

// TestParseReportsDecodeAndValidationProblemsTogether: a file with an
// unknown key and a value of the wrong kind (decode problems) and a
// reference to a purpose that does not exist (a validation problem) gets
// all of them at once, in file order — and nothing more: what the
// validator would say of the values it never got (format 0, a BIG number
// not marked sensitive) is left out.
func TestParseReportsDecodeAndValidationProblemsTogether(t *testing.T) {
	text := apply(t, validPolicy(t), []edit{
		{"format: 1\n", "format: one\n"},
		{"  name: Example\n", "  name: Example\n  colour: blue\n"},
		{"purposes: [statistics]", "purposes: [nosuch]"},
		{"        sensitive: true\n", "        sensitive: maybe\n"},
	})
	_, err := policy.Parse("both.yaml", []byte(text))
	var ps policy.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse = %v, want Problems", err)
	}
	want := []struct {
		at, msg string
	}{
		{"one\n", `format: want a whole number, got "one"`},
		{"colour: blue", `unknown key "site.colour"`},
		{"id: age", `record "account" field "age": unknown purpose "nosuch"`},
		{"maybe", `records[2].fields[0].sensitive: want true or false, got "maybe"`},
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(want), err)
	}
	for i, w := range want {
		pos := position(t, text, w.at, 1)
		if ps[i].Pos != pos || !strings.HasPrefix(ps[i].Msg, w.msg) || ps[i].File != "both.yaml" {
			t.Errorf("problem %d = %s, want both.yaml:%d:%d: %s...", i+1, ps[i].Error(), pos.Line, pos.Col, w.msg)
		}
	}
}

// TestParseKeepsProblemsAboutOtherKeys: a validator problem is dropped as
// unknowable only when it is about the key whose value the decoder
// refused (Problem.About), never because that key's name turns up in the
// message — here as the processor's id (issue 12).
func TestParseKeepsProblemsAboutOtherKeys(t *testing.T) {
	text := apply(t, validPolicy(t), []edit{
		{"  - id: registry\n    name: Register\n    kind: processor\n", "  - id: kind\n    name: Register\n    kind: [processor]\n"},
		{"    records: [lms_account]\n    location: NL\n", "    records: [lms_account]\n"},
	})
	_, err := policy.Parse("about.yaml", []byte(text))
	var ps policy.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse = %v, want Problems", err)
	}
	var msgs []string
	for _, p := range ps {
		msgs = append(msgs, p.Msg)
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, `processor "kind": location is missing`) {
		t.Errorf("the missing location was dropped with the refused kind:\n%s", all)
	}
	if strings.Contains(all, "kind must be processor") {
		t.Errorf("the validator's word on the refused kind was kept:\n%s", all)
	}
	if len(ps) != 2 {
		t.Errorf("got %d problems, want the refused kind and the missing location:\n%s", len(ps), all)
	}
}
