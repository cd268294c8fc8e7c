package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"

	"steward/account"
	"steward/audit"
	"steward/oidc"
	"steward/policy"
	"steward/store"
)

// release answers the userinfo endpoint (issue 16 item 3): for a live
// token, the subject and exactly the claims the policy declares for the
// client's recipient that the granted scopes ask for, each from its
// declared field. A sensitive value (the register/BIG number, R3) is
// opened for this release only, and the release is recorded as a
// disclosure to the recipient (R7, shown on My data); every release is
// audited with the field names, never the values (G2).
func (s *Service) release(ctx context.Context, info *zoidc.UserInfo, tokenHash, subject string) error {
	now := s.now()
	denied := zoidc.ErrAccessDenied().WithDescription("access token invalid")
	t, err := s.Store.OIDCToken(ctx, tokenHash)
	if err != nil || !t.Valid(now) || t.Subject != subject {
		return denied
	}
	c, err := s.Store.OIDCClient(ctx, t.ClientID)
	if err != nil || c.Revoked() {
		return denied
	}
	a, err := s.Store.AccountByID(ctx, t.AccountID)
	if err != nil {
		return denied
	}
	info.Subject = subject
	pr, err := oidc.Recipient(s.Policy, c.Recipient)
	if err != nil {
		// The policy in force no longer declares claims for it: the
		// subject only.
		return nil
	}
	rel := oidc.Releasable(pr, t.Scopes)
	sensitive := rel.Sensitive(s.Policy)
	profiles := map[string]account.Values{}
	var fields []string
	var opened []string
	for _, cl := range rel.Claims {
		rec, field, _ := strings.Cut(cl.Field, ".")
		vals, ok := profiles[rec]
		if !ok {
			if vals, err = s.Store.Profile(ctx, a.ID, rec); err != nil {
				return err
			}
			profiles[rec] = vals
		}
		v := vals[field]
		if v == "" {
			continue
		}
		if isSensitive(sensitive, cl) {
			if s.Sealer == nil {
				return ErrUnavailable
			}
			if v, err = s.Sealer.OpenField(a.ID, rec, field, v); err != nil {
				return fmt.Errorf("oidc: open %s of %s: %w", cl.Field, a.ID, err)
			}
			opened = append(opened, cl.Field)
		}
		info.AppendClaims(cl.Name, v)
		fields = append(fields, cl.Field)
	}
	pseudonym := audit.Pseudonym(a.Pseudonym)
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if len(opened) > 0 {
			d := &store.Disclosure{ID: account.NewID("dis_"), SubjectID: a.ID, SubjectPseudonym: a.Pseudonym, Ground: pr.ID,
				Recipient: pr.Name, LegalBasis: oidc.LegalBasis(s.Policy, opened[0]), Categories: rel.Records(), Reference: "oidc:" + c.ID,
				DisclosedOn: day(now), RecordedAt: now, RecordedBy: string(audit.System("oidc"))}
			if err := tx.InsertDisclosure(ctx, d); err != nil {
				return err
			}
			if err := s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.System("oidc"), Action: audit.DisclosureRecord,
				ObjectKind: "disclosure", ObjectID: d.ID, Subject: pseudonym, Fields: opened}); err != nil {
				return err
			}
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: audit.System("oidc"), Action: audit.OIDCRelease, ObjectKind: "oidc_client", ObjectID: c.ID,
			Subject: pseudonym, Fields: append(fields, "recipient."+pr.ID)})
	})
	if err != nil {
		return fmt.Errorf("oidc: record release: %w", err)
	}
	return nil
}

func isSensitive(list []policy.Claim, c policy.Claim) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// day is the calendar day of t in UTC, as a disclosure is dated.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
