package main

import (
	"flag"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"steward"
	"steward/mail"
	"steward/store"
)

// smtpSettings are the SMTP flags of a command, read after parsing by
// config. Each flag falls back to its environment variable.
type smtpSettings struct {
	host, port, user, passwordFile, tls, from string
}

// smtpFlags adds the SMTP flags to a command (serve, mail send-due). With no
// host, no SMTP is configured: nothing is sent and mail waits in the outbox.
// The password has no flag, so it never shows in a process listing: it comes
// from STEWARD_SMTP_PASSWORD or from the file --smtp-password-file names.
func smtpFlags(fs *flag.FlagSet) *smtpSettings {
	s := &smtpSettings{}
	fs.StringVar(&s.host, "smtp-host", "", "SMTP server; none keeps mail in the outbox (env STEWARD_SMTP_HOST)")
	fs.StringVar(&s.port, "smtp-port", "", "SMTP port; default 587 for starttls, 465 for tls, 25 for none (env STEWARD_SMTP_PORT)")
	fs.StringVar(&s.user, "smtp-user", "", "SMTP user name (env STEWARD_SMTP_USER)")
	fs.StringVar(&s.passwordFile, "smtp-password-file", "", "file holding the SMTP password (or env STEWARD_SMTP_PASSWORD)")
	fs.StringVar(&s.tls, "smtp-tls", "", "none, starttls or tls; default starttls (env STEWARD_SMTP_TLS)")
	fs.StringVar(&s.from, "mail-from", "", `sender, e.g. "IVM <noreply@ivm.nl>" (env STEWARD_MAIL_FROM)`)
	return s
}

// config resolves the settings against the environment. A zero Host means
// no SMTP is configured.
func (s *smtpSettings) config(a *app) (mail.Config, error) {
	or := func(flagValue, env string) string {
		if flagValue != "" {
			return flagValue
		}
		return a.getenv(env)
	}
	cfg := mail.Config{
		Host:     or(s.host, "STEWARD_SMTP_HOST"),
		Username: or(s.user, "STEWARD_SMTP_USER"),
		From:     or(s.from, "STEWARD_MAIL_FROM"),
		Password: a.getenv("STEWARD_SMTP_PASSWORD"),
	}
	if s.passwordFile != "" {
		b, err := os.ReadFile(s.passwordFile)
		if err != nil {
			return mail.Config{}, steward.FieldError("smtp-password-file", "error.cannot_be_read", "err", err)
		}
		cfg.Password = strings.TrimRight(string(b), "\r\n")
	}
	if p := or(s.port, "STEWARD_SMTP_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return mail.Config{}, steward.FieldError("smtp-port", "error.must_be_number")
		}
		cfg.Port = n
	}
	mode, err := mail.ParseTLSMode(or(s.tls, "STEWARD_SMTP_TLS"))
	if err != nil {
		return mail.Config{}, err
	}
	cfg.TLS = mode
	return cfg, nil
}

// sender returns the SMTP sender the settings describe, or nil when no SMTP
// host is configured.
func (s *smtpSettings) sender(a *app) (*mail.Sender, error) {
	cfg, err := s.config(a)
	if err != nil || !cfg.Enabled() {
		return nil, err
	}
	return mail.NewSender(cfg)
}

// dispatcher returns a mail dispatcher for st that sends with these settings,
// or sends nothing when no SMTP host is configured (serve still runs; mail
// waits in the outbox for 'steward mail list/show').
func (s *smtpSettings) dispatcher(a *app, st *store.Store, log *slog.Logger) (*mail.Dispatcher, error) {
	snd, err := s.sender(a)
	if err != nil {
		return nil, err
	}
	var t mail.Transport
	if snd != nil {
		t = snd
	}
	return mail.NewDispatcher(st, t, a.clock, mail.Options{Logger: log}), nil
}
