// Package wiring builds a site's services once, from its policy, store
// and keys: the account service, consent service and gate, rights desk and
// retention runner. cmd/steward wires 'serve' and every command with it,
// and the web tests build their server the same way, so what runs in
// production is what the tests run. It imports no web: web receives the
// built services in its Config.
package wiring

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"steward/account"
	"steward/account/service"
	accservice "steward/accreditation/service"
	"steward/anonymise/partner"
	keyservice "steward/apikey/service"
	"steward/audit"
	"steward/career"
	careerservice "steward/career/service"
	catservice "steward/catalogue/service"
	"steward/clock"
	"steward/consent"
	"steward/internal/hugepages"
	learnservice "steward/learning/service"
	"steward/lms"
	"steward/oidc/provider"
	"steward/order"
	orderservice "steward/order/service"
	orgservice "steward/organisation/service"
	"steward/policy"
	"steward/policy/publication"
	"steward/retention"
	"steward/retention/runner"
	"steward/rights/desk"
	"steward/store"
	usageservice "steward/usage/service"
	voucherservice "steward/voucher/service"
	xapiservice "steward/xapi/service"
)

// Config is what the services are built from.
type Config struct {
	Policy *policy.Policy
	Store  *store.Store
	// Clock defaults to the system clock.
	Clock clock.Clock
	// Log gets ids and counts only; nil discards.
	Log *slog.Logger
	// BaseURL is the public address of the site, used in mailed links.
	BaseURL string
	// Sealer encrypts sensitive fields at rest (R3); nil when the policy
	// declares none or the command never touches them.
	Sealer *account.Sealer
	// HashParams overrides the argon2id parameters; nil is the default.
	HashParams *account.HashParams
	// HashConcurrency bounds the password hashes in flight; 0 is the
	// number of cores (account.NewHasher).
	HashConcurrency int
	// HugePages backs the password hashes' memory with transparent huge
	// pages while hashes run (account.Hasher.AdvisePages); serve sets it
	// unless told not to.
	HugePages bool
	// MailNotify, when set, wakes the mail dispatcher after a mail is
	// enqueued.
	MailNotify func()
	// At is the time whose policy in force the services follow (issue
	// 20): zero is the clock's now; retention plan --as-of gives its date.
	At time.Time
	// Hasher, when set, is the password hasher to share: serve builds the
	// services of an announced version beside those in force with one
	// bound on hashes for the process.
	Hasher *account.Hasher
	// Payments is the payment provider (issue 17: Mollie, its API key
	// from configuration); nil: orders can be placed but not paid.
	Payments order.Provider
	// Downloads is the directory the shop's files are served from; "":
	// none.
	Downloads string
	// DownloadKey signs download links; nil makes a random one for the
	// process (links live minutes; a restart ends them).
	DownloadKey []byte
}

