package testkit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPServer is a real SMTP server on a loopback port that keeps every
// message it accepts, so tests read the mail a user would get, link
// included. Make it refuse mail with Refuse to test retries.
type SMTPServer struct {
	srv       *smtp.Server
	addr      *net.TCPAddr
	clientTLS *tls.Config

	mu       sync.Mutex
	msgs     []SMTPMessage
	refuse   bool
	reject   map[string]bool
	user     string
	password string
}

// SMTPMessage is one message the server accepted, parsed and decoded.
type SMTPMessage struct {
	// EnvelopeFrom and EnvelopeTo are what MAIL FROM and RCPT TO said.
	EnvelopeFrom string
	EnvelopeTo   []string
	// AuthUser is the user the client authenticated as, "" without AUTH.
	AuthUser string
	// TLS tells whether the message arrived over an encrypted connection.
	TLS bool
	// Header is the message header as net/mail parsed it.
	Header mail.Header
	// Subject is the decoded subject line (RFC 2047 words decoded).
	Subject string
	// Text and HTML are the decoded text/plain and text/html parts, with
	// quoted-printable and base64 transfer encodings undone.
	Text string
	HTML string
	// Raw is the message exactly as received.
	Raw []byte
	// ParseErr is why the message could not be parsed; WaitFor fails the
	// test on it.
	ParseErr error
}

// NewSMTP starts a capture server on 127.0.0.1 and stops it when the test
// ends. It speaks plain SMTP, accepts AUTH PLAIN without TLS (loopback only)
// and, until RequireAuth is called, any credentials or none.
func NewSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	return newSMTP(t, nil, false)
}

// NewSMTPTLS starts a capture server with a certificate for 127.0.0.1 made
// for this test: it offers STARTTLS, or with implicit speaks TLS from the
// first byte. ClientTLS returns the settings a client needs to trust it.
func NewSMTPTLS(t testing.TB, implicit bool) *SMTPServer {
	t.Helper()
	cert, pool := selfSignedLoopbackCert(t)
	s := newSMTP(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, implicit)
	s.clientTLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return s
}

func newSMTP(t testing.TB, tlsConfig *tls.Config, implicit bool) *SMTPServer {
	s := &SMTPServer{reject: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp capture: listen: %v", err)
	}
	s.addr = ln.Addr().(*net.TCPAddr)
	s.srv = smtp.NewServer(smtpBackend{s})
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.TLSConfig = tlsConfig
	if implicit {
		ln = tls.NewListener(ln, tlsConfig)
	}
	closed := new(atomic.Bool)
	s.srv.ErrorLog = smtpTestLog{t, closed}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		closed.Store(true)
		s.srv.Close()
		// go-smtp's Close closes only the listeners Serve has registered;
		// when a test ends before the goroutine above reached Serve (a test
		// that sends nothing is that fast), Serve then registered ln after
		// Close and blocked in Accept for ever, and <-done hung the test
		// run (issue 14, finding 12). Closing ln ourselves ends Accept in
		// either order; Serve sees the server closed and returns.
		ln.Close()
		<-done
	})
	return s
}

// ClientTLS is the TLS configuration that trusts a NewSMTPTLS server; nil
// for a plain server.
func (s *SMTPServer) ClientTLS() *tls.Config { return s.clientTLS }

// selfSignedLoopbackCert makes a short-lived certificate for 127.0.0.1 and a
// pool that trusts it.
func selfSignedLoopbackCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("smtp capture: key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "steward test smtp"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("smtp capture: certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("smtp capture: certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// Addr is the server's host:port.
func (s *SMTPServer) Addr() string { return s.addr.String() }

// Host is the server's IP address.
func (s *SMTPServer) Host() string { return s.addr.IP.String() }

// Port is the server's TCP port.
func (s *SMTPServer) Port() int { return s.addr.Port }

// Refuse makes the server answer every MAIL FROM with a temporary failure
// (451) while on, as a server that is down for maintenance does.
func (s *SMTPServer) Refuse(on bool) {
	s.mu.Lock()
	s.refuse = on
	s.mu.Unlock()
}

// RejectRecipient makes the server refuse mail for addr for good (550 unknown
// user), to test permanent failures.
func (s *SMTPServer) RejectRecipient(addr string) {
	s.mu.Lock()
	s.reject[strings.ToLower(addr)] = true
	s.mu.Unlock()
}

// RequireAuth makes the server accept mail only after AUTH PLAIN with these
// credentials.
func (s *SMTPServer) RequireAuth(user, password string) {
	s.mu.Lock()
	s.user, s.password = user, password
	s.mu.Unlock()
}

// Messages returns the messages accepted so far, oldest first.
func (s *SMTPServer) Messages() []SMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMTPMessage(nil), s.msgs...)
}

