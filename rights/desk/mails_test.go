package desk_test

import (
	"cmp"
	"context"
	"steward/statement"
	"strings"
	"testing"
	"time"

	"steward/consent"
	"steward/internal/testkit"
	"steward/message"
	"steward/policy"
	"steward/rights"
	"steward/store"
)

// TestMailTextsCoverEveryRequestType: every request type has its name and
// what completing it did in every language, so no mail shows a raw key.
func TestMailTextsCoverEveryRequestType(t *testing.T) {
	c := message.Default()
	for _, typ := range rights.Types {
		for _, key := range []string{"mail.request_type." + string(typ), "mail.request_done." + string(typ)} {
			if !c.Has(key) {
				t.Errorf("the catalogue lacks %s", key)
			}
		}
	}
}

// TestRequestMailsInThePersonsLanguage: the confirmation and extension
// mails are written in the language the person gave consent in, and in
// the site's first language (Dutch) for someone who never did.
func TestRequestMailsInThePersonsLanguage(t *testing.T) {
	for _, tc := range []struct{ consentLang, verify, extend string }{
		{"en", "Confirm your request to", "Your request to"},
		{"nl", "Bevestig je verzoek aan", "Je verzoek aan"},
		{"", "Bevestig je verzoek aan", "Je verzoek aan"},
	} {
		t.Run("consent_"+tc.consentLang, func(t *testing.T) {
			ctx := context.Background()
			s := testkit.SQLite(t)
			f := newFixture(t, s, "zorginspirator", "2026-03-10")
			if tc.consentLang != "" {
				svc := consent.NewService(f.d.Policy, s, f.clk)
				if err := svc.Give(ctx, f.person.ID, consent.NewsletterPurpose, policy.ChannelSettings, tc.consentLang); err != nil {
					t.Fatal(err)
				}
			}
			r := f.add(t, rights.TypeErasure, "2026-03-09")
			if err := f.d.AskVerification(ctx, staff, r.ID); err != nil {
				t.Fatal(err)
			}
			m := newestMail(t, s)
			if !strings.HasPrefix(m.Subject, tc.verify) || !strings.Contains(m.Text, message.Text(cmp.Or(tc.consentLang, "nl"), "mail.request_type.erasure")) || !strings.Contains(m.Text, "/requests/verify?token=") {
				t.Fatalf("confirmation mail %q:\n%s", m.Subject, m.Text)
			}
			if _, err := f.d.Extend(ctx, staff, r.ID, policy.MustDuration("P2M"), "many records in two systems"); err != nil {
				t.Fatal(err)
			}
			m = newestMail(t, s)
			if !strings.HasPrefix(m.Subject, tc.extend) || !strings.Contains(m.Text, "many records in two systems") || !strings.Contains(m.Text, statement.Date(cmp.Or(tc.consentLang, "nl"), time.Date(2026, 6, 9, 0, 0, 0, 0, time.UTC))) {
				t.Fatalf("extension mail %q:\n%s", m.Subject, m.Text)
			}
			for _, placeholder := range []string{"{site}", "{type}", "{received}", "{deadline}", "{reason}"} {
				if strings.Contains(m.Subject+m.Text, placeholder) {
					t.Errorf("extension mail keeps %s", placeholder)
				}
			}
		})
	}
}

func newestMail(t *testing.T, s *store.Store) store.OutboxMail {
	t.Helper()
	mails, err := s.OutboxList(context.Background(), store.OutboxFilter{Limit: 1})
	if err != nil || len(mails) == 0 {
		t.Fatalf("no mail in the outbox: %v", err)
	}
	return mails[0]
}