// Services are one site's services, each built once.
type Services struct {
	// Policy is the policy in force at Config.At (publication.InForce):
	// Config.Policy, or the published version before it while Config.Policy
	// is announced to take effect later. Every service follows it.
	Policy *policy.Policy
	// From is when Config.Policy takes effect, while it is announced for
	// after Config.At; zero otherwise. serve builds a second set of
	// services at From and switches to them then (web.Switch).
	From time.Time
	// Audit stamps every service's entries with the policy's version.
	Audit     *audit.Log
	Accounts  *service.Service
	Consent   *consent.Service
	Gate      *consent.Gate
	Desk      *desk.Desk
	Retention *runner.Runner
	// Organisations manages organisations and their members (issue 16).
	Organisations *orgservice.Service
	// Learning is the course catalogue and enrolment (issue 16).
	Learning *learnservice.Service
	// LMSValues reads, when the LMS dispatcher sends a correction, the
	// values it names (issue 16 item 5), opening a sensitive one with the
	// account service's key.
	LMSValues *lms.ProfileValues
	// Vouchers creates, redeems and reports vouchers (issue 17).
	Vouchers *voucherservice.Service
	// Notices publishes policy versions and tells people about a change
	// (issue 20): the banner, dismissals and the personal mails.
	Notices *publication.Teller
	// Catalogue imports and searches the functies and opleidingen (issue
	// 18); site content, no personal data.
	Catalogue *catservice.Service
	// Partners builds and records the anonymised partner exports (issue 19).
	Partners *partner.Service
	// Career saves functies and opleidingen, keeps the basic questions'
	// answers and the career profile's history (issue 18).
	Career *careerservice.Service
	// APIKeys are the machine API's keys, bound to a policy processor
	// (issue 16 item 4).
	APIKeys *keyservice.Service
	// Statements stores the learning results the LMS reports as xAPI
	// statements (issue 16 item 4, R8).
	Statements *xapiservice.Service
	// Usage counts page views per page and day where the policy declares
	// usage_counts (issue 18 item 8); nil elsewhere.
	Usage *usageservice.Service
	// OIDC is the OpenID Connect provider the learning environment signs
	// people in through, and its client registry (issue 16 item 3).
	OIDC *provider.Service
	// Orders is the shop: products, orders, payments, invoices and
	// downloads (issue 17).
	Orders *orderservice.Service
	// Accreditation writes the accreditation export for PE-online (issue
	// 16 item 6, R8).
	Accreditation *accservice.Service
	// tailored are the published wordings of the newsletter's notice
	// declared tailored (publication.Service.TailoredNotices).
	tailored map[string]bool
}

// New builds the services for the policy in force at cfg.At (issue 20:
// a version announced in advance is followed from its effective date,
// the one before it until then). It reads the site's published policy versions
// once, for the consent notices reworded in substance since (issue 20):
// consent given with the old words no longer counts once the change takes
// effect. It fails on a policy the retention engine refuses, which policy
// validation already rules out, or when the store cannot be read.
func New(cfg Config) (*Services, error) {
	if cfg.Policy == nil || cfg.Store == nil {
		return nil, fmt.Errorf("wiring: a policy and a store are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	logger := cfg.Log
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	at := cfg.At
	if at.IsZero() {
		at = cfg.Clock.Now()
	}
	p, from, err := publication.InForce(context.Background(), cfg.Store.Reader, cfg.Policy, at)
	if err != nil {
		return nil, fmt.Errorf("wiring: %w", err)
	}
	s := cfg.Store
	version := p.Version.Number
	log := &audit.Log{Clock: cfg.Clock, PolicyVersion: func() string { return version }}
	engine, err := retention.New(p)
	if err != nil {
		return nil, err
	}
	baseURL := strings.TrimRight(cfg.BaseURL, "/")
	notices := &publication.Teller{Service: &publication.Service{Store: s, Clock: cfg.Clock}, BaseURL: baseURL}
	reasks, err := notices.Reasks(context.Background(), p.Site.ID)
	if err != nil {
		return nil, fmt.Errorf("wiring: %w", err)
	}
	consents := &consent.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log, Reasks: reasks}
	tailored, err := notices.TailoredNotices(context.Background(), p.Site.ID, consent.NewsletterPurpose)
	if err != nil {
		return nil, fmt.Errorf("wiring: %w", err)
	}
	gate := consent.NewGate(p, s)
	gate.Reasks, gate.Clock = reasks, cfg.Clock
	accounts := &service.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log, Log: logger, Consent: consents,
		BaseURL: baseURL, Sealer: cfg.Sealer, HashParams: cfg.HashParams, Hasher: hasher(cfg), MailNotify: cfg.MailNotify}
	learning := &learnservice.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log}
	questions, err := loadQuestions(cfg.Policy)
	if err != nil {
		return nil, fmt.Errorf("wiring: %w", err)
	}
	return &Services{
		Policy:   p,
		From:     from,
		tailored: tailored,
		Audit:    log,
		Consent:  consents,
		Gate:     gate,
		Notices:  notices,
		Accounts: accounts,
		Desk: &desk.Desk{Store: s, Policy: p, Clock: cfg.Clock, Audit: log, Log: cfg.Log, BaseURL: baseURL, Consent: consents,
			Profiles: accounts},
		Retention: &runner.Runner{Store: s, Engine: engine, Clock: cfg.Clock, Audit: log,
			Holds: retention.LegalHolds{}, Log: cfg.Log},
		Organisations: &orgservice.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log, BaseURL: baseURL, MailNotify: cfg.MailNotify},
		Learning:      learning,
		LMSValues:     &lms.ProfileValues{Policy: p, Store: s, Open: lms.Opener(accounts.Opener())},
		Vouchers:      &voucherservice.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log, Learning: learning},
		Catalogue:     &catservice.Service{Store: s, Clock: cfg.Clock},
		Partners:      &partner.Service{Policy: p, Store: s, Gate: gate, Clock: cfg.Clock, Audit: log},
		Career: &careerservice.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log, Profiles: accounts, Questions: questions,
			BaseURL: baseURL},
		APIKeys:    &keyservice.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log},
		Statements: &xapiservice.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log, Issuer: baseURL},
		Usage:      usageservice.New(s, cfg.Clock, p),
		OIDC: &provider.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log, Learning: learning, Sealer: cfg.Sealer,
			Issuer: baseURL, Log: cfg.Log},
		Orders: &orderservice.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log, Log: cfg.Log, Provider: cfg.Payments,
			BaseURL: baseURL, Files: cfg.Downloads, LinkKey: downloadKey(cfg)},
		Accreditation: &accservice.Service{Policy: p, Store: s, Clock: cfg.Clock, Audit: log},
	}, nil
}

