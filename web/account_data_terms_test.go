package web

import (
	"fmt"
	"testing"

	"steward/policy"
	"steward/rights"
)

// TestTermsCoverEveryCode: every coded value "My data" and the staff
// request pages show — request types, statuses, channels, steps and
// verification methods, consent channels, legal bases, deletion actions —
// has a text in every language, so no page shows a raw
// id or a bracketed key (G1).
func TestTermsCoverEveryCode(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string][]any{}
	for _, v := range rights.Types {
		groups["request_type"] = append(groups["request_type"], v)
	}
	for _, v := range []rights.Status{rights.StatusReceived, rights.StatusVerified, rights.StatusCompleted, rights.StatusRefused} {
		groups["request_status"] = append(groups["request_status"], v)
	}
	for _, v := range rights.Channels {
		groups["request_channel"] = append(groups["request_channel"], v)
	}
	for _, v := range []rights.StepKind{rights.StepReceived, rights.StepVerifyAsked, rights.StepVerified, rights.StepExtended,
		rights.StepExtendMailed, rights.StepNote, rights.StepCompleted, rights.StepRefused} {
		groups["request_step"] = append(groups["request_step"], v)
	}
	for _, v := range []rights.Verification{rights.VerifySession, rights.VerifyEmailLink, rights.VerifyManual} {
		groups["request_verification"] = append(groups["request_verification"], v)
	}
	for _, v := range policy.Channels {
		groups["consent_channel"] = append(groups["consent_channel"], v)
	}
	for _, v := range policy.LegalBases {
		groups["legal_basis"] = append(groups["legal_basis"], v)
	}
	for _, v := range []policy.Action{policy.ActionDelete, policy.ActionAnonymise} {
		groups["deletion_action"] = append(groups["deletion_action"], v)
	}
	for _, lang := range policy.Languages {
		p := &Page{Lang: lang, cat: cat}
		for g, ids := range groups {
			for _, id := range ids {
				if s := p.Term(g, id); s == "" || s[0] == '[' {
					t.Errorf("%s: no text for %s %s", lang, g, fmt.Sprint(id))
				}
			}
		}
	}
}
