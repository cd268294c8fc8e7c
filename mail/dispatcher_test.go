package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/clock"
	"steward/internal/testkit"
	"steward/mail"
	"steward/store"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// verifyURL is longer than a quoted-printable line (76), so the encoder must
// break it with soft line breaks that decoding removes again.
var verifyURL = "https://ivm.example.org/account/verify?token=" + strings.Repeat("Zm9vYmFy", 16) + "&lang=nl"

func verifyMessage(subject string) mail.Message {
	return mail.Message{
		Kind:      mail.KindVerify,
		SubjectID: subject,
		To:        "Jan Jansen <jan.jansen@example.org>",
		Subject:   "Bevestig je e-mailadres – IVM",
		Text:      "Beste Jan,\n\nBevestig je e-mailadres met deze link:\n" + verifyURL + "\n\nGroet, IVM\n",
		HTML:      `<p>Beste Jan,</p><p><a href="` + verifyURL + `">Bevestig je e-mailadres</a></p>`,
	}
}

// rig is a dispatcher wired to a capture server with a fixed clock and a
// captured log.
type rig struct {
	store *store.Store
	smtp  *testkit.SMTPServer
	clock *clock.Fixed
	d     *mail.Dispatcher
	log   *lockedBuffer
}

func newRig(t *testing.T, s *store.Store, opt mail.Options) *rig {
	t.Helper()
	srv := testkit.NewSMTP(t)
	snd, err := mail.NewSender(mail.Config{Host: srv.Host(), Port: srv.Port(), TLS: mail.TLSNone,
		From: "IVM <noreply@ivm.example.org>", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{store: s, smtp: srv, clock: clock.NewFixed(t0), log: &lockedBuffer{}}
	opt.Logger = slog.New(slog.NewJSONHandler(r.log, nil))
	r.d = mail.NewDispatcher(s, snd, r.clock, opt)
	t.Cleanup(func() {
		// Logs name mails by id and kind, never by address or content.
		for _, personal := range []string{"jan.jansen", "example.org", "Beste Jan", "Bevestig"} {
			if strings.Contains(r.log.String(), personal) {
				t.Errorf("log holds %q:\n%s", personal, r.log)
			}
		}
	})
	return r
}

func (r *rig) enqueue(t *testing.T, m mail.Message) int64 {
	t.Helper()
	var id int64
	err := r.store.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = mail.Enqueue(context.Background(), tx, r.clock.Now(), m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (r *rig) deliver(t *testing.T, want mail.Report) {
	t.Helper()
	got, err := r.d.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("DeliverDue = %+v, want %+v", got, want)
	}
}

func (r *rig) mail(t *testing.T, id int64) store.OutboxMail {
	t.Helper()
	m, err := r.store.OutboxMailByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDeliverVerificationMail(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		r := newRig(t, s, mail.Options{})
		msg := verifyMessage("acct-1")
		id := r.enqueue(t, msg)
		r.deliver(t, mail.Report{Sent: 1})

		got := r.smtp.WaitFor(t, 1)[0]
		checks := []struct{ what, got, want string }{
			{"envelope from", got.EnvelopeFrom, "noreply@ivm.example.org"},
			{"envelope to", strings.Join(got.EnvelopeTo, ","), "jan.jansen@example.org"},
			{"subject", got.Subject, msg.Subject},
			{"auto-submitted", got.Header.Get("Auto-Submitted"), "auto-generated"},
			{"message-id", got.Header.Get("Message-Id"), fmt.Sprintf("<steward.%d.%d@ivm.example.org>", id, t0.UnixMilli())},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
			}
		}
		if to, err := got.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "jan.jansen@example.org" || to[0].Name != "Jan Jansen" {
			t.Errorf("To = %v (%v)", to, err)
		}
		if date, err := got.Header.Date(); err != nil || !date.Equal(t0) {
			t.Errorf("Date = %v (%v), want the clock's %v", date, err, t0)
		}
		// The link must arrive whole: one line, no soft breaks, no =3D.
		if !strings.Contains(got.Text, "\n"+verifyURL+"\n") {
			t.Errorf("text body lacks the intact link %s:\n%s", verifyURL, got.Text)
		}
		if !strings.Contains(got.HTML, `href="`+verifyURL+`"`) {
			t.Errorf("html body lacks the intact link:\n%s", got.HTML)
		}
		for _, line := range strings.Split(string(got.Raw), "\r\n") {
			if len(line) > 998 {
				t.Errorf("raw line of %d bytes breaks RFC 5322's limit", len(line))
			}
		}

		m := r.mail(t, id)
		if m.Status != store.MailSent || m.Attempts != 1 || !m.SentAt.Equal(t0) {
			t.Errorf("outbox row after delivery: %+v", m)
		}
		r.deliver(t, mail.Report{}) // nothing due any more: never sent twice
		if n := len(r.smtp.Messages()); n != 1 {
			t.Errorf("server holds %d messages, want 1", n)
		}
	})
}

func TestNewsletterHeaders(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		r := newRig(t, s, mail.Options{})
		unsub := "<https://ivm.example.org/newsletter/unsubscribe?token=" + strings.Repeat("x", 90) + ">, <mailto:unsubscribe@ivm.example.org?subject=unsubscribe>"
		r.enqueue(t, mail.Message{Kind: mail.KindNewsletter, SubjectID: "person-9", To: "piet@example.org",
			Subject: "Nieuwsbrief november", Text: "Nieuws.",
			Headers: map[string]string{
				// RFC 8058: one-click unsubscribe.
				"List-Unsubscribe":      unsub,
				"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			}})
		r.deliver(t, mail.Report{Sent: 1})
		got := r.smtp.WaitFor(t, 1)[0]
		if h := got.Header.Get("List-Unsubscribe"); h != unsub {
			t.Errorf("List-Unsubscribe = %q, want %q", h, unsub)
		}
		if h := got.Header.Get("List-Unsubscribe-Post"); h != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post = %q", h)
		}
		if got.HTML != "" || strings.TrimRight(got.Text, "\n") != "Nieuws." {
			t.Errorf("text-only mail arrived as text %q, html %q", got.Text, got.HTML)
		}
	})
}

func TestRolledBackMailIsNeverSent(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		r := newRig(t, s, mail.Options{})
		boom := errors.New("crash in the middle of sign-up")
		err := s.InTx(context.Background(), func(tx *store.Tx) error {
			if _, err := mail.Enqueue(context.Background(), tx, t0, verifyMessage("acct-1")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		r.deliver(t, mail.Report{})
		if n := len(r.smtp.Messages()); n != 0 {
			t.Fatalf("server got %d messages from a rolled-back transaction", n)
		}
	})
}

// TestRetryWithBackoff: while the server refuses, each attempt is counted and
// the next one waits twice as long; no test sleeps, the clock is moved.
func TestRetryWithBackoff(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		r := newRig(t, s, mail.Options{})
		r.smtp.Refuse(true)
		id := r.enqueue(t, verifyMessage("acct-1"))
		for attempt, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
			r.deliver(t, mail.Report{Retrying: 1})
			m := r.mail(t, id)
			now := r.clock.Now()
			if m.Status != store.MailPending || m.Attempts != attempt+1 || !m.NextAttemptAt.Equal(now.Add(wait)) || !m.LastAttemptAt.Equal(now) {
				t.Fatalf("after attempt %d: status %s, attempts %d, next %v; want pending, %d, %v",
					attempt+1, m.Status, m.Attempts, m.NextAttemptAt, attempt+1, now.Add(wait))
			}
			if !strings.Contains(m.LastError, "451") || strings.Contains(m.LastError, "@") {
				t.Fatalf("last_error %q: want the SMTP reply without addresses", m.LastError)
			}
			r.clock.Advance(wait - time.Second)
			r.deliver(t, mail.Report{}) // not due yet
			r.clock.Advance(time.Second)
		}
		r.smtp.Refuse(false)
		r.deliver(t, mail.Report{Sent: 1})
		if got := r.smtp.WaitFor(t, 1); len(got) != 1 || !strings.Contains(got[0].Text, verifyURL) {
			t.Fatalf("after the server came back: %d messages", len(got))
		}
		if m := r.mail(t, id); m.Status != store.MailSent || m.Attempts != 4 || m.LastError != "" {
			t.Fatalf("delivered mail: %+v", m)
		}
	})
}