// Newsletter is the site's newsletter, its unsubscribe links keyed with
// unsubKey (consent.Key.Derive("newsletter-unsubscribe")): what
// 'newsletter send' sends with, and the tests that send what the pages'
// links undo. Where the site has a catalogue, its issues are tailored
// to each person by the career service (issue 18 item 6), for those whose
// consent was given with a notice the policy declares tailored.
func (s *Services) Newsletter(baseURL string, unsubKey []byte) *consent.Newsletter {
	n := &consent.Newsletter{Consent: s.Consent, Gate: s.Gate, Clock: s.Consent.Clock, BaseURL: strings.TrimRight(baseURL, "/"),
		UnsubKey: unsubKey, EarlierTailored: s.tailored}
	if s.Policy.Site.Catalogue {
		n.Tailoring = s.Career
	}
	return n
}

// loadQuestions reads the site's basic questions (issue 18), site content
// beside the policy file (career.QuestionsFile); a site without the file
// has none, and a file with a mistake stops the start.
func loadQuestions(p *policy.Policy) (*career.Questionnaire, error) {
	if p.File == "" || !p.Site.Catalogue {
		return nil, nil
	}
	path := filepath.Join(filepath.Dir(p.File), career.QuestionsFile(p.Site.ID))
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return career.ParseQuestions(path, data)
}

// hasher is the one bound on password hashes for every account operation
// of the process: at most HashConcurrency at once (the number of cores by
// default), account.DefaultHashQueue (64) waiting, the rest refused at
// once (503).
func hasher(cfg Config) *account.Hasher {
	if cfg.Hasher != nil {
		return cfg.Hasher
	}
	p := account.DefaultParams
	if cfg.HashParams != nil {
		p = *cfg.HashParams
	}
	h := account.NewHasher(p, cfg.HashConcurrency, -1)
	if cfg.HugePages {
		h.AdvisePages(hugepages.Heap{})
	}
	return h
}

// downloadKey is the key download links are signed with.
func downloadKey(cfg Config) []byte {
	if cfg.DownloadKey != nil {
		return cfg.DownloadKey
	}
	k := make([]byte, 32)
	rand.Read(k)
	return k
}
