package runner_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"steward/audit"
	"steward/erasure"
	"steward/internal/testkit"
	"steward/retention/runner"
	"steward/store"
)

// signUp stores a newsletter sign-up without an account (R2) as the
// consent issue's table holds it, confirmed on confirmed ("" for never),
// and its newsletter consent history (given values in order).
func (e *env) signUp(id, email, created, confirmed string, consents ...bool) {
	e.t.Helper()
	ctx := context.Background()
	err := e.s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_notices (hash, lang, text, first_seen) VALUES ('h1', 'nl', 'Ja, ik wil de nieuwsbrief.', 0)
			ON CONFLICT (hash) DO NOTHING`); err != nil {
			return err
		}
		var conf any
		if confirmed != "" {
			conf = day(confirmed).UnixMilli()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO newsletter_subscriptions (id, email, email_key, fields, lang, notice_hash, created_at, confirmed_at)
			VALUES ($1, $2, $3, '{}', 'nl', 'h1', $4, $5)`, id, email, strings.ToLower(email), day(created).UnixMilli(), conf); err != nil {
			return err
		}
		return e.consents(ctx, tx, id, consents...)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// consents appends newsletter consent records of subject.
func (e *env) consents(ctx context.Context, tx *store.Tx, subject string, given ...bool) error {
	for i, g := range given {
		v := 0
		if g {
			v = 1
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_notices (hash, lang, text, first_seen) VALUES ('h1', 'nl', 'Ja, ik wil de nieuwsbrief.', 0)
			ON CONFLICT (hash) DO NOTHING`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_records (subject, purpose, given, channel, notice_hash, at, policy_version)
			VALUES ($1, 'newsletter', $2, 'newsletter_form', 'h1', $3, 'v1')`, subject, v, int64(i)); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) signUpExists(id string) bool {
	e.t.Helper()
	var n int
	if err := e.s.Read().QueryRow(`SELECT COUNT(*) FROM newsletter_subscriptions WHERE id = $1`, id).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n == 1
}

// TestNewsletterSubscriptionKeepsAccount: R9 deletes website accounts
// "without orders and without newsletter subscription" after a year. A
// sign-up lives in newsletter_subscriptions under its own id, matched to
// the account by address; an account with a standing subscription must
// not be deleted by website_account_inactive (the bug this test guards:
// the counts read only the records table).
func TestNewsletterSubscriptionKeepsAccount(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, "ivm", "2024-06-01")
		for _, id := range []string{"a_sub", "a_none", "a_unconfirmed", "a_unsubscribed", "a_settings"} {
			e.account(acct{id: id, email: id + "@example.org", created: "2019-01-01", login: "2020-01-01", confirm: "2019-01-01"})
		}
		// The address as typed at sign-up may differ in case.
		e.signUp("ns_sub", "A_Sub@Example.org", "2019-02-01", "2019-02-01", true)
		e.signUp("ns_unconfirmed", "a_unconfirmed@example.org", "2024-05-20", "")
		e.signUp("ns_unsubscribed", "a_unsubscribed@example.org", "2019-02-01", "2019-02-01", true, false)
		err := s.InTx(context.Background(), func(tx *store.Tx) error {
			return e.consents(context.Background(), tx, "a_settings", true)
		})
		if err != nil {
			t.Fatal(err)
		}

		f, err := runner.TargetFacts(context.Background(), s, "account", "a_sub")
		if err != nil {
			t.Fatal(err)
		}
		if f.Counts[store.NewsletterRecord] != 1 {
			t.Fatalf("facts of a_sub: counts %v, want one newsletter_subscription", f.Counts)
		}
		// Issue 17: the policy's own rule for a subscribed account without
		// orders acts, not website_account_inactive.
		if d, ok := e.r.Engine.DeletionDate(f, e.clk.Now()); !ok || d.Rule.ID != "website_account_newsletter_only" {
			t.Fatalf("a_sub: %+v %v, want a deletion date under website_account_newsletter_only", d, ok)
		}

		e.r.Rules = []string{"website_account_inactive"}
		plan := e.runPlan()
		if got := plan.Total().Delete; got != 3 {
			t.Fatalf("plan deletes %d, want 3 (a_none, a_unconfirmed, a_unsubscribed): %+v", got, plan.Items)
		}
		e.run()
		for id, keep := range map[string]bool{"a_sub": true, "a_settings": true, "a_none": false, "a_unconfirmed": false, "a_unsubscribed": false} {
			if e.exists(id) != keep {
				t.Errorf("%s exists = %v, want %v", id, !keep, keep)
			}
		}
		if n := len(e.entries(audit.RetentionDelete)); n != 3 {
			t.Errorf("%d retention.delete entries, want 3", n)
		}
		// A deleted account's sign-up under its confirmed address goes
		// with it (the one erasure path, Art. 17); a kept account's stays.
		if !e.signUpExists("ns_sub") || e.signUpExists("ns_unsubscribed") || e.signUpExists("ns_unconfirmed") {
			t.Errorf("sign-ups: ns_sub %v (want kept), ns_unsubscribed %v, ns_unconfirmed %v (want gone with their accounts)",
				e.signUpExists("ns_sub"), e.signUpExists("ns_unsubscribed"), e.signUpExists("ns_unconfirmed"))
		}
	})
}

