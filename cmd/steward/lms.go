package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"steward"
	"steward/account"
	"steward/internal/wiring"
	"steward/lms"
	"steward/policy"
	"steward/store"
)

// lmsSettings are the LMS web service flags of a command (serve, lms
// send-due), read after parsing; each falls back to its environment
// variable. The token has no flag, so it never shows in a process
// listing: it comes from STEWARD_LMS_TOKEN or the file --lms-token-file
// names. Neither ever goes into the database or a log line.
type lmsSettings struct {
	url, tokenFile, matchField, registerField, studentRole string
}

// lmsFlags adds the LMS flags to a command. With no URL, no LMS is
// configured: deletions and corrections wait in the LMS outbox.
func lmsFlags(fs *flag.FlagSet) *lmsSettings {
	s := &lmsSettings{}
	fs.StringVar(&s.url, "lms-url", "", "the learning environment's (Moodle's) base URL; none keeps LMS messages in its outbox (env STEWARD_LMS_URL)")
	fs.StringVar(&s.tokenFile, "lms-token-file", "", "file holding the Moodle web service token (or env STEWARD_LMS_TOKEN)")
	fs.StringVar(&s.matchField, "lms-match-field", "", "the Moodle user field holding Steward's OIDC subject: idnumber (default) or username (env STEWARD_LMS_MATCH_FIELD)")
	fs.StringVar(&s.registerField, "lms-register-field", "", "shortname of the Moodle custom profile field for the register number; default register_number (env STEWARD_LMS_REGISTER_FIELD)")
	fs.StringVar(&s.studentRole, "lms-student-role", "", "the Moodle role id an enrolment assigns; default 5, Moodle's student role (env STEWARD_LMS_STUDENT_ROLE)")
	return s
}

// config resolves the settings against the environment.
func (s *lmsSettings) config(a *app) (lms.Config, error) {
	or := func(flagValue, env string) string {
		if flagValue != "" {
			return flagValue
		}
		return a.getenv(env)
	}
	cfg := lms.Config{
		URL:           or(s.url, "STEWARD_LMS_URL"),
		Token:         a.getenv("STEWARD_LMS_TOKEN"),
		MatchField:    or(s.matchField, "STEWARD_LMS_MATCH_FIELD"),
		RegisterField: or(s.registerField, "STEWARD_LMS_REGISTER_FIELD"),
	}
	if role := or(s.studentRole, "STEWARD_LMS_STUDENT_ROLE"); role != "" {
		n, err := strconv.ParseInt(role, 10, 64)
		if err != nil || n <= 0 {
			return lms.Config{}, steward.FieldError("lms-student-role", "error.lms_student_role")
		}
		cfg.StudentRole = n
	}
	if s.tokenFile != "" {
		b, err := os.ReadFile(s.tokenFile)
		if err != nil {
			return lms.Config{}, steward.FieldError("lms-token-file", "error.cannot_be_read", "err", err)
		}
		cfg.Token = strings.TrimSpace(string(b))
	}
	if err := cfg.Check(); err != nil {
		return lms.Config{}, steward.Errorf(steward.EINVALID, "error.lms_config", "err", err)
	}
	return cfg, nil
}

// lmsDispatcher builds the LMS dispatcher of serve or a command: the
// client the settings describe (none without a URL), the values of
// corrections read with the site's services (svc.LMSValues).
func (s *lmsSettings) dispatcher(a *app, st *store.Store, svc *wiring.Services, log *slog.Logger) (*lms.Dispatcher, error) {
	cfg, err := s.config(a)
	if err != nil {
		return nil, err
	}
	return lms.NewDispatcher(st, lms.NewClient(cfg, nil), svc.LMSValues, a.clock, svc.Audit, lms.Options{Logger: log}), nil
}

