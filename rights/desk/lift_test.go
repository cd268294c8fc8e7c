package desk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/rights/desk"
	"steward/store"
)

// TestLiftRestriction: lifting a restriction (Art. 18(3), Z8) needs a
// reason, mails the person in the transaction that lifts it — in the
// language they gave consent in, with the date it began and the reason —
// and is audited; after it the purposes run again. Lifting without a
// reason, or what is not restricted, changes nothing and mails no one.
func TestLiftRestriction(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "zorginspirator", "2026-03-10")
		ps := audit.Pseudonym(f.person.Pseudonym)
		svc := consent.NewService(f.d.Policy, s, f.clk)
		if err := svc.Give(ctx, f.person.ID, consent.NewsletterPurpose, policy.ChannelSettings, "en"); err != nil {
			t.Fatal(err)
		}
		gate := consent.NewGate(f.d.Policy, s)
		allowed := func() bool {
			t.Helper()
			ok, _, err := gate.Allowed(ctx, f.person.ID, consent.NewsletterPurpose)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}

		// Nothing restricted: a conflict, no mail, no entry.
		since := testkit.AuditHead(t, s)
		wantCode(t, f.d.LiftRestriction(ctx, f.person.ID, "dispute resolved", staff), steward.ECONFLICT)
		testkit.AssertAudit(t, s, since)

		if err := f.d.Restrict(ctx, f.person.ID, "disputes the accuracy of their job history", audit.SubjectActor(ps)); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(20 * 24 * time.Hour)
		if allowed() {
			t.Fatal("newsletter allowed while restricted")
		}
		since = testkit.AuditHead(t, s)
		for _, reason := range []string{"", "   ", strings.Repeat("x", 2001)} {
			wantCode(t, f.d.LiftRestriction(ctx, f.person.ID, reason, staff), steward.EINVALID)
		}
		wantCode(t, f.d.LiftRestriction(ctx, "a-nobody", "dispute resolved", staff), steward.ENOTFOUND)
		if mails, _ := s.OutboxList(ctx, store.OutboxFilter{}); len(mails) != 0 {
			t.Fatalf("a refused lift mailed %d", len(mails))
		}
		testkit.AssertAudit(t, s, since)
		if allowed() {
			t.Fatal("a refused lift ended the restriction")
		}

		if err := f.d.LiftRestriction(ctx, f.person.ID, "  job history checked with the employer: it was right  ", staff); err != nil {
			t.Fatal(err)
		}
		if !allowed() {
			t.Fatal("newsletter still refused after the restriction was lifted")
		}
		limits, err := s.ProcessingLimits(ctx, f.person.ID)
		if err != nil || len(limits) != 0 {
			t.Fatalf("limits after lifting: %+v %v", limits, err)
		}
		m := newestMail(t, s)
		if m.Kind != string(desk.KindRestrictionLifted) || m.SubjectID != f.person.ID || m.Recipient != f.person.Email ||
			!strings.HasPrefix(m.Subject, "Your restriction of processing at") ||
			!strings.Contains(m.Text, "Since 10 March 2026 ") || !strings.Contains(m.Text, "\njob history checked with the employer: it was right\n") {
			t.Fatalf("lift mail %s to %s %q:\n%s", m.Kind, m.Recipient, m.Subject, m.Text)
		}
		for _, placeholder := range []string{"{site}", "{since}", "{reason}"} {
			if strings.Contains(m.Subject+m.Text, placeholder) {
				t.Errorf("lift mail keeps %s", placeholder)
			}
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.AccountRestrict, Actor: staff, ObjectKind: "account",
			ObjectID: f.person.ID, Subject: ps, Fields: []string{"restriction_lifted", "lift_notice_mailed"}})
		testkit.AssertNoPersonalValues(t, s, "job history", f.person.Email)

		// Twice: the second is a conflict and mails nothing more.
		since = testkit.AuditHead(t, s)
		wantCode(t, f.d.LiftRestriction(ctx, f.person.ID, "again", staff), steward.ECONFLICT)
		if mails, _ := s.OutboxList(ctx, store.OutboxFilter{}); len(mails) != 1 {
			t.Fatalf("%d mails after a second lift, want 1", len(mails))
		}
		testkit.AssertAudit(t, s, since)
	})
}
