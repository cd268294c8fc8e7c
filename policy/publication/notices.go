package publication

import (
	"context"

	"steward/consent"
	"steward/policy"
	"steward/policy/diff"
)

// Affected is one change of substance and how many people it concerns
// directly (Z11: "people directly affected are told personally").
type Affected struct {
	Change diff.Change
	People int
}

// Affected computes, from the diff of old to new, who each change of
// substance concerns directly — not guessed: the holders of data of the
// record kinds whose purpose, period, recipients or legal basis changed,
// the holders of a category newly shared with a party, and the people
// whose standing consent was given with a notice text that was reworded
// in substance. A change that concerns no record kind (a cookie, a right,
// a contact) concerns everyone alike and is announced, not mailed.
func (s *Service) Affected(ctx context.Context, old, new *policy.Policy) ([]Affected, error) {
	var out []Affected
	for _, c := range diff.Between(old, new) {
		if !c.Substance {
			continue
		}
		a := Affected{Change: c}
		var err error
		switch {
		case c.Notice:
			a.People, err = s.Store.CountConsentsOn(ctx, c.ID, noticeHashes(old, c.ID))
		case len(c.Records) > 0:
			a.People, err = s.Store.CountHolders(ctx, c.Records)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// noticeHashes are the fingerprints of purpose's consent notice in p, in
// every language: what a consent record given under p keeps.
func noticeHashes(p *policy.Policy, purpose string) []string {
	pu := p.Purpose(purpose)
	if pu == nil || pu.Consent == nil {
		return nil
	}
	var out []string
	for _, lang := range policy.Languages {
		out = append(out, consent.NoticeHash(consent.Notice(pu, lang)))
	}
	return out
}
