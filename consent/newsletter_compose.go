package consent

import (
	"context"
	"fmt"

	"steward/store"
)

// Compose composes, without sending or writing anything, the issue every
// recipient would get now — the general one, or with their own part —
// and calls each with it: 'newsletter send --dry-run' counts them, and
// the 100,000-recipient benchmark measures it (docs/performance.md). It
// walks the recipients as Send does, a page of batch at a time (memory
// stays bounded by the page and the catalogue, not the list), reading
// consent, limits, addresses and the tailored parts per page; Send reads
// them again inside its transaction before it enqueues. In the report,
// Enqueued counts the issues composed.
func (n *Newsletter) Compose(ctx context.Context, is Issue, batch int, each func(subject string, tailored bool, text string) error) (SendReport, error) {
	var rep SendReport
	p, is, batch, err := n.prepareIssue(ctx, is, batch)
	if err != nil {
		return rep, err
	}
	run := store.NewsletterSend{ContentHash: contentHash(is), CreatedAt: n.Clock.Now()}
	tailor, err := n.tailor(ctx, p, is, run)
	if err != nil {
		return rep, fmt.Errorf("consent: newsletter compose: %w", err)
	}
	r := n.Consent.Store.Reader
	after := ""
	for {
		cands, err := r.ConsentSubjectsGiven(ctx, p.ID, after, batch)
		if err != nil {
			return rep, fmt.Errorf("consent: newsletter compose: %w", err)
		}
		if len(cands) == 0 {
			return rep, nil
		}
		after = cands[len(cands)-1]
		allowed, tailored, err := n.allowedNow(ctx, r, p, cands)
		if err != nil {
			return rep, fmt.Errorf("consent: newsletter compose: %w", err)
		}
		addrs, err := r.NewsletterAddresses(ctx, cands)
		if err != nil {
			return rep, fmt.Errorf("consent: newsletter compose: %w", err)
		}
		parts, err := n.parts(ctx, r, tailor, cands, func(s string) bool { return allowed[s] && tailored[s] })
		if err != nil {
			return rep, fmt.Errorf("consent: newsletter compose: %w", err)
		}
		for _, subj := range cands {
			rep.Candidates++
			if !allowed[subj] || addrs[subj] == "" {
				rep.Skipped++
				continue
			}
			part := parts[subj]
			if err := each(subj, part != "", n.issueText(is, part, n.UnsubscribeURL(subj))); err != nil {
				return rep, err
			}
			rep.Enqueued++
			if part != "" {
				rep.Tailored++
			}
		}
	}
}
