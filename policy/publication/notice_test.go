package publication_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/policy"
	"steward/policy/publication"
	"steward/store"
)

// ivmWith returns IVM's policy file with each pair replaced.
func ivmWith(t *testing.T, pairs ...[2]string) (string, *policy.Policy) {
	t.Helper()
	data, err := os.ReadFile(testkit.PolicyPath(t, "ivm"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for _, r := range pairs {
		if !strings.Contains(src, r[0]) {
			t.Fatalf("ivm.yaml has no %q", r[0])
		}
		src = strings.Replace(src, r[0], r[1], 1)
	}
	p, err := policy.Parse("ivm.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return src, p
}

var (
	monthlyNL = [2]string{"Ja, ik wil de nieuwsbrief van het IVM ontvangen.", "Ja, ik wil de maandelijkse nieuwsbrief van het IVM ontvangen."}
	monthlyEN = [2]string{"Yes, I want to receive the IVM newsletter.", "Yes, I want to receive the monthly IVM newsletter."}
)

// TestNoticeReaskFollowsEffectiveDate: a newsletter notice reworded in
// substance in a version that takes effect in ten days (advance notice)
// leaves consent given with the old words standing until that day, by
// the injected clock, and the gate says "asked again" from then on;
// consent given with the new words stands, and so does consent whose
// notice later changes only by a typo fix. Consent given under version 1
// stays asked again after that typo version too (issue 20). Both stores.
func TestNoticeReaskFollowsEffectiveDate(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		pub := &publication.Service{Store: s, Clock: clk}
		v1src, v1 := ivmWith(t)
		if _, err := pub.Publish(ctx, v1, []byte(v1src), audit.System("serve"), policy.Text{NL: "Eerste.", EN: "First."}); err != nil {
			t.Fatal(err)
		}
		if err := consent.NewService(v1, s, clk).Give(ctx, "old_words", "newsletter", policy.ChannelSettings, "nl"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		v2src, v2 := ivmWith(t, monthlyNL, monthlyEN)
		from := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
		if _, err := pub.PublishFrom(ctx, v2, []byte(v2src), audit.System("serve"), policy.Text{NL: "Maandelijks.", EN: "Monthly."}, from); err != nil {
			t.Fatal(err)
		}
		if err := consent.NewService(v2, s, clk).Give(ctx, "new_words", "newsletter", policy.ChannelSettings, "en"); err != nil {
			t.Fatal(err)
		}
		gate := func(p *policy.Policy, subject string) (bool, consent.Reason) {
			t.Helper()
			svc, err := wiring.New(wiring.Config{Policy: p, Store: s, Clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			ok, why, err := svc.Gate.Allowed(ctx, subject, "newsletter")
			if err != nil {
				t.Fatal(err)
			}
			return ok, why
		}
		if ok, why := gate(v2, "old_words"); !ok {
			t.Errorf("before the effective date the old words' consent: %s, want it to stand", why)
		}
		clk.Set(from.Add(-time.Second))
		if ok, _ := gate(v2, "old_words"); !ok {
			t.Error("a second before the effective date the old consent no longer counts")
		}
		clk.Set(from)
		if ok, why := gate(v2, "old_words"); ok || why != consent.ReasonAskedAgain {
			t.Errorf("from the effective date the old words' consent: %v %s, want asked again", ok, why)
		}
		if ok, why := gate(v2, "new_words"); !ok {
			t.Errorf("consent given with the new words: %s", why)
		}
		// Version 3 fixes a typo in the new words: nobody is asked again
		// for that, and the old words stay asked again.
		v3src, v3 := ivmWith(t, [2]string{"Ja, ik wil de nieuwsbrief van het IVM ontvangen.", "Ja, ik wil de maandelijkse nieuwsbrief van het IVM ontvangen!"}, monthlyEN)
		if _, err := pub.Publish(ctx, v3, []byte(v3src), audit.System("serve"), policy.Text{NL: "Tikfout.", EN: "Typo."}); err != nil {
			t.Fatal(err)
		}
		if ok, why := gate(v3, "new_words"); !ok {
			t.Errorf("after a typo fix the new words' consent: %s", why)
		}
		if ok, _ := gate(v3, "old_words"); ok {
			t.Error("after a typo fix the old words' consent counts again")
		}
	})
}

// TestNoticeNewsletterItem: the next newsletter issue carries an item
// "the privacy statement changed" for each version published since the
// last issue (not version 1, which changes nothing), in the issue's
// language with the summary, the date in words and, for a change
// announced in advance, from when; the issue after it carries none
// (issue 20). Both stores.
func TestNoticeNewsletterItem(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		pub := &publication.Service{Store: s, Clock: clk}
		v1src, v1 := ivmWith(t)
		if _, err := pub.Publish(ctx, v1, []byte(v1src), audit.System("serve"), policy.Text{NL: "Eerste.", EN: "First."}); err != nil {
			t.Fatal(err)
		}
		v2src, v2 := ivmWith(t, [2]string{"    since: last_login\n    period: P4Y\n", "    since: last_login\n    period: P5Y\n"})
		if _, err := pub.PublishFrom(ctx, v2, []byte(v2src), audit.System("serve"), policy.Text{NL: "Vijf jaar.", EN: "Five years."},
			time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		svc := consent.NewService(v2, s, clk)
		if err := svc.Give(ctx, "reader", "newsletter", policy.ChannelSettings, "en"); err != nil {
			t.Fatal(err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO newsletter_subscriptions (id, email, email_key, lang, notice_hash, created_at, confirmed_at)
				VALUES ('reader', 'reader@example.org', 'reader@example.org', 'en', 'x', 1, 1)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		nl := &consent.Newsletter{Consent: svc, Gate: consent.NewGate(v2, s), Clock: clk, BaseURL: "https://www.medicijngebruik.nl",
			UnsubKey: []byte("0123456789abcdef0123456789abcdef")}
		send := func(subject string) string {
			t.Helper()
			if _, err := nl.Send(ctx, consent.Issue{Subject: subject, Body: "News.", Lang: "en"}, 0, nil); err != nil {
				t.Fatal(err)
			}
			all, err := s.OutboxList(ctx, store.OutboxFilter{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range all {
				if m.Subject == subject {
					return m.Text
				}
			}
			t.Fatalf("issue %q not queued", subject)
			return ""
		}
		body := send("December")
		want := "Our privacy statement changed: version 2 of 24 November 2026, in force from 1 January 2027. Five years. Read it here: https://www.medicijngebruik.nl/privacy?lang=en"
		if !strings.Contains(body, want) || strings.Contains(body, "version 1") {
			t.Errorf("the issue's item:\n%s\nwant:\n%s", body, want)
		}
		clk.Advance(24 * time.Hour)
		if body := send("January"); strings.Contains(body, "privacy statement changed") {
			t.Errorf("the next issue repeats the item:\n%s", body)
		}
	})
}
