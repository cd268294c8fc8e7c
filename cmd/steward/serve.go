package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/consent"
	"steward/internal/wiring"
	"steward/lms"
	"steward/mail"
	"steward/order"
	"steward/order/mollie"
	"steward/policy"
	"steward/policy/publication"
	"steward/retention/runner"
	"steward/store"
	usageservice "steward/usage/service"
	"steward/web"
)

const serveAbout = `Runs Steward's web server. With no flags it uses a SQLite file ./steward.db
(created and migrated on start), the policy policies/ivm.yaml and listens on
127.0.0.1:8080. SIGINT or SIGTERM shut it down gracefully.

Environment (flags win):
  STEWARD_DB        sqlite:PATH or postgres://user@host:5432/db
  STEWARD_POLICY    path of the site's policy file
  STEWARD_ADDR      listen address
  STEWARD_BASE_URL  public URL of the site, used in links sent by mail
  STEWARD_LOG       log format: text or json
  STEWARD_KEY_FILE  data key file for sensitive fields (default ./steward-data.key,
                    created on the first run with a new database; or 'steward
                    keygen'). The database remembers the key's id (never the
                    key): a start with another key or without the file is
                    refused; restore the file from its backup
  STEWARD_DATA_KEY  the data key itself, hex or base64 (instead of a file)
  STEWARD_CONSENT_KEY_FILE  the site's consent key (default ./steward-consent.key,
                    created on first run): signs receipts, cookie choices and
                    unsubscribe links, which must survive a restart
  STEWARD_AUDIT_KEY the audit log's ed25519 signing key file (default
                    ./steward-audit.key, created on first run): signs the head
                    at every commit that appends, so 'steward audit verify'
                    detects entries forged or cut off by anyone without it
  STEWARD_TRUSTED_PROXIES  reverse proxies (CIDR,...) whose X-Forwarded-For
                    and X-Forwarded-Proto are believed; unset ignores both
  STEWARD_HUGE_PAGES  on (default) or off: transparent huge pages for the
                    password hashes' memory while logins run (Linux, THP
                    'madvise'; docs/deploy.md)
  STEWARD_RETENTION_INTERVAL  run the policy's retention rules in the background
                    every DURATION (e.g. 1h); 0, the default, leaves it to
                    'steward retention run' from cron`

// serveGCPercent is the garbage collector's GOGC for serve unless the
// operator sets GOGC. Every login allocates an argon2id hash's 19 MiB
// (account.DefaultParams), live while it runs: at the default of 100 the
// heap goal sat just above the hashes in flight, so the collector ran
// every few logins and the runtime handed the freed hash memory back to
// the system between them, to fault it in again at the next login (issue
// 15). At 200, on an idle machine, logins at eight clients went from
// 63–67/s to 73/s (the bare argon2id rate was 73–82/s) with about half
// the page faults per login, and the peak under 64 concurrent logins
// stayed near 250 MB (docs/performance.md).
const serveGCPercent = 200

// batchGCPercent is the garbage collector's GOGC for 'steward retention
// run' and 'audit verify' (and their benches) unless the operator sets
// GOGC. A run's live heap is one page of subjects, a few MB, while it
// allocates per subject: at the default of 100 the collector and the
// preemptions it forces took 1.0–1.2 s of a 4.7 s run of 100,000
// erasures; at 400, 0.18 s (issue 15, docs/performance.md). Verify's is
// a few pages of the log per CPU while it reads 200 MB of them for a
// million entries: about 80 collections at 100. The heap goal stays a
// few tens of MB.
const batchGCPercent = 400

// gcPercentUnlessSet sets the collector's GOGC to p unless the operator
// set the GOGC environment variable.
func gcPercentUnlessSet(p int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(p)
	}
}

