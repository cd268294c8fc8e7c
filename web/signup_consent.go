package web

import (
	"slices"

	"steward/consent"
	"steward/policy"
)

// signupConsent is one consent checkbox of the sign-up form (Z3): one per
// consent purpose the policy asks at sign-up, with its name and the exact
// notice text the consent record's hash is taken of.
type signupConsent struct {
	ID     string
	Name   string
	Notice string
	// Checked only when the person ticked it in the form being shown
	// again; a fresh form has every box unticked (Art. 4(11), 7: consent
	// is an active choice, never pre-ticked).
	Checked bool
}

// signupConsents returns the sign-up form's consent boxes in lang, ticked
// as in ticked.
func (s *Server) signupConsents(lang string, ticked []string) []signupConsent {
	var out []signupConsent
	for _, pu := range consent.Purposes(s.cfg.Policy, policy.ChannelSignup) {
		out = append(out, signupConsent{ID: pu.ID, Name: pu.Name.In(lang), Notice: consent.Notice(pu, lang),
			Checked: slices.Contains(ticked, pu.ID)})
	}
	return out
}
