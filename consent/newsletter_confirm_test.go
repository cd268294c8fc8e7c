package consent_test

import (
	"context"
	"net/url"
	"regexp"
	"testing"
	"time"

	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

var confirmTokenRE = regexp.MustCompile(`/newsletter/confirm\?token=([^\s&]+)`)

// TestNewsletterConsentAtConfirmationWithSubmittedNotice: a newsletter
// sign-up without an account (R2) is no consent until the address owner
// confirms it (double opt-in): nothing is recorded at submission and the
// gate refuses. At confirmation one record is written, channel
// newsletter_form, with the hash of the notice shown at submission, whose
// words are kept, even when the policy's notice changed in between
// (Art. 7(1): the controller can show what was agreed to).
func TestNewsletterConsentAtConfirmationWithSubmittedNotice(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, clk := newService(t, s, "ivm")
		nl := newsletter(svc, s, clk)
		values := map[string]string{}
		for _, f := range nl.Form() {
			values[f.ID] = "Anna"
			if f.Type == policy.TypeEmail {
				values[f.ID] = "anna@example.org"
			}
		}
		purpose := svc.Policy.Purpose(consent.NewsletterPurpose)
		submitted := consent.Notice(purpose, "en")
		id, err := nl.SignUp(ctx, values, "en")
		must(t, err)

		// Before confirmation: no consent record, no consent.
		if h, err := svc.History(ctx, id); err != nil || len(h) != 0 {
			t.Fatalf("history at submission: %+v, %v; want none", h, err)
		}
		if ok, why, err := nl.Gate.Allowed(ctx, id, consent.NewsletterPurpose); err != nil || ok {
			t.Fatalf("gate before confirmation: %v %s %v; want refused", ok, why, err)
		}

		// The policy's notice changes before the person clicks the link.
		purpose.Consent.Notice = policy.Text{NL: "Nieuwe tekst.", EN: "New wording."}
		clk.Advance(2 * time.Hour)
		var body string
		must(t, s.Read().QueryRowContext(ctx, `SELECT text_body FROM outbox WHERE subject_id = $1`, id).Scan(&body))
		m := confirmTokenRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no confirmation link in the mail:\n%s", body)
		}
		token, _ := url.QueryUnescape(m[1])
		if _, err := nl.Confirm(ctx, token); err != nil {
			t.Fatal(err)
		}

		h, err := svc.History(ctx, id)
		if err != nil || len(h) != 1 {
			t.Fatalf("history after confirmation: %+v, %v; want one record", h, err)
		}
		r := h[0]
		if !r.Given || r.Channel != policy.ChannelNewsletter || r.NoticeHash != consent.NoticeHash(submitted) || !r.At.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("record %+v; want given through newsletter_form at confirmation with the hash of the notice shown at submission", r)
		}
		notices, err := s.ConsentNotices(ctx, []string{r.NoticeHash})
		if err != nil || notices[r.NoticeHash].Text != submitted {
			t.Errorf("the words agreed to are not kept: %+v, %v", notices, err)
		}
		if ok, _, err := nl.Gate.Allowed(ctx, id, consent.NewsletterPurpose); err != nil || !ok {
			t.Errorf("gate after confirmation: %v %v; want allowed", ok, err)
		}
		// A replayed link changes nothing.
		if _, err := nl.Confirm(ctx, token); err == nil {
			t.Error("a used confirmation link worked again")
		}
		if h, _ := svc.History(ctx, id); len(h) != 1 {
			t.Errorf("%d records after a replayed link, want 1", len(h))
		}
	})
}

// TestRecordRefusesAnUnkeptNotice: a change that names an earlier
// wording must name one that is kept; otherwise nothing is written.
func TestRecordRefusesAnUnkeptNotice(t *testing.T) {
	s := testkit.SQLite(t)
	svc, _ := newService(t, s, "ivm")
	_, err := svc.Apply(context.Background(), consent.Change{Subject: "ns_1", Purpose: consent.NewsletterPurpose, Given: true,
		Channel: policy.ChannelNewsletter, Lang: "nl", NoticeHash: consent.NoticeHash("words never shown")})
	if err == nil {
		t.Fatal("a record pointing at an unkept notice was written")
	}
	if h, _ := svc.History(context.Background(), "ns_1"); len(h) != 0 {
		t.Fatalf("%d records written", len(h))
	}
}