// TestNewsletterUnconfirmedByRunner: the policy's newsletter_unconfirmed
// rule (R2, 30 days) acts on the sign-ups table through the runner, the
// one path, with its audit entry, and takes the sign-up's mails and
// consents with it.
func TestNewsletterUnconfirmedByRunner(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, "ivm", "2024-06-01")
		e.signUp("ns_old", "Old.Signup@example.org", "2024-05-01", "")    // 31 days: due
		e.signUp("ns_boundary", "boundary@example.org", "2024-05-02", "") // 30 days: due on the day
		e.signUp("ns_young", "young@example.org", "2024-05-03", "")       // 29 days: kept
		e.signUp("ns_confirmed", "confirmed@example.org", "2020-01-01", "2020-01-01", true)
		ctx := context.Background()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO outbox (kind, subject_id, recipient, subject, text_body, created_at, next_attempt_at, status)
				VALUES ('newsletter_confirm', 'ns_old', 'Old.Signup@example.org', 'Bevestig', 'link', 0, 0, 'failed')`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		e.r.Rules = []string{"newsletter_unconfirmed"}
		if got := e.runPlan().Total().Delete; got != 2 {
			t.Fatalf("plan deletes %d sign-ups, want 2", got)
		}
		if got := e.run().Total().Delete; got != 2 {
			t.Fatalf("run deleted %d sign-ups, want 2", got)
		}
		for id, keep := range map[string]bool{"ns_old": false, "ns_boundary": false, "ns_young": true, "ns_confirmed": true} {
			if e.signUpExists(id) != keep {
				t.Errorf("%s exists = %v, want %v", id, !keep, keep)
			}
		}
		del := e.entries(audit.RetentionDelete)
		if len(del) != 2 || del[0].ObjectKind != store.NewsletterRecord || del[0].Subject != "" {
			t.Fatalf("audit: %+v", del)
		}
		assertGone(t, s, "Old.Signup@example.org", "old.signup@example.org")
		if got := e.run().Total().Delete; got != 0 {
			t.Fatalf("second run deleted %d", got)
		}
	})
}

// TestErasureTakesTheSignUpAlong: a person who erases their account (the
// rights desk's path, store.EraseSubject — the runner's too) asked to be
// forgotten, so their newsletter sign-up under the same address, a
// separate row with its own subject id (R2), goes too, with its consents
// and their current state (Art. 17). Not when the account's address was
// never confirmed: whoever made it never showed the address is theirs,
// and the address owner's subscription stays.
func TestErasureTakesTheSignUpAlong(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, "ivm", "2024-06-01")
		e.account(acct{id: "a_anna", email: "anna@example.org", created: "2023-01-01", login: "2024-05-01", confirm: "2023-01-01"})
		e.signUp("ns_anna", "Anna@Example.org", "2023-02-01", "2023-02-01", true)
		e.account(acct{id: "a_squatter", email: "owner@example.org", created: "2023-01-01", login: "2024-05-01"})
		e.signUp("ns_owner", "owner@example.org", "2023-02-01", "2023-02-01", true)
		e.signUp("ns_other", "other@example.org", "2023-02-01", "2023-02-01", true)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, subject := range []string{"a_anna", "ns_anna"} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO consent_state (subject, purpose, given, at, notice_hash, record_id)
					VALUES ($1, 'newsletter', 1, 0, 'h1', 0)`, subject); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var erased []store.Erased
		err = s.InTx(ctx, func(tx *store.Tx) error {
			for _, id := range []string{"a_anna", "a_squatter"} {
				er, err := tx.EraseSubject(ctx, erasure.Own(e.p, e.clk.Now()), id)
				if err != nil {
					return err
				}
				erased = append(erased, er)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if e.signUpExists("ns_anna") || !e.signUpExists("ns_owner") || !e.signUpExists("ns_other") {
			t.Fatalf("sign-ups left: ns_anna %v (want gone), ns_owner %v, ns_other %v (want kept)",
				e.signUpExists("ns_anna"), e.signUpExists("ns_owner"), e.signUpExists("ns_other"))
		}
		if !slices.Contains(erased[0].Deleted, store.NewsletterRecord) || slices.Contains(erased[1].Deleted, store.NewsletterRecord) {
			t.Fatalf("erased: %+v", erased)
		}
		for _, q := range []string{`SELECT COUNT(*) FROM consent_records WHERE subject IN ('a_anna', 'ns_anna')`,
			`SELECT COUNT(*) FROM consent_state WHERE subject IN ('a_anna', 'ns_anna')`} {
			var n int
			if err := s.Read().QueryRow(q).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d rows left (%v)", q, n, err)
			}
		}
		assertGone(t, s, "anna@example.org")
	})
}