func runServe(ctx context.Context, a *app, args []string) error {
	o, err := a.serveOptions(args)
	if err != nil {
		return err
	}
	gcPercentUnlessSet(serveGCPercent)
	log, err := newLogger(a, o.logFormat)
	if err != nil {
		return err
	}
	k, err := a.serveKeys(o)
	if err != nil {
		return err
	}
	s, sealer, err := a.openServeStore(ctx, o, k, log)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return steward.Errorf(steward.EUNAVAILABLE, "error.cannot_listen", "addr", o.addr, "err", err)
	}
	scheme := "http"
	if o.certFile != "" {
		scheme = "https"
	}
	if o.baseURL == "" {
		o.baseURL = scheme + "://" + ln.Addr().String()
	}
	dispatcher, err := o.smtp.dispatcher(a, s, log)
	if err != nil {
		ln.Close()
		return err
	}
	// Every service is built once, here, and the server is given them:
	// for the policy in force now and, when the file is a version
	// announced to take effect later, for it too; web.Switch changes over
	// at its effective date without a restart (issue 20).
	wcfg := wiring.Config{Policy: k.policy, Store: s, Clock: a.clock, Log: log, BaseURL: o.baseURL, Sealer: sealer, MailNotify: dispatcher.Notify,
		HashConcurrency: o.hashConcurrency, HugePages: o.hugePages, Payments: o.payments, Downloads: o.downloads,
		// Download links verify on every instance and across restarts.
		DownloadKey: k.consent.Derive("download-links")}
	svc, err := wire(wcfg)
	if err != nil {
		ln.Close()
		return err
	}
	webCfg := web.Config{Store: s, Clock: a.clock, Log: log, BaseURL: o.baseURL, Secure: scheme == "https" || strings.HasPrefix(o.baseURL, "https://"),
		TrustedProxies: o.trusted, ConsentKey: k.consent, AuditKey: k.audit.Public(), MailNotify: dispatcher.Notify}
	h, err := web.New(webConfig(webCfg, svc))
	if err != nil {
		ln.Close()
		return err
	}
	var handler http.Handler = h
	runners := []*runner.Runner{svc.Retention.ForRules()}
	usages := []*usageservice.Service{svc.Usage}
	if !svc.From.IsZero() {
		wcfg.At, wcfg.Hasher = svc.From, svc.Accounts.Hasher
		next, err := wire(wcfg)
		if err != nil {
			ln.Close()
			return err
		}
		h2, err := web.New(webConfig(webCfg, next))
		if err != nil {
			ln.Close()
			return err
		}
		handler = &web.Switch{Clock: a.clock, At: svc.From, Before: h, After: h2}
		runners = append(runners, next.Retention.ForRules())
		usages = append(usages, next.Usage)
		log.Info("policy announced", "site", k.policy.Site.ID, "in_force", svc.Policy.Version.Number,
			"next", k.policy.Version.Number, "from", svc.From.Format(time.RFC3339))
	}
	// Background retention follows the policy in force at each run.
	inForce := func() *runner.Runner {
		if len(runners) > 1 && !a.clock.Now().Before(svc.From) {
			return runners[1]
		}
		return runners[0]
	}
	// Deletions and corrections reach the learning environment (issue 16
	// item 5) through its own outbox and dispatcher.
	lmsd, err := o.lms.dispatcher(a, s, svc, log)
	if err != nil {
		ln.Close()
		return err
	}
	if lmsd != nil {
		// An enrolment, a correction or an erasure reaches the LMS as
		// soon as its transaction commits, not at the next poll.
		s.OnLMSQueued(lmsd.Notify)
	}
	stopBackground := a.startBackground(o, s, dispatcher, lmsd, inForce, usages, log)
	defer stopBackground()
	return a.serveHTTP(ctx, o, ln, handler, k.policy, s.Dialect(), log)
}

