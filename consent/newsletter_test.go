package consent_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

// seedAccounts gives n accounts newsletter consent (Zorginspirator: via
// sign-up) straight in the store, in few transactions.
func seedAccounts(t testing.TB, s *store.Store, svc *consent.Service, n int) {
	ctx := context.Background()
	notice := consent.Notice(svc.Policy.Purpose("newsletter"), "nl")
	for start := 0; start < n; start += 5000 {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.SaveConsentNotice(ctx, store.ConsentNotice{Hash: consent.NoticeHash(notice), Lang: "nl", Text: notice, FirstSeen: t0}); err != nil {
				return err
			}
			for i := start; i < min(n, start+5000); i++ {
				id := fmt.Sprintf("acc%06d", i)
				if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, email, email_key, pseudonym, created_at) VALUES ($1, $2, $2, $3, $4)`,
					id, id+"@example.org", fmt.Sprintf("ps_%032d", i), t0.UnixMilli()); err != nil {
					return err
				}
				if _, err := tx.AppendConsent(ctx, store.ConsentRecord{Subject: id, Purpose: "newsletter", Given: true, Channel: "signup",
					NoticeHash: consent.NoticeHash(notice), At: t0, PolicyVersion: "1"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func newsletter(svc *consent.Service, s *store.Store, clk clock.Clock) *consent.Newsletter {
	return &consent.Newsletter{Consent: svc, Gate: consent.NewGate(svc.Policy, s), Clock: clk, BaseURL: "https://zorginspirator.example",
		UnsubKey: []byte("0123456789abcdef0123456789abcdef")}
}

// TestWithdrawalMidSend: a run that is already going skips a person who
// withdrew a moment ago (Art. 7(3), Z8), and a resumed run mails no one
// twice.
func TestWithdrawalMidSend(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, clk := newService(t, s, "zorginspirator")
		seedAccounts(t, s, svc, 4)
		nl := newsletter(svc, s, clk)
		batches := 0
		rep, err := nl.Send(ctx, consent.Issue{Subject: "Nieuws", Body: "Hallo", Lang: "nl"}, 1, func(consent.SendReport) {
			batches++
			if batches == 1 {
				clk.Advance(time.Second)
				must(t, svc.Withdraw(ctx, "acc000002", "newsletter", policy.ChannelSettings, "nl"))
			}
		})
		must(t, err)
		if rep.Enqueued != 3 {
			t.Errorf("report %+v, want 3 enqueued", rep)
		}
		var mailed []string
		rows, _ := s.Read().Query(`SELECT subject_id FROM outbox WHERE kind = 'newsletter' ORDER BY subject_id`)
		for rows.Next() {
			var id string
			rows.Scan(&id)
			mailed = append(mailed, id)
		}
		rows.Close()
		if fmt.Sprint(mailed) != "[acc000000 acc000001 acc000003]" {
			t.Fatalf("mailed %v; the person who withdrew mid-send must be skipped", mailed)
		}
	})
}

func TestSendResumesWithoutDuplicates(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		svc, clk := newService(t, s, "zorginspirator")
		seedAccounts(t, s, svc, 5)
		nl := newsletter(svc, s, clk)
		is := consent.Issue{Subject: "Nieuws", Body: "Hallo", Lang: "nl"}
		_, err := nl.Send(ctx, is, 2, func(r consent.SendReport) { cancel() }) // interrupted after the first batch
		if err == nil {
			t.Fatal("an interrupted run reported success")
		}
		rep, err := nl.Send(context.Background(), is, 2, nil)
		must(t, err)
		if !rep.Resumed || rep.Already != 2 || rep.Enqueued != 3 {
			t.Fatalf("resumed run %+v, want resumed with 2 already reached and 3 new", rep)
		}
		var n, bulk int
		s.Read().QueryRow(`SELECT COUNT(*), COALESCE(SUM(bulk), 0) FROM outbox WHERE kind = 'newsletter'`).Scan(&n, &bulk)
		if n != 5 {
			t.Fatalf("%d mails for 5 people", n)
		}
		if bulk != n {
			t.Fatalf("%d of %d newsletter mails marked bulk: a newsletter would hold up sign-up mail", bulk, n)
		}
	})
}

// BenchmarkAllowedCached measures the gate answering from the per-request
// cache (goal < 5 µs).
func BenchmarkAllowedCached(b *testing.B) {
	s := testkit.SQLite(b)
	svc := consent.NewService(testkit.Policy(b, "zorginspirator"), s, clock.NewFixed(t0))
	must(b, svc.Give(context.Background(), "a1", "newsletter", policy.ChannelSignup, "nl"))
	gate := consent.NewGate(svc.Policy, s)
	ctx := consent.WithCache(context.Background())
	gate.Allowed(ctx, "a1", "newsletter")
	b.ResetTimer()
	for b.Loop() {
		if ok, _, err := gate.Allowed(ctx, "a1", "newsletter"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkNewsletterPlan100k plans a send to 100,000 recipients on SQLite,
// checking the gate's rule for each (goal < 1 s).
func BenchmarkNewsletterPlan100k(b *testing.B) {
	s := testkit.SQLite(b)
	svc := consent.NewService(testkit.Policy(b, "zorginspirator"), s, clock.NewFixed(t0))
	seedAccounts(b, s, svc, 100000)
	nl := newsletter(svc, s, clock.NewFixed(t0))
	b.ResetTimer()
	for b.Loop() {
		ok, _, err := nl.Plan(context.Background(), 0)
		if err != nil || ok != 100000 {
			b.Fatal(ok, err)
		}
	}
	b.ReportMetric(100000/(b.Elapsed().Seconds()/float64(b.N)), "recipients/s")
}

// TestSendingAnIssueAgainReachesOnlyTheNew: re-running a finished send of
// the same issue mailed everyone a second time (60,000 → 120,000; issue
// 14, finding 10). An issue — language, subject, body — now reaches each
// person once: a second run mails only who subscribed since, and only
// --resend (Issue.Resend) mails everyone again.
func TestSendingAnIssueAgainReachesOnlyTheNew(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, clk := newService(t, s, "zorginspirator")
		seedAccounts(t, s, svc, 3)
		nl := newsletter(svc, s, clk)
		is := consent.Issue{Subject: "Nieuws", Body: "Hallo", Lang: "nl"}
		count := func() int {
			var n int
			s.Read().QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'newsletter'`).Scan(&n)
			return n
		}
		rep, err := nl.Send(ctx, is, 2, nil)
		must(t, err)
		if rep.Enqueued != 3 {
			t.Fatalf("first run %+v, want 3 enqueued", rep)
		}
		rep, err = nl.Send(ctx, is, 2, nil)
		must(t, err)
		if rep.Resumed || rep.Enqueued != 0 || rep.Already != 3 || count() != 3 {
			t.Fatalf("the same issue again: %+v, %d mails; want a new run that reaches no one twice", rep, count())
		}
		other := is
		other.Body = "Hallo, met een correctie"
		rep, err = nl.Send(ctx, other, 2, nil)
		must(t, err)
		if rep.Enqueued != 3 {
			t.Fatalf("another issue: %+v, want everyone", rep)
		}
		again := is
		again.Resend = true
		rep, err = nl.Send(ctx, again, 2, nil)
		must(t, err)
		if rep.Enqueued != 3 || count() != 9 {
			t.Fatalf("--resend: %+v, %d mails; want everyone again", rep, count())
		}
	})
}