func TestGiveUpAfterMaxAttempts(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		r := newRig(t, s, mail.Options{MaxAttempts: 3})
		r.smtp.Refuse(true)
		id := r.enqueue(t, verifyMessage("acct-1"))
		r.deliver(t, mail.Report{Retrying: 1})
		r.clock.Advance(time.Minute)
		r.deliver(t, mail.Report{Retrying: 1})
		r.clock.Advance(2 * time.Minute)
		r.deliver(t, mail.Report{Failed: 1})
		r.clock.Advance(24 * time.Hour)
		r.smtp.Refuse(false)
		r.deliver(t, mail.Report{})
		if m := r.mail(t, id); m.Status != store.MailFailed || m.Attempts != 3 {
			t.Fatalf("mail after max attempts: status %s, attempts %d", m.Status, m.Attempts)
		}
	})
}

func TestUnknownRecipientFailsAtOnce(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		r := newRig(t, s, mail.Options{})
		r.smtp.RejectRecipient("jan.jansen@example.org")
		id := r.enqueue(t, verifyMessage("acct-1"))
		r.deliver(t, mail.Report{Failed: 1})
		m := r.mail(t, id)
		if m.Status != store.MailFailed || !strings.Contains(m.LastError, "550") {
			t.Fatalf("mail refused with 550: status %s, last_error %q", m.Status, m.LastError)
		}
		if strings.Contains(m.LastError, "jan") || strings.Contains(m.LastError, "example.org") {
			t.Fatalf("last_error holds the address: %q", m.LastError)
		}
	})
}

