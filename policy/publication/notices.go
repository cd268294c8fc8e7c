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

// TailoredNotices are the fingerprints of every wording of purpose's
// consent notice, over the site's published versions, that the version
// declared tailored (issue 18 item 6): consent given with any of them
// asked for tailored news. A wording reworded in substance since is asked
// again (Reasks) and does not count for sending at all; one changed only
// by a text edit still asks for what it asked.
func (s *Service) TailoredNotices(ctx context.Context, siteID, purpose string) (map[string]bool, error) {
	_, ps, err := s.versions(ctx, siteID)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range ps {
		if pu := p.Purpose(purpose); pu != nil && pu.Consent != nil && pu.Consent.Tailored {
			for _, h := range noticeHashes(p, purpose) {
				out[h] = true
			}
		}
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
