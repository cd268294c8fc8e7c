// Package service holds the account operations the pages, the JSON API
// and the command line share: sign-up, confirmation, login and sessions,
// password reset, change of login address, the profile, and the sealing
// of sensitive fields (R1, R3, R11, R12, Z2, Z3). It sits below account
// because it uses the store, which imports account (like rights/desk and
// retention/runner).
//
// Each operation that changes data opens one transaction and writes its
// audit entry and any mail inside it (G2, G3): a change, its log entry
// and its mail commit together or not at all.
package service

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/consent"
	"steward/mail"
	"steward/message"
	"steward/policy"
	"steward/store"
)

// Service runs the account operations of one site. It holds what it is
// given and builds nothing per call; cmd/steward wires it once.
type Service struct {
	Policy *policy.Policy
	Store  *store.Store
	Clock  clock.Clock
	// Audit stamps the entries with the time, policy version and request id.
	Audit *audit.Log
	// Log gets ids and field names only, never personal values.
	Log *slog.Logger
	// Consent records the purposes ticked at sign-up, in the sign-up's
	// transaction (Z3).
	Consent *consent.Service
	// BaseURL is the public address of the site, used in mailed links.
	BaseURL string
	// Sealer encrypts sensitive fields at rest (R3). Nil only when the
	// policy declares no sensitive field; then storing one is refused.
	Sealer *account.Sealer
	// HashParams overrides the argon2id parameters (tests use cheaper
	// ones); nil means account.DefaultParams.
	HashParams *account.HashParams
	// Hasher bounds the password hashes in flight (issue 14, finding 1;
	// issue 15): every hash and verification of the service goes through
	// it. Nil makes one with HashParams and a bound of the number of cores.
	Hasher     *account.Hasher
	hasherOnce sync.Once
	// MailNotify, when set, wakes the mail dispatcher after a mail is
	// enqueued.
	MailNotify func()
}

// ErrLoginFailed is the one answer to a wrong e-mail or password, so a
// login does not tell whether an address has an account.
var ErrLoginFailed = steward.Errorf(steward.EUNAUTHORIZED, "error.email_address_or_password")

// ErrNotConfirmed is answered only to someone who gave the right password.
var ErrNotConfirmed = steward.Errorf(steward.EFORBIDDEN, "error.confirm_your_email_address")

// Actor is the audit actor for a person acting on their own data: staff
// by their account id, everyone else by pseudonym (G2).
func Actor(a *account.Account) audit.Actor {
	if a.IsStaff() {
		return audit.Staff(a.ID)
	}
	return audit.SubjectActor(audit.Pseudonym(a.Pseudonym))
}

// audit appends one entry about account a in tx. Entries carry field
// names only, never values (G2).
func (s *Service) audit(ctx context.Context, tx *store.Tx, a *account.Account, actor audit.Actor, action audit.Action, fields ...string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: action, ObjectKind: "account", ObjectID: a.ID,
		Subject: audit.Pseudonym(a.Pseudonym), Fields: fields})
}

// enqueue writes a mail to a in the outbox inside tx, texts from the
// catalogue in the person's language, with one link.
func (s *Service) enqueue(ctx context.Context, tx *store.Tx, a *account.Account, kind mail.Kind, lang, key, link string) error {
	if lang == "" {
		lang = policy.Languages[0]
	}
	site := s.Policy.Site.Name
	vals, err := tx.Profile(ctx, a.ID, "account")
	if err != nil {
		return err
	}
	first := vals["first_name"]
	if account.IsSealed(first) {
		first = ""
	}
	text := message.Format(lang, key+".body", "site", site, "link", link, "first_name", first)
	subject := message.Format(lang, key+".subject", "site", site)
	_, err = mail.Enqueue(ctx, tx, s.Clock.Now(), mail.Message{Kind: kind, SubjectID: a.ID, To: a.Email, Subject: subject, Text: text})
	return err
}

// notifyMail wakes the mail dispatcher, when one runs in this process.
func (s *Service) notifyMail() {
	if s.MailNotify != nil {
		s.MailNotify()
	}
}

// link returns an absolute link to path on the site, in lang.
func (s *Service) link(path, lang string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if lang != "" && lang != policy.Languages[0] {
		q.Set("lang", lang)
	}
	u := strings.TrimRight(s.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// hasher is the bound every password hash goes through.
func (s *Service) hasher() *account.Hasher {
	s.hasherOnce.Do(func() {
		if s.Hasher == nil {
			s.Hasher = account.NewHasher(s.hashParams(), 0, -1)
		}
	})
	return s.Hasher
}

func (s *Service) hashParams() account.HashParams {
	if s.HashParams != nil {
		return *s.HashParams
	}
	return account.DefaultParams
}
