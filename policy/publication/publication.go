// Package publication keeps every published version of a site's policy
// (G1, Z11; issue 20): a policy file whose content differs from the
// current version becomes a new version — its content, hash, time, who
// published it and a change summary in every language of the statement —
// in one transaction with its audit entry. serve refuses to start on a
// changed policy nobody published, so a silent edit cannot change what
// the site promises.
package publication

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"steward"
	"steward/audit"
	"steward/clock"
	"steward/policy"
	"steward/store"
)

// Service publishes policy versions.
type Service struct {
	Store *store.Store
	Clock clock.Clock
}

// Hash is the SHA-256 of a policy file's bytes, as stored.
func Hash(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// Current returns the site's newest published version; ok is false when
// none was published yet.
func (s *Service) Current(ctx context.Context, siteID string) (store.PolicyPublication, bool, error) {
	return s.Store.LatestPolicyPublication(ctx, siteID)
}

// Changed reports whether content differs from the site's newest
// published version (true when none was published yet).
func (s *Service) Changed(ctx context.Context, siteID string, content []byte) (bool, error) {
	cur, ok, err := s.Current(ctx, siteID)
	if err != nil {
		return false, err
	}
	return !ok || cur.SHA256 != Hash(content), nil
}

// FirstSummary is the summary of a site's first version: the policy's own
// history entry for the version in force, when it has one.
func FirstSummary(p *policy.Policy) policy.Text {
	for _, c := range p.History {
		if c.Version == p.Version.Number {
			return c.Summary
		}
	}
	return policy.Text{}
}

// Publish stores content (the policy file p was parsed from) as the
// site's next version, published by actor with summary, and audits it. A
// summary missing in a language is EINVALID; content equal to the newest
// version is ECONFLICT: there is nothing to publish.
func (s *Service) Publish(ctx context.Context, p *policy.Policy, content []byte, actor audit.Actor, summary policy.Text) (store.PolicyPublication, error) {
	return s.PublishFrom(ctx, p, content, actor, summary, time.Time{})
}

// PublishFrom is Publish for a version that takes effect at effective,
// announced in advance (issue 20): until then the banner and /privacy
// say "from DATE" and consent given with a notice it rewords still
// counts. A zero effective, or one not after now, is at once.
func (s *Service) PublishFrom(ctx context.Context, p *policy.Policy, content []byte, actor audit.Actor, summary policy.Text, effective time.Time) (store.PolicyPublication, error) {
	if !summary.Complete() {
		return store.PolicyPublication{}, steward.FieldError("summary", "error.policy_summary_required")
	}
	now := s.Clock.Now()
	if !effective.After(now) {
		effective = now
	}
	v := store.PolicyPublication{SiteID: p.Site.ID, SHA256: Hash(content), Content: string(content),
		PublishedAt: now, PublishedBy: string(actor), SummaryNL: summary.NL, SummaryEN: summary.EN, EffectiveAt: effective}
	log := &audit.Log{Clock: s.Clock, PolicyVersion: func() string { return p.Version.Number }}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		cur, ok, err := tx.LatestPolicyPublication(ctx, v.SiteID)
		if err != nil {
			return err
		}
		if ok && cur.SHA256 == v.SHA256 {
			return steward.Errorf(steward.ECONFLICT, "error.policy_already_published", "n", cur.N)
		}
		if v.N, err = tx.InsertPolicyPublication(ctx, v); err != nil {
			return err
		}
		// G2: ids and field names only; the summary is the publisher's
		// text about the policy, not about a person, and stays in the row.
		return log.Record(ctx, tx, audit.Entry{Actor: actor, Action: audit.PolicyPublish,
			ObjectKind: "policy_version", ObjectID: strconv.Itoa(v.N), Fields: []string{"content", "summary_nl", "summary_en"}})
	})
	if err != nil {
		return store.PolicyPublication{}, err
	}
	return v, nil
}
