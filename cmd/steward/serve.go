package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/internal/wiring"
	"steward/retention/runner"
	"steward/store"
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
  STEWARD_RETENTION_INTERVAL  run the policy's retention rules in the background
                    every DURATION (e.g. 1h); 0, the default, leaves it to
                    'steward retention run' from cron`

func runServe(ctx context.Context, a *app, args []string) error {
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
	retentionEvery := fs.String("retention-interval", a.env("STEWARD_RETENTION_INTERVAL", "0"),
		"run retention in the background every DURATION, e.g. 1h; 0 is off (env STEWARD_RETENTION_INTERVAL)")
	hashFlag := fs.String("hash-concurrency", a.env("STEWARD_HASH_CONCURRENCY", "0"),
		"password hashes computed at once, each holding 19 MiB; 0 is the number of cores; more wait briefly or get 503 (env STEWARD_HASH_CONCURRENCY)")
	proxies := fs.String("trusted-proxy", a.env("STEWARD_TRUSTED_PROXIES", ""),
		"CIDR,... of reverse proxies whose X-Forwarded-For/-Proto are believed (env STEWARD_TRUSTED_PROXIES)")
	if err := parse(fs, args); err != nil {
		return err
	}
	hashes, err := strconv.Atoi(*hashFlag)
	if err != nil || hashes < 0 {
		return steward.Errorf(steward.EINVALID, "--hash-concurrency: must be a whole number, 0 or more")
	}
	trusted, err := web.ParseTrustedProxies(*proxies)
	if err != nil {
		return steward.Errorf(steward.EINVALID, "--trusted-proxy: %v", err)
	}
	// G3: a bad interval is refused before anything is opened.
	interval, err := time.ParseDuration(*retentionEvery)
	if err != nil || interval < 0 {
		return steward.Errorf(steward.EINVALID, "--retention-interval %q: must be a duration such as 1h or 30m, or 0 for off", *retentionEvery)
	}
	if (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(a.stderr, "steward serve: --tls-cert and --tls-key go together")
		return errUsage
	}
	log, err := newLogger(a, *logFormat)
	if err != nil {
		return err
	}
	// The policy is checked before the database is touched: a broken policy
	// changes nothing.
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	// R3: a site with sensitive fields does not start without its data
	// key; the key is checked against the database below.
	dk, err := loadDataKey(a, p, *dataKey)
	if err != nil {
		return err
	}
	// Issue 6: cookie choices and unsubscribe links in mails already sent
	// are keyed by the site's consent key; an ephemeral one would void them
	// at every restart.
	consentKey, err := loadConsentKey(a, *consentKeyFile)
	if err != nil {
		return err
	}
	// G2: the store loads the audit key at its first append (openStore);
	// serve loads it now as well, so a missing directory or a damaged key
	// stops it here rather than failing every request that audits, and
	// /staff/audit's "verify now" checks signatures with its public half.
	auditKey, err := a.auditSigner()
	if err != nil {
		return err
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if w := s.PermissionWarning(); w != "" {
		log.Warn(w)
	}
	sealer, err := dk.bind(ctx, s, a.clock.Now(), log)
	if err != nil {
		return err
	}
	sum, err := policyHash(*pol)
	if err != nil {
		return err
	}
	if err := s.RecordPolicyVersion(ctx, store.PolicyVersion{SiteID: p.Site.ID, Version: p.Version.Number,
		Dated: p.Version.Date.String(), SHA256: sum, FirstSeen: a.clock.Now()}); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return steward.Errorf(steward.EUNAVAILABLE, "cannot listen on %s: %v", *addr, err)
	}
	scheme := "http"
	if *certFile != "" {
		scheme = "https"
	}
	if *baseURL == "" {
		*baseURL = scheme + "://" + ln.Addr().String()
	}
	dispatcher, err := smtp.dispatcher(a, s, log)
	if err != nil {
		ln.Close()
		return err
	}
	// Every service is built once, here, and the server is given them.
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock, Log: log, BaseURL: *baseURL, Sealer: sealer, MailNotify: dispatcher.Notify,
		HashConcurrency: hashes})
	if err != nil {
		ln.Close()
		return err
	}
	h, err := web.New(web.Config{Policy: p, Store: s, Clock: a.clock, Log: log, BaseURL: *baseURL, Secure: scheme == "https" || strings.HasPrefix(*baseURL, "https://"),
		TrustedProxies: trusted, ConsentKey: consentKey, AuditKey: auditKey.Public(), MailNotify: dispatcher.Notify,
		Accounts: svc.Accounts, Consent: svc.Consent, Gate: svc.Gate, Desk: svc.Desk, Retention: svc.Retention})
	if err != nil {
		ln.Close()
		return err
	}
	// Background work stops with ctx; shutdown waits for it below.
	bgCtx, stopBackground := context.WithCancel(context.Background())
	bg := &jobs{log: log}
	bg.run(bgCtx, "mail", dispatcher.Run)
	bg.every(bgCtx, "sessions", 10*time.Minute, func(ctx context.Context) error {
		// R12: expired sessions are removed, not merely refused.
		now := a.clock.Now()
		_, err := s.PruneSessions(ctx, now.Add(-account.IdleTimeout), now.Add(-account.AbsoluteTimeout))
		return err
	})
	if interval > 0 {
		// R9, R10, Z9: the policy's periods are kept without anyone
		// remembering to run them. The lease makes a second server or a
		// cron job at the same moment harmless: it finds the lease taken.
		// A copy of the wired runner: a run keeps its lease holder in it.
		r := svc.Retention.ForRules()
		bg.every(bgCtx, "retention", interval, func(ctx context.Context) error {
			return backgroundRetention(ctx, r, log)
		})
	}
	defer func() {
		stopBackground()
		bg.wait()
	}()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("steward serving", "site", p.Site.ID, "policy_version", p.Version.Number, "db", s.Dialect(), "url", *baseURL)
	fmt.Fprintf(a.stdout, "Steward serves %s (%s, policy version %s) on %s\n", p.Site.Name, s.Dialect(), p.Version.Number, *baseURL)
	errc := make(chan error, 1)
	go func() {
		if *certFile != "" {
			errc <- srv.ServeTLS(ln, *certFile, *keyFile)
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
		return nil, steward.Errorf(steward.EINVALID, "--log must be text or json, got %q", format)
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
