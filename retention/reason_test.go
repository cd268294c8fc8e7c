package retention_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/policy"
	"steward/retention"
)

// rawInWords finds what a reason in words must not show (issue 13): an
// ISO date or period, a policy id with an underscore, an unfilled
// {argument} or a missing catalogue key ([key]).
var rawInWords = regexp.MustCompile(`\d{4}-\d{2}-\d{2}|\bP\d+[YMWD]\b|\b[a-z]+_[a-z_]+\b|[{}\[\]]`)

// TestReasonWords writes the engine's typed reasons — a rule that applies
// under a contract, one that warns, one that does not apply, a record kept
// for a legal obligation, and the runner's notes — in Dutch and English
// from the catalogue: dates, periods, anchors, actions, record kinds and
// holds in words, nothing left raw (issue 13: the staff retention page
// showed the engine's English).
func TestReasonWords(t *testing.T) {
	p := testkit.Policy(t, "ivm")
	e := engine(t, p)
	orders, err := e.Rule("website_account_with_orders")
	if err != nil {
		t.Fatal(err)
	}
	f := retention.Facts{Kind: "account", Organisation: "org_hospital", CreatedAt: date("2019-01-01"), LastLoginAt: date("2020-03-15"),
		Counts: map[string]int{"order": 1},
		Overrides: []retention.Override{{Organisation: "org_hospital", Rule: orders.ID, Period: policy.MustDuration("P10Y"),
			ContractRef: "HOSP-2020-7", ValidFrom: date("2020-01-01")}}}
	applies := e.EvaluateRule(orders, f, date("2026-11-24"))
	inactive, err := e.Rule("website_account_inactive")
	if err != nil {
		t.Fatal(err)
	}
	notApplicable := e.EvaluateRule(inactive, f, date("2026-11-24"))
	if notApplicable.Applies || notApplicable.Reason.Kind != retention.ReasonNotApplicable {
		t.Fatalf("an account with an order: %+v", notApplicable.Reason)
	}
	kept := retention.KeptReason("order", policy.MustDuration("P7Y"), policy.SinceCreated, date("2026-01-31"), date("2033-01-31"))
	for _, c := range []struct {
		name   string
		r      retention.Reason
		nl, en string
	}{
		{"contract", applies.Reason,
			"Account op www.medicijngebruik.nl met Bestelling of Download van materiaal: verwijderen 10 jaar na de laatste keer inloggen (15 maart 2020), op 15 maart 2030; de termijn van contract HOSP-2020-7 met org_hospital in plaats van de 7 jaar van de regel",
			"Account on www.medicijngebruik.nl with Order or Download of material: delete 10 years after the last login (15 March 2020), on 15 March 2030; the period of contract HOSP-2020-7 with org_hospital instead of the rule's 7 years"},
		{"not applicable", notApplicable.Reason,
			"geldt niet (alleen voor Account op www.medicijngebruik.nl zonder Bestelling of Download van materiaal of Aanmelding nieuwsbrief)",
			"does not apply (only to Account on www.medicijngebruik.nl without Order or Download of material or Newsletter subscription)"},
		{"kept and held", kept.Note(retention.ReasonHeld, "hold", retention.HoldOpenRequest),
			"Bestelling bewaard na het wissen van de persoon vanwege een wettelijke plicht: verwijderen 7 jaar na aanmaak (31 januari 2026), op 31 januari 2033; overgeslagen: juridische blokkade (een openstaand verzoek van de persoon)",
			"Order kept after the person's erasure for a legal obligation: delete 7 years after creation (31 January 2026), on 31 January 2033; skipped: legal hold (an open data-subject request)"},
		{"warned", applies.Reason.Note(retention.ReasonWarned, "warned", time.Date(2030, 2, 13, 9, 0, 0, 0, time.UTC), "acts", date("2030-03-15")),
			"gewaarschuwd op 13 februari 2030, uitvoering vanaf 15 maart 2030", "warned on 13 February 2030, acts from 15 March 2030"},
	} {
		for lang, want := range map[string]string{"nl": c.nl, "en": c.en} {
			got := c.r.Words(lang, p)
			if !strings.Contains(got, want) {
				t.Errorf("%s in %s:\n got %s\nwant %s", c.name, lang, got, want)
			}
			// The organisation's id is data the contract names, not a code
			// of the engine.
			if raw := rawInWords.FindAllString(strings.ReplaceAll(got, "org_hospital", ""), -1); len(raw) > 0 {
				t.Errorf("%s in %s shows %q: %s", c.name, lang, raw, got)
			}
		}
	}
	// A note leaves the reason it follows as it was.
	if len(applies.Reason.Then) != 1 {
		t.Errorf("noting changed the reason noted: %+v", applies.Reason.Then)
	}
}
