package consent

import (
	"context"
	"time"

	"steward/policy"
	"steward/store"
)

// Tailoring composes the part of a newsletter issue made for each
// recipient (Z4; issue 18 item 6: news tailored to the person). The
// consent package decides who may get a tailored part — whose newsletter
// consent stands and was given with a notice the policy declares
// tailored (policy.ConsentSpec.Tailored); the site's own domain decides
// what goes in it. internal/wiring gives the newsletter one where the
// site has something to tailor with (career/service for Zorginspirator).
type Tailoring interface {
	// Tailor returns the composer of one run of an issue in lang, for
	// what is new after since up to until (the moment the run started,
	// so that a resumed run composes the same issue).
	Tailor(ctx context.Context, purpose *policy.Purpose, since, until time.Time, lang string) (Tailor, error)
}

// Tailor writes the recipients' own parts of one run.
type Tailor interface {
	// Parts reads through r (the sending transaction) what subjects need
	// and returns each one's part; a subject without one (no profile
	// data, nothing new that matches) gets the general issue.
	Parts(ctx context.Context, r *store.Reader, subjects []string) (map[string]string, error)
}

// tailoredNotices are the fingerprints of p's consent notice, in every
// language, when the policy declares it tailored, with the earlier
// published wordings declared tailored (EarlierTailored, newsletter
// only): consent given with these words asks for tailored news. Consent
// given with other words (a notice that was not tailored) gets the
// general issue; consent given with words reworded in substance since is
// asked again and gets nothing.
func (n *Newsletter) tailoredNotices(p *policy.Purpose) map[string]bool {
	if p == nil || p.Consent == nil || !p.Consent.Tailored {
		return nil
	}
	out := map[string]bool{}
	for _, lang := range policy.Languages {
		out[NoticeHash(Notice(p, lang))] = true
	}
	if p.ID == NewsletterPurpose {
		for h := range n.EarlierTailored {
			out[h] = true
		}
	}
	return out
}

// tailor returns the run's composer, or nil when the issue goes out in
// its general form to everyone: no tailoring wired for the site, or a
// purpose whose notice is not tailored. The window starts at is.Since,
// or else at the previous issue (another issue than this one; none: the
// catalogue's beginning), and ends when the run started.
func (n *Newsletter) tailor(ctx context.Context, p *policy.Purpose, is Issue, run store.NewsletterSend) (Tailor, error) {
	if n.Tailoring == nil || n.tailoredNotices(p) == nil {
		return nil, nil
	}
	since := is.Since
	if since.IsZero() {
		prev, ok, err := n.Consent.Store.PreviousNewsletterIssue(ctx, p.ID, run.ContentHash)
		if err != nil {
			return nil, err
		}
		if ok {
			since = prev
		}
	}
	return n.Tailoring.Tailor(ctx, p, since, run.CreatedAt, is.Lang)
}