// webConfig is base with the policy in force and the services built
// for it.
func webConfig(base web.Config, svc *wiring.Services) web.Config {
	base.Policy = svc.Policy
	base.Accounts, base.Consent, base.Gate, base.Desk, base.Retention = svc.Accounts, svc.Consent, svc.Gate, svc.Desk, svc.Retention
	base.Organisations, base.Learning, base.Notices, base.Catalogue, base.Career = svc.Organisations, svc.Learning, svc.Notices, svc.Catalogue, svc.Career
	base.Vouchers, base.Usage, base.Partners = svc.Vouchers, svc.Usage, svc.Partners
	base.APIKeys, base.Statements = svc.APIKeys, svc.Statements
	base.Vouchers, base.OIDC = svc.Vouchers, svc.OIDC
	base.Orders = svc.Orders
	return base
}

// serveOptions is serve's command line, read from flags and environment.
type serveOptions struct {
	db, policy, addr, baseURL    string
	certFile, keyFile, logFormat string
	dataKey, consentKeyFile      string
	smtp                         *smtpSettings
	lms                          *lmsSettings
	retentionEvery               time.Duration
	hashConcurrency              int
	hugePages                    bool
	trusted                      []netip.Prefix
	// publish, with its summaries, makes a changed policy the next
	// version; without it serve refuses a changed policy (issue 20).
	publish bool
	summary policy.Text
	// payments is the Mollie client (issue 17); nil when no key is
	// configured. downloads is the shop's file directory.
	payments  order.Provider
	downloads string
}

