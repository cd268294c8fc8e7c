package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"steward"
	"steward/internal/testkit"
	"steward/store"
)

var outboxT0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func sampleMail(subject string) store.OutboxMail {
	return store.OutboxMail{
		Kind:      "verify",
		SubjectID: subject,
		Recipient: "Jan <jan@example.org>",
		Subject:   "Bevestig je e-mailadres",
		Text:      "Klik: https://example.org/verify?t=abc",
		HTML:      "<p>Klik</p>",
		Headers:   map[string]string{"List-Id": "<ivm.example.org>"},
		CreatedAt: outboxT0,
	}
}

func enqueueSample(t *testing.T, s *store.Store, m store.OutboxMail) int64 {
	t.Helper()
	var id int64
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = tx.EnqueueMail(context.Background(), m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestOutboxEnqueue(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t.Run("rolled_back_transaction_leaves_nothing", func(t *testing.T) {
			boom := errors.New("sign-up failed after the mail was queued")
			err := s.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.EnqueueMail(ctx, sampleMail("acct-1")); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			got, err := s.OutboxList(ctx, store.OutboxFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 0 {
				t.Fatalf("outbox holds %d mails from a rolled-back transaction", len(got))
			}
		})
		t.Run("committed_mail_reads_back_whole", func(t *testing.T) {
			want := sampleMail("acct-2")
			id := enqueueSample(t, s, want)
			got, err := s.OutboxMailByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want.ID, want.Status, want.NextAttemptAt = id, store.MailPending, outboxT0
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
		t.Run("unknown_id_is_not_found", func(t *testing.T) {
			_, err := s.OutboxMailByID(ctx, 999999)
			if steward.ErrorCode(err) != steward.ENOTFOUND {
				t.Fatalf("err = %v, want not found", err)
			}
		})
	})
}

func TestOutboxClaim(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		early := sampleMail("a")
		late := sampleMail("b")
		late.NextAttemptAt = outboxT0.Add(time.Hour)
		idEarly := enqueueSample(t, s, early)
		idLate := enqueueSample(t, s, late)

		c1, err := s.ClaimDueMail(ctx, outboxT0, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(c1.Mails) != 1 || c1.Mails[0].ID != idEarly {
			t.Fatalf("claim at t0 got %v, want only mail %d (the other is not due)", mailIDs(c1.Mails), idEarly)
		}
		c2, err := s.ClaimDueMail(ctx, outboxT0, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(c2.Mails) != 0 {
			t.Fatalf("a claimed mail was claimed again: %v", mailIDs(c2.Mails))
		}

		// The first dispatcher died; once its lease ends another takes over.
		c3, err := s.ClaimDueMail(ctx, outboxT0.Add(2*time.Hour), time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(mailIDs(c3.Mails)) != fmt.Sprint([]int64{idEarly, idLate}) {
			t.Fatalf("claim after the lease got %v, want [%d %d] in due order", mailIDs(c3.Mails), idEarly, idLate)
		}
		if err := s.MarkMailSent(ctx, c1.Token, idEarly, outboxT0); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("the old claim recorded an outcome: err = %v, want ErrLeaseLost", err)
		}
		at := outboxT0.Add(2 * time.Hour)
		if err := s.MarkMailSent(ctx, c3.Token, idEarly, at); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkMailRetry(ctx, c3.Token, idLate, at, at.Add(time.Minute), "451 try later"); err != nil {
			t.Fatal(err)
		}
		sent, _ := s.OutboxMailByID(ctx, idEarly)
		if sent.Status != store.MailSent || !sent.SentAt.Equal(at) || sent.Attempts != 1 {
			t.Fatalf("sent mail: %+v", sent)
		}
		retry, _ := s.OutboxMailByID(ctx, idLate)
		if retry.Status != store.MailPending || retry.Attempts != 1 || !retry.NextAttemptAt.Equal(at.Add(time.Minute)) || retry.LastError != "451 try later" {
			t.Fatalf("retried mail: %+v", retry)
		}
		c4, _ := s.ClaimDueMail(ctx, at.Add(30*time.Second), time.Minute, 10)
		if len(c4.Mails) != 0 {
			t.Fatalf("mail claimed before its retry time: %v", mailIDs(c4.Mails))
		}
		c5, _ := s.ClaimDueMail(ctx, at.Add(time.Minute), time.Minute, 10)
		if len(c5.Mails) != 1 {
			t.Fatalf("mail not claimed at its retry time: %v", mailIDs(c5.Mails))
		}
		if err := s.MarkMailFailed(ctx, c5.Token, idLate, at.Add(time.Minute), "550 unknown user"); err != nil {
			t.Fatal(err)
		}
		failed, _ := s.OutboxMailByID(ctx, idLate)
		if failed.Status != store.MailFailed || failed.Attempts != 2 {
			t.Fatalf("failed mail: %+v", failed)
		}
	})
}

// TestOutboxClaimPersonalMailBeforeBulk has a newsletter of many mails fall
// due before one person's verification mail: the claim still takes the
// verification mail first, then the bulk mail in due order.
func TestOutboxClaimPersonalMailBeforeBulk(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var bulk []int64
		for i := range 5 {
			m := sampleMail(fmt.Sprintf("subscriber-%d", i))
			m.Kind, m.Bulk = "newsletter", true
			m.CreatedAt = outboxT0.Add(time.Duration(i) * time.Second)
			bulk = append(bulk, enqueueSample(t, s, m))
		}
		verify := sampleMail("new-account")
		verify.CreatedAt = outboxT0.Add(time.Minute)
		idVerify := enqueueSample(t, s, verify)

		now := outboxT0.Add(2 * time.Minute)
		c1, err := s.ClaimDueMail(ctx, now, time.Minute, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(mailIDs(c1.Mails)), fmt.Sprint([]int64{idVerify, bulk[0]}); got != want {
			t.Fatalf("first claim = %s, want %s (the personal mail first, then the earliest bulk mail)", got, want)
		}
		if c1.Mails[0].Bulk || !c1.Mails[1].Bulk {
			t.Fatalf("bulk flags read back wrong: %+v", c1.Mails)
		}
		c2, err := s.ClaimDueMail(ctx, now, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(mailIDs(c2.Mails)), fmt.Sprint(bulk[1:]); got != want {
			t.Fatalf("second claim = %s, want %s", got, want)
		}
	})
}

// TestOutboxClaimRace has two processes (two Stores on one database) claim
// at once: every mail goes to exactly one of them.
func TestOutboxClaimRace(t *testing.T) {
	forEachStoreTwice(t, func(t *testing.T, a, b *store.Store) {
		ctx := context.Background()
		const n = 60
		for i := range n {
			enqueueSample(t, a, sampleMail(fmt.Sprint("acct-", i)))
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for _, s := range []*store.Store{a, b, a, b} {
			wg.Go(func() {
				for {
					c, err := s.ClaimDueMail(ctx, outboxT0, time.Hour, 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(c.Mails) == 0 {
						return
					}
					mu.Lock()
					for _, m := range c.Mails {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d distinct mails, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("mail %d claimed %d times", id, k)
			}
		}
	})
}

func TestDropOutboxFor(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		enqueueSample(t, s, sampleMail("gone"))
		enqueueSample(t, s, sampleMail("gone"))
		keep := enqueueSample(t, s, sampleMail("stays"))
		var n int64
		err := s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			n, err = tx.DropOutboxFor(ctx, "gone")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		left, _ := s.OutboxList(ctx, store.OutboxFilter{})
		if n != 2 || len(left) != 1 || left[0].ID != keep {
			t.Fatalf("dropped %d, left %v; want 2 dropped and only %d left", n, mailIDs(left), keep)
		}
	})
}

// TestDropUnsentMail: withdrawing newsletter consent drops the person's
// newsletter issues that wait in the outbox — due, or waiting for a retry,
// or left by a dispatcher whose lease ran out — and nothing else: not an
// issue a dispatcher holds right now (in flight, it may already be with
// the SMTP server, and its outcome is still recorded), not one already
// sent, not another kind of mail, not someone else's.
func TestDropUnsentMail(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		issue := func(subject string) store.OutboxMail {
			m := sampleMail(subject)
			m.Kind, m.Bulk = "newsletter", true
			return m
		}
		claimOne := func(at time.Time) store.Claim {
			t.Helper()
			c, err := s.ClaimDueMail(ctx, at, 10*time.Minute, 1)
			if err != nil || len(c.Mails) != 1 {
				t.Fatalf("claim: %v %v", mailIDs(c.Mails), err)
			}
			return c
		}
		inFlight := enqueueSample(t, s, issue("anna"))
		held := claimOne(outboxT0)
		retrying := enqueueSample(t, s, issue("anna"))
		c := claimOne(outboxT0)
		if err := s.MarkMailRetry(ctx, c.Token, retrying, outboxT0, outboxT0.Add(time.Minute), "451 try later"); err != nil {
			t.Fatal(err)
		}
		sent := enqueueSample(t, s, issue("anna"))
		c = claimOne(outboxT0)
		if err := s.MarkMailSent(ctx, c.Token, sent, outboxT0); err != nil {
			t.Fatal(err)
		}
		due := enqueueSample(t, s, issue("anna"))
		verify := enqueueSample(t, s, sampleMail("anna"))
		other := enqueueSample(t, s, issue("piet"))

		drop := func(at time.Time) int64 {
			t.Helper()
			var n int64
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				n, err = tx.DropUnsentMail(ctx, "anna", "newsletter", at)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := drop(outboxT0.Add(time.Minute)); n != 2 {
			t.Fatalf("dropped %d, want 2 (the due issue and the one waiting for a retry)", n)
		}
		left, _ := s.OutboxList(ctx, store.OutboxFilter{})
		if got, want := fmt.Sprint(mailIDs(left)), fmt.Sprint([]int64{other, verify, sent, inFlight}); got != want {
			t.Fatalf("left %s, want %s", got, want)
		}
		for _, id := range []int64{due, retrying} {
			if _, err := s.OutboxMailByID(ctx, id); steward.ErrorCode(err) != steward.ENOTFOUND {
				t.Errorf("mail %d was not dropped: %v", id, err)
			}
		}
		// The mail in flight is delivered and recorded as usual.
		if err := s.MarkMailSent(ctx, held.Token, inFlight, outboxT0.Add(time.Minute)); err != nil {
			t.Fatalf("the in-flight issue could not be marked sent: %v", err)
		}
		rest, err := s.ClaimDueMail(ctx, outboxT0.Add(time.Minute), 10*time.Minute, 10)
		if err != nil || len(rest.Mails) != 2 {
			t.Fatalf("claim the rest: %v %v", mailIDs(rest.Mails), err)
		}
		for _, m := range rest.Mails {
			if err := s.MarkMailSent(ctx, rest.Token, m.ID, outboxT0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		// A dispatcher that died leaves its mail claimed; once the lease
		// has run out nothing holds it, and it is dropped.
		orphan := enqueueSample(t, s, issue("anna"))
		dead := claimOne(outboxT0.Add(time.Minute))
		if n := drop(outboxT0.Add(5 * time.Minute)); n != 0 {
			t.Fatalf("dropped %d mails while a lease still held them", n)
		}
		if n := drop(outboxT0.Add(12 * time.Minute)); n != 1 {
			t.Fatalf("dropped %d after the lease ran out, want 1", n)
		}
		if err := s.MarkMailSent(ctx, dead.Token, orphan, outboxT0.Add(13*time.Minute)); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("the dead dispatcher recorded an outcome for a dropped mail: %v", err)
		}
	})
}

// TestClaimDropsMailingsOfLimited: a restriction of processing (every
// purpose) or an objection to the newsletter or the research panel set
// after an issue or a panel invitation was queued keeps it from going
// out: the claim deletes such mail instead of taking it. Other mail to
// the same person, a mailing of another purpose than the one objected to
// (a newsletter issue to a panel objector, a panel invitation to a
// newsletter objector), and an issue already in flight when the limit was
// set are left alone.
func TestClaimDropsMailingsOfLimited(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mailing := func(kind string) func(subject string) int64 {
			return func(subject string) int64 {
				m := sampleMail(subject)
				m.Kind, m.Bulk = kind, true
				return enqueueSample(t, s, m)
			}
		}
		issue, invite := mailing("newsletter"), mailing("panel_invitation")
		flying := issue("flying")
		held, err := s.ClaimDueMail(ctx, outboxT0, 10*time.Minute, 10)
		if err != nil || len(held.Mails) != 1 {
			t.Fatalf("claim: %v %v", mailIDs(held.Mails), err)
		}
		restricted := issue("restricted")
		personal := enqueueSample(t, s, sampleMail("restricted"))
		objected := issue("objected")
		otherPurpose := issue("panel-objector")
		free := issue("free")
		restrictedInvite := invite("restricted")
		panelObjectorInvite := invite("panel-objector")
		newsletterObjectorInvite := invite("objected")
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, l := range []store.ProcessingLimit{
				{Subject: "restricted", Kind: "restriction", Purpose: "*"},
				{Subject: "objected", Kind: "objection", Purpose: "newsletter"},
				{Subject: "panel-objector", Kind: "objection", Purpose: "research_panel"},
				{Subject: "flying", Kind: "restriction", Purpose: "*"},
			} {
				l.Since = outboxT0
				if err := tx.SetProcessingLimit(ctx, l); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		c, err := s.ClaimDueMail(ctx, outboxT0.Add(time.Minute), 10*time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(mailIDs(c.Mails)), fmt.Sprint([]int64{personal, otherPurpose, free, newsletterObjectorInvite}); got != want {
			t.Fatalf("claimed %s, want %s", got, want)
		}
		for _, id := range []int64{restricted, objected, restrictedInvite, panelObjectorInvite} {
			if _, err := s.OutboxMailByID(ctx, id); steward.ErrorCode(err) != steward.ENOTFOUND {
				t.Errorf("issue %d of a limited person is still in the outbox: %v", id, err)
			}
		}
		if err := s.MarkMailSent(ctx, held.Token, flying, outboxT0.Add(time.Minute)); err != nil {
			t.Fatalf("the issue in flight when the restriction came was not kept: %v", err)
		}
	})
}

func TestPruneSent(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		oldSent := enqueueSample(t, s, sampleMail("a"))
		newSent := enqueueSample(t, s, sampleMail("b"))
		oldFailed := enqueueSample(t, s, sampleMail("c"))
		pending := enqueueSample(t, s, sampleMail("d"))
		c, err := s.ClaimDueMail(ctx, outboxT0, time.Hour, 3)
		if err != nil || len(c.Mails) != 3 {
			t.Fatalf("claim: %v, %d mails", err, len(c.Mails))
		}
		day := 24 * time.Hour
		mustRecord(t, s.MarkMailSent(ctx, c.Token, oldSent, outboxT0))
		mustRecord(t, s.MarkMailSent(ctx, c.Token, newSent, outboxT0.Add(40*day)))
		mustRecord(t, s.MarkMailFailed(ctx, c.Token, oldFailed, outboxT0, "gave up"))

		n, err := s.PruneSent(ctx, outboxT0.Add(30*day))
		if err != nil {
			t.Fatal(err)
		}
		left, _ := s.OutboxList(ctx, store.OutboxFilter{})
		if n != 2 || fmt.Sprint(mailIDs(left)) != fmt.Sprint([]int64{pending, newSent}) {
			t.Fatalf("pruned %d, left %v; want 2 pruned and [%d %d] left", n, mailIDs(left), pending, newSent)
		}
	})
}

func TestOutboxListFilters(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var all []int64
		for i := range 5 {
			all = append(all, enqueueSample(t, s, sampleMail(fmt.Sprint(i))))
		}
		c, _ := s.ClaimDueMail(ctx, outboxT0, time.Hour, 1)
		mustRecord(t, s.MarkMailSent(ctx, c.Token, c.Mails[0].ID, outboxT0))
		got, err := s.OutboxList(ctx, store.OutboxFilter{Status: store.MailPending, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(mailIDs(got)) != fmt.Sprint([]int64{all[4], all[3]}) {
			t.Fatalf("pending, limit 2: got %v, want the two newest", mailIDs(got))
		}
		got, _ = s.OutboxList(ctx, store.OutboxFilter{Status: store.MailSent})
		if fmt.Sprint(mailIDs(got)) != fmt.Sprint([]int64{all[0]}) {
			t.Fatalf("sent: got %v, want [%d]", mailIDs(got), all[0])
		}
		if _, err := store.ParseMailStatus("bounced"); steward.ErrorCode(err) != steward.EINVALID {
			t.Fatalf("ParseMailStatus(bounced) = %v, want invalid", err)
		}
	})
}

func mailIDs(ms []store.OutboxMail) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func mustRecord(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// forEachStoreTwice runs fn on SQLite and PostgreSQL with two Stores opened on
// the same database, as two processes would have.
func forEachStoreTwice(t *testing.T, fn func(t *testing.T, a, b *store.Store)) {
	t.Helper()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := ""
			if engine == "sqlite" {
				dsn = testkit.SQLiteDSN(t)
			} else {
				dsn = testkit.PostgresDSN(t)
			}
			var pair [2]*store.Store
			for i := range pair {
				s, err := store.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if _, err := s.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				pair[i] = s
			}
			fn(t, pair[0], pair[1])
		})
	}
}
