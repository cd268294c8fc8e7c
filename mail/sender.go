package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"sort"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"steward"
)

// TLSMode says how the connection to the SMTP server is secured.
type TLSMode string

// The TLS modes.
const (
	// TLSNone sends in the clear: only for a relay on the same machine.
	TLSNone TLSMode = "none"
	// TLSStartTLS upgrades the connection with STARTTLS and refuses to
	// continue if the server does not offer it (submission, port 587).
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (submissions, port 465).
	TLSImplicit TLSMode = "tls"
)

// ParseTLSMode reads a TLS mode from configuration; empty means starttls.
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return TLSStartTLS, nil
	case TLSNone, TLSStartTLS, TLSImplicit:
		return m, nil
	}
	return "", steward.FieldError("smtp-tls", "error.must_be_none_starttls")
}

// Config says where and how to deliver mail.
type Config struct {
	// Host is the SMTP server; empty means no SMTP is configured, and mail
	// stays in the outbox.
	Host string
	// Port defaults to 587 for starttls, 465 for tls and 25 for none.
	Port     int
	Username string
	Password string
	TLS      TLSMode
	// From is the sender, e.g. "IVM <noreply@ivm.nl>".
	From string
	// Timeout bounds connecting and each SMTP command; default 30s.
	Timeout time.Duration
	// TLSConfig replaces the default TLS settings, e.g. to trust a private
	// CA. Nil verifies the server's certificate against the system roots.
	TLSConfig *tls.Config
}

// Enabled reports whether an SMTP server is configured.
func (c Config) Enabled() bool { return c.Host != "" }

// Sender delivers mail to one SMTP server. It is safe for concurrent use:
// each Deliver opens its own connection.
type Sender struct {
	cfg    Config
	from   *netmail.Address
	domain string
}

// NewSender checks cfg and returns a Sender for it.
func NewSender(cfg Config) (*Sender, error) {
	if !cfg.Enabled() {
		return nil, steward.FieldError("smtp-host", "error.is_required_send_mail")
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if _, err := ParseTLSMode(string(cfg.TLS)); err != nil {
		return nil, err
	}
	if cfg.Port == 0 {
		cfg.Port = map[TLSMode]int{TLSNone: 25, TLSStartTLS: 587, TLSImplicit: 465}[cfg.TLS]
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, steward.FieldError("smtp-port", "error.must_be_between_1_and_65535")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, steward.FieldError("smtp-user", "error.is_required_when_password")
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, steward.FieldError("mail-from", "error.is_not_valid_sender")
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &Sender{cfg: cfg, from: from, domain: domain}, nil
}

// Queued is an outbox mail on its way out.
type Queued struct {
	// ID is the outbox id; the Message-ID is derived from it, so every
	// attempt at the same mail carries the same Message-ID and a receiver
	// that got it twice can tell.
	ID      int64
	Created time.Time
	// Date is the Date header: the time of this attempt.
	Date time.Time
	Message
}

// Transport delivers a batch of mails and returns one error per mail, nil
// for each one delivered. Sender is the SMTP transport.
type Transport interface {
	Deliver(ctx context.Context, batch []Queued) []error
}

// Deliver sends a batch over one SMTP connection. The errors hold SMTP
// replies, which may contain addresses: callers pass them through SafeError
// before storing or logging them.
func (s *Sender) Deliver(ctx context.Context, batch []Queued) []error {
	errs := make([]error, len(batch))
	msgs := make([]*gomail.Msg, len(batch))
	pending := 0
	for i, q := range batch {
		if msgs[i], errs[i] = s.build(q); errs[i] == nil {
			pending++
		}
	}
	if pending == 0 {
		return errs
	}
	client, err := s.client()
	if err == nil {
		err = client.DialWithContext(ctx)
	}
	if err != nil {
		err = fmt.Errorf("mail: connect to %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
		for i := range errs {
			if msgs[i] != nil {
				errs[i] = err
			}
		}
		return errs
	}
	defer client.Close()
	for i, m := range msgs {
		if m == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		err := client.Send(m)
		// A failure after the data was accepted (e.g. on RSET) still
		// delivered the mail; sending it again would duplicate it.
		if m.IsDelivered() {
			err = nil
		}
		errs[i] = err
	}
	return errs
}

// client builds a go-mail client for the configuration.
func (s *Sender) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	}
	if s.cfg.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.cfg.TLSConfig))
	}
	if s.cfg.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if s.cfg.TLS == TLSNone {
			// Discovery refuses plain mechanisms without TLS; go-mail still
			// allows PLAIN to a relay on localhost, and nowhere else.
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp client: %w", err)
	}
	return c, nil
}

// build turns a queued mail into a go-mail message. Its errors are permanent:
// the same content would fail again.
func (s *Sender) build(q Queued) (*gomail.Msg, error) {
	to, err := netmail.ParseAddress(q.To)
	if err != nil {
		return nil, Permanent(errors.New("mail: recipient is not a valid address"))
	}
	m := gomail.NewMsg()
	m.FromMailAddress(s.from)
	m.ToMailAddress(to)
	m.Subject(q.Subject)
	m.SetDateWithValue(q.Date)
	m.SetMessageIDWithValue(fmt.Sprintf("steward.%d.%d@%s", q.ID, q.Created.UnixMilli(), s.domain))
	// RFC 3834: every mail Steward sends is automatic; auto-responders must
	// not answer it.
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	names := make([]string, 0, len(q.Headers))
	for name := range q.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m.SetGenHeader(gomail.Header(name), q.Headers[name])
	}
	m.SetBodyString(gomail.TypeTextPlain, q.Text)
	if q.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, q.HTML)
	}
	return m, nil
}

// permanentError marks a delivery failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that retrying cannot fix; the Dispatcher
// marks the mail failed at once instead of backing off.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether a delivery error is permanent: marked so with
// Permanent, or a 5xx reply to RCPT TO (the mailbox does not exist or
// refuses mail). Other 5xx replies, e.g. to MAIL FROM, more likely mean a
// wrong configuration the operator will fix, so they are retried.
func IsPermanent(err error) bool {
	if errors.As(err, new(permanentError)) {
		return true
	}
	var se *gomail.SendError
	return errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && se.ErrorCode() >= 500
}