// serveOptions parses serve's flags; a bad value is refused before
// anything is opened (G3).
func (a *app) serveOptions(args []string) (*serveOptions, error) {
	fs := a.flags("serve", "[flags]", serveAbout)
	db := a.dbFlag(fs)
	pol := a.policyFlag(fs)
	addr := fs.String("addr", a.env("STEWARD_ADDR", defaultAddr), "listen address (env STEWARD_ADDR)")
	baseURL := fs.String("base-url", a.env("STEWARD_BASE_URL", ""), "public URL of the site (env STEWARD_BASE_URL; default http://ADDR)")
	certFile := fs.String("tls-cert", "", "serve HTTPS with this certificate (PEM); needs --tls-key")
	keyFile := fs.String("tls-key", "", "private key for --tls-cert (PEM)")
	logFormat := fs.String("log", a.env("STEWARD_LOG", "text"), "log format: text or json (env STEWARD_LOG)")
	dataKey := a.keyFileFlag(fs)
	consentKeyFile := a.consentKeyFlag(fs)
	smtp := smtpFlags(fs)
	lmsSet := lmsFlags(fs)
	retentionEvery := fs.String("retention-interval", a.env("STEWARD_RETENTION_INTERVAL", "0"),
		"run retention in the background every DURATION, e.g. 1h; 0 is off (env STEWARD_RETENTION_INTERVAL)")
	hashFlag := fs.String("hash-concurrency", a.env("STEWARD_HASH_CONCURRENCY", "0"),
		"password hashes computed at once, each holding 19 MiB; 0 is the number of cores; more wait briefly or get 503 (env STEWARD_HASH_CONCURRENCY)")
	hugeFlag := fs.String("huge-pages", a.env("STEWARD_HUGE_PAGES", "on"),
		"on or off: back the password hashes' memory with transparent huge pages while logins run, where the system leaves that to programs (Linux, THP 'madvise') (env STEWARD_HUGE_PAGES)")
	proxies := fs.String("trusted-proxy", a.env("STEWARD_TRUSTED_PROXIES", ""),
		"CIDR,... of reverse proxies whose X-Forwarded-For/-Proto are believed (env STEWARD_TRUSTED_PROXIES)")
	publish := fs.Bool("publish", false, "publish a changed policy as the next version (needs --summary-nl and --summary-en); without it serve refuses a policy that differs from the published one")
	summaryNL := fs.String("summary-nl", "", "with --publish: what changed, in Dutch")
	summaryEN := fs.String("summary-en", "", "with --publish: what changed, in English")
	mollieKeyFile := fs.String("mollie-key-file", "", "file holding the Mollie API key, test_... or live_... (or env STEWARD_MOLLIE_KEY); none: orders cannot be paid")
	mollieURL := fs.String("mollie-url", a.env("STEWARD_MOLLIE_URL", mollie.DefaultBaseURL), "Mollie API address (env STEWARD_MOLLIE_URL)")
	downloads := fs.String("downloads", a.env("STEWARD_DOWNLOADS", ""), "directory the shop's files are served from (env STEWARD_DOWNLOADS); none: no downloads")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	// The key comes from configuration only: never the database, never
	// a log line (issue 17).
	mollieKey := a.getenv("STEWARD_MOLLIE_KEY")
	if *mollieKeyFile != "" {
		b, err := readInputFile("mollie-key-file", *mollieKeyFile, 4096)
		if err != nil {
			return nil, steward.FieldError("mollie-key-file", "error.cannot_be_read", "err", err)
		}
		mollieKey = strings.TrimSpace(string(b))
	}
	var payments order.Provider
	if mollieKey != "" {
		if err := mollie.CheckKey(mollieKey); err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.mollie_key")
		}
		payments = mollie.Provider{Client: &mollie.Client{BaseURL: *mollieURL, Key: mollieKey}}
	}
	summary := policy.Text{NL: strings.TrimSpace(*summaryNL), EN: strings.TrimSpace(*summaryEN)}
	if *publish && !summary.Complete() {
		return nil, steward.FieldError("summary", "error.policy_summary_required")
	}
	hashes, err := strconv.Atoi(*hashFlag)
	if err != nil || hashes < 0 {
		return nil, steward.Errorf(steward.EINVALID, "error.hash_concurrency_bad")
	}
	if *hugeFlag != "on" && *hugeFlag != "off" {
		return nil, steward.Errorf(steward.EINVALID, "error.huge_pages_bad")
	}
	trusted, err := web.ParseTrustedProxies(*proxies)
	if err != nil {
		return nil, steward.Errorf(steward.EINVALID, "error.trusted_proxy", "err", err)
	}
	// G3: a bad interval is refused before anything is opened.
	interval, err := time.ParseDuration(*retentionEvery)
	if err != nil || interval < 0 {
		return nil, steward.Errorf(steward.EINVALID, "error.retention_interval_bad", "retention_every", *retentionEvery)
	}
	if (*certFile == "") != (*keyFile == "") {
		return nil, a.wrongUsage("serve", "cli.tls_cert_and_key_together")
	}
	if _, err := lmsSet.config(a); err != nil {
		return nil, err
	}
	return &serveOptions{db: *db, policy: *pol, addr: *addr, baseURL: *baseURL, certFile: *certFile, keyFile: *keyFile,
		logFormat: *logFormat, dataKey: *dataKey, consentKeyFile: *consentKeyFile, smtp: smtp, lms: lmsSet,
		retentionEvery: interval, hashConcurrency: hashes, trusted: trusted, publish: *publish, summary: summary,
		payments: payments, downloads: *downloads, hugePages: *hugeFlag == "on"}, nil
}

// serveKeys are the policy and the keys serve needs: the policy and the
// data key read before it opens the database, the consent and audit keys
// loaded — or, for a database that has none, created — once it is open,
// so a start away from the server's keys is refused (issue 13).
type serveKeys struct {
	policy *policy.Policy
	// policyFile is the file policy was parsed from, as read once.
	policyFile []byte
	data       *dataKey
	consent    *consent.Key
	audit      *audit.Signer
}