func runLMSSendDue(ctx context.Context, a *app, args []string) error {
	fs := a.flags("lms send-due", "[LMS flags]",
		"Tells the learning environment (Moodle) every deletion, correction and\n"+
			"enrolment that is due now, once, through its REST web service, and reports\n"+
			"how many it confirmed, will retry, or gave up on. For sites that run it from cron\n"+
			"instead of the dispatcher inside 'steward serve'; safe to run while serve\n"+
			"runs: each message is claimed by one sender.")
	db := a.dbFlag(fs)
	policyPath := a.policyFlag(fs)
	keyFile := a.keyFileFlag(fs)
	set := lmsFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	p, err := loadPolicy(*policyPath)
	if err != nil {
		return err
	}
	s, err := a.openStoreToChange(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	cfg, err := set.config(a)
	if err != nil {
		return err
	}
	if !cfg.Enabled() {
		return steward.Errorf(steward.EINVALID, "error.no_lms_configured")
	}
	sealer, err := lmsSealer(ctx, a, s, p, *keyFile)
	if err != nil {
		return err
	}
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock, Sealer: sealer})
	if err != nil {
		return err
	}
	d, err := set.dispatcher(a, s, svc, slog.New(slog.NewTextHandler(a.stderr, nil)))
	if err != nil {
		return err
	}
	r, err := d.DeliverDue(ctx)
	fmt.Fprintf(a.stdout, "confirmed %d, retrying %d, failed %d\n", r.Done, r.Retrying, r.Failed)
	return err
}

// lmsSealer is the data key's sealer when one is configured and is the
// database's; without it a correction of a sensitive field (the register
// number) cannot be read and is retried until a key is given.
func lmsSealer(ctx context.Context, a *app, s *store.Store, p *policy.Policy, keyFile string) (*account.Sealer, error) {
	if account.SensitiveField(p) == "" {
		return nil, nil
	}
	dk, err := loadDataKey(a, p, keyFile)
	if err != nil || dk == nil || dk.key == nil {
		return nil, err
	}
	recorded, err := s.DataKeyID(ctx)
	if err != nil {
		return nil, err
	}
	if id := dataKeyID(dk.key); recorded != "" && recorded != id {
		return nil, steward.Errorf(steward.EINVALID, "error.data_key_mismatch", "source", dk.source(), "id", id, "recorded", recorded)
	}
	return account.NewSealer(dk.key)
}

func runLMSList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("lms list", "[--status pending|done|failed] [-n N]",
		"Lists the messages for the learning environment, newest first: id, what\n"+
			"(delete, update with the fields, or enrol with the enrolment record), the\n"+
			"LMS user's OIDC subject, status, attempts, the last error and when the LMS\n"+
			"confirmed. No values: there are none in the outbox.")
	db := a.dbFlag(fs)
	status := fs.String("status", "", "only messages in this state: pending, done or failed")
	n := fs.Int("n", 50, "at most this many messages")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *n < 1 || *n > 10000 {
		return steward.FieldError("n", "error.must_be_between_1_and_10000")
	}
	switch store.LMSStatus(*status) {
	case "", store.LMSPending, store.LMSDone, store.LMSFailed:
	default:
		return steward.FieldError("status", "error.lms_status")
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	ms, err := s.LMSMessages(ctx, store.LMSStatus(*status), *n)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tOP\tLMS SUBJECT\tSTATUS\tATTEMPTS\tCREATED\tCONFIRMED\tLAST ERROR")
	for _, m := range ms {
		op := string(m.Op)
		if len(m.Fields) > 0 {
			op += " " + strings.Join(m.Fields, ",")
		}
		if m.RecordID != 0 {
			op += fmt.Sprintf(" record %d", m.RecordID)
		}
		done := "-"
		if !m.DoneAt.IsZero() {
			done = m.DoneAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", m.ID, op, m.LMSSubject, m.Status, m.Attempts,
			m.CreatedAt.Format(time.RFC3339), done, m.LastError)
	}
	return w.Flush()
}