// WaitFor waits until the server holds at least n messages and returns them.
// It polls: delivery is I/O in another goroutine, not a timed assertion. It
// fails the test after 10 seconds or if a message did not parse.
func (s *SMTPServer) WaitFor(t testing.TB, n int) []SMTPMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs := s.Messages()
		if len(msgs) >= n {
			for i, m := range msgs {
				if m.ParseErr != nil {
					t.Fatalf("smtp capture: message %d does not parse: %v\n%s", i, m.ParseErr, m.Raw)
				}
			}
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtp capture: got %d messages, want %d", len(msgs), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type smtpBackend struct{ s *SMTPServer }

func (b smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{s: b.s, conn: c}, nil
}

// smtpSession is one client connection; it may carry several messages.
type smtpSession struct {
	s        *SMTPServer
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

var errSMTPRefused = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service temporarily unavailable, try again later"}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		ss.s.mu.Lock()
		want, wantPass := ss.s.user, ss.s.password
		ss.s.mu.Unlock()
		if want != "" && (username != want || password != wantPass) {
			return smtp.ErrAuthFailed
		}
		ss.authUser = username
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	refuse, needAuth := ss.s.refuse, ss.s.user != ""
	ss.s.mu.Unlock()
	switch {
	case refuse:
		return errSMTPRefused
	case needAuth && ss.authUser == "":
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	rejected := ss.s.reject[strings.ToLower(to)]
	ss.s.mu.Unlock()
	if rejected {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: Recipient address rejected: User unknown"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := parseSMTPMessage(raw)
	m.EnvelopeFrom, m.EnvelopeTo, m.AuthUser = ss.from, ss.to, ss.authUser
	_, m.TLS = ss.conn.TLSConnectionState()
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	ss.s.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }

func (ss *smtpSession) Logout() error { return nil }

// parseSMTPMessage parses a raw message the way a mail reader would.
func parseSMTPMessage(raw []byte) SMTPMessage {
	m := SMTPMessage{Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.ParseErr = err
		return m
	}
	m.Header = msg.Header
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		m.ParseErr = fmt.Errorf("subject: %w", err)
		return m
	}
	m.ParseErr = readMIMEPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &m)
	return m
}

// readMIMEPart decodes one MIME entity into m, descending into multiparts.
func readMIMEPart(contentType, encoding string, body io.Reader, m *SMTPMessage) error {
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart leaves the transfer encoding to us, so the test
			// sees exactly what a standard decoder makes of it.
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := readMIMEPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "", "7bit", "8bit", "binary":
	default:
		return fmt.Errorf("unknown transfer encoding %q", encoding)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s body: %w", mediaType, err)
	}
	switch mediaType {
	case "text/plain":
		if m.Text == "" {
			m.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
		}
	case "text/html":
		if m.HTML == "" {
			m.HTML = strings.ReplaceAll(string(b), "\r\n", "\n")
		}
	}
	return nil
}

// smtpTestLog sends the server's error log to the test log until the server
// is closed (logging after a test ends panics).
type smtpTestLog struct {
	t      testing.TB
	closed *atomic.Bool
}

func (l smtpTestLog) Printf(format string, v ...any) {
	if !l.closed.Load() {
		l.t.Logf("smtp capture: "+format, v...)
	}
}

func (l smtpTestLog) Println(v ...any) {
	if !l.closed.Load() {
		l.t.Log(append([]any{"smtp capture:"}, v...)...)
	}
}