// serveKeys loads the policy, then the data key, so that a broken policy
// or a missing data key stops serve before the database is touched.
func (a *app) serveKeys(o *serveOptions) (*serveKeys, error) {
	var k serveKeys
	var err error
	// The policy is checked before the database is touched: a broken policy
	// changes nothing.
	if k.policyFile, err = readInputFile("policy "+o.policy, o.policy, maxPolicyFile); err != nil {
		return nil, err
	}
	if k.policy, err = policy.Parse(o.policy, k.policyFile); err != nil {
		return nil, err
	}
	// R3: a site with sensitive fields does not start without its data
	// key; the key is checked against the database below.
	if k.data, err = loadDataKey(a, k.policy, o.dataKey); err != nil {
		return nil, err
	}
	return &k, nil
}

// openServeStore opens (creating it on a first start) and migrates the
// database, loads the audit and consent keys and checks the data key
// against it, and records the policy version served.
func (a *app) openServeStore(ctx context.Context, o *serveOptions, k *serveKeys, log *slog.Logger) (*store.Store, *account.Sealer, error) {
	// G2: the audit key signs the head at every commit that appends, and
	// /staff/audit's "verify now" checks signatures with its public half.
	s, _, signer, err := a.makeStore(ctx, o.db)
	if err != nil {
		return nil, nil, err
	}
	k.audit = signer
	if w := s.PermissionWarning(); w != "" {
		log.Warn(w)
	}
	// Issue 6: cookie choices and unsubscribe links in mails already sent
	// are keyed by the site's consent key; an ephemeral one would void them
	// at every restart.
	if k.consent, err = a.consentKey(ctx, s, o.consentKeyFile, create); err != nil {
		s.Close()
		return nil, nil, err
	}
	sealer, err := k.data.bind(ctx, s, a.clock.Now(), log)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	p := k.policy
	if err := a.publishServed(ctx, o, k, s, log); err != nil {
		s.Close()
		return nil, nil, err
	}
	if err := s.RecordPolicyVersion(ctx, store.PolicyVersion{SiteID: p.Site.ID, Version: p.Version.Number,
		Dated: p.Version.Date.String(), SHA256: publication.Hash(k.policyFile), FirstSeen: a.clock.Now()}); err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, sealer, nil
}

// publishServed makes sure the policy served is a published version (G1,
// issue 20): the first start publishes it as version 1 (with the summary
// of its own history entry, or --summary-nl/--summary-en); a policy that
// differs from the newest version is published only with --publish, and
// otherwise stops serve, so a silent edit cannot change the promises.
func (a *app) publishServed(ctx context.Context, o *serveOptions, k *serveKeys, s *store.Store, log *slog.Logger) error {
	svc := &publication.Service{Store: s, Clock: a.clock}
	cur, ok, err := svc.Current(ctx, k.policy.Site.ID)
	if err != nil {
		return err
	}
	summary := o.summary
	switch {
	case ok && cur.SHA256 == publication.Hash(k.policyFile):
		return nil
	case ok && !o.publish:
		return steward.Errorf(steward.ECONFLICT, "error.policy_changed_unpublished", "n", cur.N, "file", o.policy)
	case !ok && !o.publish:
		summary = publication.FirstSummary(k.policy)
	}
	v, err := svc.Publish(ctx, k.policy, k.policyFile, audit.System("serve"), summary)
	if err != nil {
		return err
	}
	log.Info("policy published", "site", v.SiteID, "version", v.N)
	return nil
}

