// Package mail sends Steward's e-mail: verification and reset links,
// newsletters, retention warnings. A mail is never sent directly: it is
// written to the outbox in the transaction of the change that causes it
// (Enqueue), and a Dispatcher delivers due mail over SMTP, retrying with
// back-off while the server is unreachable (issue 4, item 2; G3).
//
// Logs name mails by id and kind only, never by address or content.
package mail

import (
	"context"
	"fmt"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"

	"steward"
	"steward/store"
)

// Kind says what a mail is for. The set is open: each domain adds its own
// kinds, written in lower case with underscores.
type Kind string

// The kinds Steward's own flows send.
const (
	// KindVerify carries the link that confirms a new account's address.
	KindVerify Kind = "verify"
	// KindReset carries a single-use password-reset link.
	KindReset Kind = "reset"
	// KindNewsletterConfirm is the double opt-in of a newsletter sign-up (R2).
	KindNewsletterConfirm Kind = "newsletter_confirm"
	// KindNewsletter is one issue of a newsletter (R2, Z4).
	KindNewsletter Kind = "newsletter"
	// KindPanelInvitation invites a member of the research panel to a
	// survey (Z4, issue 18 item 7).
	KindPanelInvitation Kind = "panel_invitation"
	// KindRetentionWarning warns before an inactive account is anonymised (Z9).
	KindRetentionWarning Kind = "retention_warning"
	// KindPolicyChange tells people directly affected by a policy change (Z11).
	KindPolicyChange Kind = "policy_change"
	// KindRequestUpdate tells a person about their data-subject request, such
	// as an extension of the deadline (R13, Art. 12(3)).
	KindRequestUpdate Kind = "request_update"
)

// Message is a mail to enqueue: one recipient, a subject line, a text body
// and optionally an HTML alternative.
type Message struct {
	Kind Kind
	// SubjectID is the data subject (account or person) the mail concerns,
	// so that erasure can drop their pending mails (store.DropOutboxFor).
	SubjectID string
	// To is the recipient, "jan@example.org" or "Jan <jan@example.org>".
	To string
	// Subject is the subject line.
	Subject string
	// Text is the plain-text body; always required, since some readers show
	// nothing else.
	Text string
	// HTML is an optional HTML alternative to Text.
	HTML string
	// Headers are extra header fields, e.g. List-Unsubscribe and
	// List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058) on a
	// newsletter. Fields the sender sets itself (From, To, Subject, Date,
	// Message-ID, MIME and content fields) are refused.
	Headers map[string]string
	// Bulk marks one of many mails sent at once (a newsletter issue, a
	// retention run's warnings). The dispatcher sends due mail that is not
	// bulk first, so a sign-up's link never waits behind a newsletter.
	Bulk bool
}

// Limits that keep one mail from filling the outbox.
const (
	maxSubject   = 250
	maxBody      = 512 << 10
	maxHeaders   = 20
	maxHeaderLen = 2000
)

var (
	kindPattern       = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	headerNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,75}$`)
)

// reservedHeaders are set by the Sender; a Message may not override them.
var reservedHeaders = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "bcc": true, "subject": true,
	"date": true, "message-id": true, "mime-version": true, "content-type": true,
	"content-transfer-encoding": true, "return-path": true, "received": true,
}

// Validate checks a message before it is enqueued. Its errors are
// steward.FieldError values naming the field at fault; they never repeat
// the value, which may be personal.
func (m Message) Validate() error {
	switch {
	case !kindPattern.MatchString(string(m.Kind)):
		return steward.FieldError("kind", "error.must_be_lower_case")
	case strings.TrimSpace(m.SubjectID) == "" || len(m.SubjectID) > 100:
		return steward.FieldError("subject_id", "error.mail_needs_subject_id")
	}
	if _, err := netmail.ParseAddress(m.To); err != nil || strings.ContainsAny(m.To, "\r\n") {
		return steward.FieldError("to", "error.is_not_valid_email")
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		return steward.FieldError("subject", "error.is_required")
	case len(m.Subject) > maxSubject:
		return steward.FieldError("subject", "error.is_longer_than_bytes", "max_subject", maxSubject)
	case strings.ContainsAny(m.Subject, "\r\n"):
		return steward.FieldError("subject", "error.must_be_one_line")
	case strings.TrimSpace(m.Text) == "":
		return steward.FieldError("text", "error.is_required")
	case len(m.Text) > maxBody:
		return steward.FieldError("text", "error.is_longer_than_bytes", "max_body", maxBody)
	case len(m.HTML) > maxBody:
		return steward.FieldError("html", "error.is_longer_than_bytes", "max_body", maxBody)
	case len(m.Headers) > maxHeaders:
		return steward.FieldError("headers", "error.more_than_extra_headers", "max_headers", maxHeaders)
	}
	for name, value := range m.Headers {
		switch {
		case !headerNamePattern.MatchString(name):
			return steward.FieldError("headers", "error.is_not_header_field", "name", name)
		case reservedHeaders[strings.ToLower(name)]:
			return steward.FieldError("headers", "error.header_set_by_sender", "name", name)
		case strings.ContainsAny(value, "\r\n") || len(value) > maxHeaderLen:
			// CR or LF would let a value inject header fields of its own.
			return steward.FieldError("headers", "error.header_must_be_one_line", "name", name, "max_header_len", maxHeaderLen)
		}
	}
	return nil
}

// Enqueue validates m and writes it to the outbox inside tx, due at once.
// Call it in the same transaction as the change the mail belongs to, so both
// commit or neither does (G3). now comes from the caller's clock. It returns
// the mail's outbox id; nothing is sent until a Dispatcher runs.
func Enqueue(ctx context.Context, tx *store.Tx, now time.Time, m Message) (int64, error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	id, err := tx.EnqueueMail(ctx, store.OutboxMail{
		Kind:      string(m.Kind),
		SubjectID: m.SubjectID,
		Recipient: strings.TrimSpace(m.To),
		Subject:   m.Subject,
		Text:      m.Text,
		HTML:      m.HTML,
		Headers:   m.Headers,
		Bulk:      m.Bulk,
		CreatedAt: now,
	})
	if err != nil {
		return 0, fmt.Errorf("mail: enqueue %s: %w", m.Kind, err)
	}
	return id, nil
}

// MaskAddress shows an address without revealing it, for operator listings:
// "jan.jansen@example.org" becomes "j***@example.org". A display name is
// dropped. Anything that does not parse becomes "***".
func MaskAddress(addr string) string {
	a, err := netmail.ParseAddress(addr)
	if err != nil {
		return "***"
	}
	local, domain, ok := strings.Cut(a.Address, "@")
	if !ok || local == "" {
		return "***"
	}
	first := []rune(local)[0]
	return string(first) + "***@" + domain
}