func TestServerUnreachable(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		// A port nothing listens on: take one, then free it.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		snd, err := mail.NewSender(mail.Config{Host: "127.0.0.1", Port: port, TLS: mail.TLSNone, From: "noreply@ivm.example.org", Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		clk := clock.NewFixed(t0)
		d := mail.NewDispatcher(s, snd, clk, mail.Options{Logger: slog.New(slog.DiscardHandler)})
		var id int64
		err = s.InTx(context.Background(), func(tx *store.Tx) error {
			id, err = mail.Enqueue(context.Background(), tx, t0, verifyMessage("acct-1"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := d.DeliverDue(context.Background())
		if err != nil || rep != (mail.Report{Retrying: 1}) {
			t.Fatalf("DeliverDue = %+v, %v; want one retry", rep, err)
		}
		m, _ := s.OutboxMailByID(context.Background(), id)
		if m.Attempts != 1 || !m.NextAttemptAt.Equal(t0.Add(time.Minute)) || !strings.Contains(m.LastError, "connect") {
			t.Fatalf("mail after a refused connection: %+v", m)
		}
	})
}

// TestTwoDispatchersNeverSendTwice races two dispatchers in two "processes"
// (two Stores on one database) over the same outbox.
func TestTwoDispatchersNeverSendTwice(t *testing.T) {
	forEachStoreTwice(t, func(t *testing.T, a, b *store.Store) {
		r := newRig(t, a, mail.Options{BatchSize: 4})
		snd, err := mail.NewSender(mail.Config{Host: r.smtp.Host(), Port: r.smtp.Port(), TLS: mail.TLSNone, From: "noreply@ivm.example.org"})
		if err != nil {
			t.Fatal(err)
		}
		other := mail.NewDispatcher(b, snd, r.clock, mail.Options{BatchSize: 4, Logger: slog.New(slog.DiscardHandler)})
		const n = 30
		for i := range n {
			r.enqueue(t, verifyMessage(fmt.Sprint("acct-", i)))
		}
		var mu sync.Mutex
		var total mail.Report
		var wg sync.WaitGroup
		for _, d := range []*mail.Dispatcher{r.d, other, r.d, other} {
			wg.Go(func() {
				rep, err := d.DeliverDue(context.Background())
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total.Sent += rep.Sent
				mu.Unlock()
			})
		}
		wg.Wait()
		msgs := r.smtp.WaitFor(t, n)
		ids := map[string]bool{}
		for _, m := range msgs {
			ids[m.Header.Get("Message-Id")] = true
		}
		if total.Sent != n || len(msgs) != n || len(ids) != n {
			t.Fatalf("reported %d sent, server got %d messages with %d distinct ids; want %d each", total.Sent, len(msgs), len(ids), n)
		}
	})
}

func TestNoSMTPConfiguredKeepsMail(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		var none *mail.Sender // what the CLI has when no host is set
		d := mail.NewDispatcher(s, none, clock.NewFixed(t0), mail.Options{Logger: slog.New(slog.DiscardHandler)})
		if d.Enabled() {
			t.Fatal("dispatcher without SMTP says it is enabled")
		}
		var id int64
		err := s.InTx(context.Background(), func(tx *store.Tx) error {
			var err error
			id, err = mail.Enqueue(context.Background(), tx, t0, verifyMessage("acct-1"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := d.DeliverDue(context.Background())
		if err != nil || rep != (mail.Report{}) {
			t.Fatalf("DeliverDue = %+v, %v", rep, err)
		}
		if m, _ := s.OutboxMailByID(context.Background(), id); m.Status != store.MailPending || m.Attempts != 0 {
			t.Fatalf("mail without SMTP: %+v, want pending and untouched", m)
		}
	})
}

func TestRunDeliversOnNotify(t *testing.T) {
	s := testkit.SQLite(t)
	r := newRig(t, s, mail.Options{PollInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.d.Run(ctx) }()
	r.enqueue(t, verifyMessage("acct-1"))
	r.d.Notify()
	r.smtp.WaitFor(t, 1)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v after cancel, want nil", err)
	}
}

func TestSMTPAuth(t *testing.T) {
	s := testkit.SQLite(t)
	srv := testkit.NewSMTP(t)
	srv.RequireAuth("steward", "s3cret")
	for _, tc := range []struct {
		name, password string
		want           mail.Report
	}{
		{"wrong_password_is_retried", "guess", mail.Report{Retrying: 1}},
		{"right_password_delivers", "s3cret", mail.Report{Sent: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snd, err := mail.NewSender(mail.Config{Host: srv.Host(), Port: srv.Port(), TLS: mail.TLSNone,
				Username: "steward", Password: tc.password, From: "noreply@ivm.example.org"})
			if err != nil {
				t.Fatal(err)
			}
			clk := clock.NewFixed(t0.Add(time.Hour))
			err = s.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := mail.Enqueue(context.Background(), tx, clk.Now(), verifyMessage("acct-1"))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			d := mail.NewDispatcher(s, snd, clk, mail.Options{Logger: slog.New(slog.DiscardHandler)})
			if rep, err := d.DeliverDue(context.Background()); err != nil || rep != tc.want {
				t.Fatalf("DeliverDue = %+v, %v; want %+v", rep, err, tc.want)
			}
		})
	}
	if got := srv.WaitFor(t, 1); got[0].AuthUser != "steward" {
		t.Fatalf("delivered as %q, want steward", got[0].AuthUser)
	}
}

// lockedBuffer is a log sink safe for concurrent dispatchers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// forEachStoreTwice runs fn on SQLite and PostgreSQL with two Stores opened
// on the same database, as two processes would have.
func forEachStoreTwice(t *testing.T, fn func(t *testing.T, a, b *store.Store)) {
	t.Helper()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var dsn string
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

func TestTLSModes(t *testing.T) {
	s := testkit.SQLite(t)
	for _, tc := range []struct {
		name     string
		mode     mail.TLSMode
		implicit bool
	}{
		{"starttls", mail.TLSStartTLS, false},
		{"implicit_tls", mail.TLSImplicit, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testkit.NewSMTPTLS(t, tc.implicit)
			srv.RequireAuth("steward", "s3cret")
			snd, err := mail.NewSender(mail.Config{Host: srv.Host(), Port: srv.Port(), TLS: tc.mode, TLSConfig: srv.ClientTLS(),
				Username: "steward", Password: "s3cret", From: "noreply@ivm.example.org", Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			clk := clock.NewFixed(t0)
			err = s.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := mail.Enqueue(context.Background(), tx, clk.Now(), verifyMessage("acct-1"))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			d := mail.NewDispatcher(s, snd, clk, mail.Options{Logger: slog.New(slog.DiscardHandler)})
			if rep, err := d.DeliverDue(context.Background()); err != nil || rep != (mail.Report{Sent: 1}) {
				t.Fatalf("DeliverDue = %+v, %v", rep, err)
			}
			got := srv.WaitFor(t, 1)[0]
			if !got.TLS || got.AuthUser != "steward" {
				t.Fatalf("delivered with TLS %v as %q, want TLS as steward", got.TLS, got.AuthUser)
			}
		})
	}
	t.Run("starttls_refuses_a_server_without_it", func(t *testing.T) {
		srv := testkit.NewSMTP(t)
		snd, err := mail.NewSender(mail.Config{Host: srv.Host(), Port: srv.Port(), TLS: mail.TLSStartTLS, From: "noreply@ivm.example.org"})
		if err != nil {
			t.Fatal(err)
		}
		errs := snd.Deliver(context.Background(), []mail.Queued{{ID: 1, Created: t0, Date: t0, Message: verifyMessage("acct-1")}})
		if errs[0] == nil || len(srv.Messages()) != 0 {
			t.Fatalf("mail went out in the clear under starttls: err %v", errs[0])
		}
	})
}