// startBackground starts serve's background jobs — the mail dispatcher,
// session pruning and, when asked, retention with the wired runner — and
// returns the function that stops them and waits for them.
func (a *app) startBackground(o *serveOptions, s *store.Store, dispatcher *mail.Dispatcher, lmsd *lms.Dispatcher, ret func() *runner.Runner,
	usages []*usageservice.Service, log *slog.Logger) (stop func()) {
	// Background work stops with ctx; shutdown waits for it.
	bgCtx, stopBackground := context.WithCancel(context.Background())
	bg := &jobs{log: log}
	bg.run(bgCtx, "mail", dispatcher.Run)
	if lmsd != nil {
		bg.run(bgCtx, "lms", lmsd.Run)
	}
	bg.every(bgCtx, "sessions", 10*time.Minute, func(ctx context.Context) error {
		// R12: expired sessions are removed, not merely refused.
		now := a.clock.Now()
		if _, err := s.PruneSessions(ctx, now.Add(-account.IdleTimeout), now.Add(-account.AbsoluteTimeout)); err != nil {
			return err
		}
		// Half-done logins (password right, code to come) go too.
		_, err := s.PruneLoginChallenges(ctx, now.Add(-account.ChallengeLifetime))
		return err
	})
	if o.retentionEvery > 0 {
		// R9, R10, Z9: the policy's periods are kept without anyone
		// remembering to run them. The lease makes a second server or a
		// cron job at the same moment harmless: it finds the lease taken.
		// ret gives a copy of the wired runner of the policy in force
		// (issue 20), made once: a run keeps its lease holder in it.
		bg.every(bgCtx, "retention", o.retentionEvery, func(ctx context.Context) error {
			return backgroundRetention(ctx, ret(), log)
		})
	}
	// Usage counts (issue 18 item 8) are added up in memory and written
	// once a minute; shutdown, after the last request, writes the rest.
	bg.every(bgCtx, "usage counts", usageFlushEvery, func(ctx context.Context) error {
		return flushUsage(ctx, usages)
	})
	return func() {
		stopBackground()
		bg.wait()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := flushUsage(ctx, usages); err != nil {
			log.Error("usage counts not written at shutdown", "err", err)
		}
	}
}

// usageFlushEvery is how often serve writes the usage counts.
const usageFlushEvery = time.Minute

// flushUsage writes the counts of each site version's usage service (nil
// ones count nothing).
func flushUsage(ctx context.Context, usages []*usageservice.Service) error {
	var errs []error
	for _, u := range usages {
		errs = append(errs, u.Flush(ctx))
	}
	return errors.Join(errs...)
}

// serveHTTP serves h on ln until ctx ends (SIGINT, SIGTERM), then shuts
// down gracefully, giving requests in flight 15 seconds.
func (a *app) serveHTTP(ctx context.Context, o *serveOptions, ln net.Listener, h http.Handler, p *policy.Policy, dialect store.Dialect, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("steward serving", "site", p.Site.ID, "policy_version", p.Version.Number, "db", dialect, "url", o.baseURL)
	fmt.Fprintf(a.stdout, "Steward serves %s (%s, policy version %s) on %s\n", p.Site.Name, dialect, p.Version.Number, o.baseURL)
	errc := make(chan error, 1)
	go func() {
		if o.certFile != "" {
			errc <- srv.ServeTLS(ln, o.certFile, o.keyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	fmt.Fprintln(a.stdout, "Steward stopped")
	return nil
}

// newLogger builds the process logger. Logs carry ids and field names only
// (see web's access log); never personal values.
func newLogger(a *app, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(a.stderr, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(a.stderr, nil)), nil
	default:
		return nil, steward.Errorf(steward.EINVALID, "error.log_must_be_text", "format", format)
	}
}

// backgroundRetention is one run of serve's retention job. Another runner
// holding the lease (a cron job, a second server) is normal, not an error:
// it is logged at info and the next interval tries again.
func backgroundRetention(ctx context.Context, r *runner.Runner, log *slog.Logger) error {
	rep, err := r.Run(ctx)
	if errors.Is(err, runner.ErrBusy) {
		log.Info("retention: another runner holds the lease; trying again at the next interval")
		return nil
	}
	if err != nil {
		return err
	}
	t := rep.Total()
	log.Info("retention run", "as_of", rep.AsOf.Format(time.DateOnly), "warned", t.Warn, "deleted", t.Delete,
		"anonymised", t.Anonymise, "waiting", t.Wait, "held", t.Held, "batches", rep.Batches, "scanned", rep.Scanned)
	return nil
}
