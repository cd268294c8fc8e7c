package desk_test

import (
	"context"
	"strings"
	"testing"

	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
	"steward/message"
	"steward/policy"
	"steward/rights"
	"steward/rights/desk"
	"steward/statement"
	"steward/store"
)

// TestRefusalTellsThePerson: refusing a request mails the person in the
// transaction that closes it (Art. 12(4)), in the language they gave
// consent in: the reason staff gave, the supervisory authority of the
// policy's complaint section with how to reach it, and that they may go
// to court. The step is on the timeline and in the audit log, which holds
// neither the reason nor the address (G2).
func TestRefusalTellsThePerson(t *testing.T) {
	for _, tc := range []struct{ lang, subject, court string }{
		{"en", "We are not granting your request to", "go to court"},
		{"nl", "We willigen je verzoek aan", "naar de rechter"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				f := newFixture(t, s, "zorginspirator", "2026-03-10")
				ps := audit.Pseudonym(f.person.Pseudonym)
				if err := consent.NewService(f.d.Policy, s, f.clk).Give(ctx, f.person.ID, consent.NewsletterPurpose, policy.ChannelSettings, tc.lang); err != nil {
					t.Fatal(err)
				}
				r := f.add(t, rights.TypeErasure, "2026-03-02")
				since := testkit.AuditHead(t, s)
				reason := "We must keep your invoices for seven years (Dutch tax law)."
				if _, err := f.d.Refuse(ctx, staff, r.ID, "  "+reason+"  "); err != nil {
					t.Fatal(err)
				}
				m := newestMail(t, s)
				c := f.d.Policy.Rights.Complaint
				if m.Kind != string(desk.KindRequestRefused) || m.Recipient != f.person.Email || m.SubjectID != f.person.ID ||
					!strings.HasPrefix(m.Subject, tc.subject) || !strings.Contains(m.Text, "\n"+reason+"\n") ||
					!strings.Contains(m.Text, c.Authority) || !strings.Contains(m.Text, c.URL) || !strings.Contains(m.Text, c.Phone) ||
					!strings.Contains(m.Text, tc.court) || !strings.Contains(m.Text, statement.Date(tc.lang, day("2026-03-02"))) ||
					!strings.Contains(m.Text, message.Text(tc.lang, "mail.request_type.erasure")) {
					t.Fatalf("refusal mail %s to %s %q:\n%s", m.Kind, m.Recipient, m.Subject, m.Text)
				}
				for _, placeholder := range []string{"{site}", "{type}", "{received}", "{reason}", "{authority}", "{contact}"} {
					if strings.Contains(m.Subject+m.Text, placeholder) {
						t.Errorf("refusal mail keeps %s", placeholder)
					}
				}
				it, err := f.d.Request(ctx, r.ID, "")
				if err != nil {
					t.Fatal(err)
				}
				if n := len(it.Steps); n != 3 || it.Steps[1].Kind != rights.StepRefused || it.Steps[2].Kind != rights.StepAnswerMailed ||
					!strings.HasPrefix(it.Steps[2].Note, "outbox mail ") {
					t.Fatalf("timeline %+v, want received, refused, answer_mailed", it.Steps)
				}
				testkit.AssertAudit(t, s, since,
					testkit.AuditWant{Action: audit.RequestClose, Actor: staff, ObjectID: r.ID, Subject: ps, Fields: []string{"status"}},
					testkit.AuditWant{Action: audit.RequestStep, Actor: staff, ObjectID: r.ID, Subject: ps, Fields: []string{"answer_mailed"}})
				testkit.AssertNoPersonalValues(t, s, "invoices for seven years", f.person.Email)
			})
		})
	}
}

// TestCompletionTellsThePerson: completing a request mails the person
// that it was handled and what was done — what the desk did for its type,
// the purpose by its name, and staff's outcome — in their language.
func TestCompletionTellsThePerson(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "zorginspirator", "2026-03-10")
		if err := consent.NewService(f.d.Policy, s, f.clk).Give(ctx, f.person.ID, consent.NewsletterPurpose, policy.ChannelSettings, "en"); err != nil {
			t.Fatal(err)
		}
		r, err := f.d.Add(ctx, staff, rights.NewRequest{SubjectID: f.person.ID, Type: rights.TypeObjection, Channel: rights.ChannelPhone,
			ReceivedOn: day("2026-03-03"), Purpose: "usability"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.d.VerifyManually(ctx, staff, r.ID, "called back on the number in the account"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.d.Complete(ctx, staff, r.ID, "Your visits are no longer counted in our usability statistics."); err != nil {
			t.Fatal(err)
		}
		m := newestMail(t, s)
		name := f.d.Policy.Purpose("usability").Name.In("en")
		if m.Kind != string(desk.KindRequestCompleted) || m.Recipient != f.person.Email ||
			!strings.HasPrefix(m.Subject, "Your request to") || !strings.Contains(m.Text, "3 March 2026") ||
			!strings.Contains(m.Text, "for this purpose: "+name+".") ||
			!strings.Contains(m.Text, "\nYour visits are no longer counted in our usability statistics.\n") {
			t.Fatalf("completion mail %s %q:\n%s", m.Kind, m.Subject, m.Text)
		}
		if strings.Contains(m.Text, "{") {
			t.Errorf("completion mail keeps a placeholder:\n%s", m.Text)
		}
		it, _ := f.d.Request(ctx, r.ID, "")
		if last := it.Steps[len(it.Steps)-1]; last.Kind != rights.StepAnswerMailed {
			t.Fatalf("last step %s, want answer_mailed", last.Kind)
		}
	})
}

// TestAnswerWithoutAddress: a person whose account is erased has no
// address left: completing their erasure request, or refusing another of
// their requests afterwards, mails nothing, and the timeline says why.
// Both sites: IVM deletes the account, Zorginspirator anonymises it (Z9).
func TestAnswerWithoutAddress(t *testing.T) {
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				f := newFixture(t, s, site, "2026-03-10")
				erase := f.add(t, rights.TypeErasure, "2026-03-09")
				other := f.add(t, rights.TypeAccess, "2026-03-09")
				if _, err := f.d.VerifyManually(ctx, staff, erase.ID, "identity card shown at the desk"); err != nil {
					t.Fatal(err)
				}
				if _, err := f.d.Complete(ctx, staff, erase.ID, "account erased"); err != nil {
					t.Fatal(err)
				}
				since := testkit.AuditHead(t, s)
				if _, err := f.d.Refuse(ctx, staff, other.ID, "the account no longer exists"); err != nil {
					t.Fatal(err)
				}
				if mails, _ := s.OutboxList(ctx, store.OutboxFilter{}); len(mails) != 0 {
					t.Fatalf("%d mails to an erased person: %q", len(mails), mails[0].Subject)
				}
				for _, id := range []string{erase.ID, other.ID} {
					it, err := f.d.Request(ctx, id, "")
					if err != nil {
						t.Fatal(err)
					}
					last := it.Steps[len(it.Steps)-1]
					if last.Kind != rights.StepAnswerNotMailed || !strings.Contains(last.Note, "no address") {
						t.Fatalf("request %s: last step %+v, want answer_not_mailed saying there is no address", id, last)
					}
				}
				testkit.AssertAudit(t, s, since,
					testkit.AuditWant{Action: audit.RequestClose, Actor: staff, ObjectID: other.ID},
					testkit.AuditWant{Action: audit.RequestStep, Actor: staff, ObjectID: other.ID, Fields: []string{"answer_not_mailed"}})
			})
		})
	}
}
