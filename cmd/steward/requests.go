package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/policy"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
)

// The request queue on the command line (R13): an operator can work
// without the web UI, and cron can alert on overdue requests.

// deskEnv is what every requests and disclosures command opens.
type deskEnv struct {
	store *store.Store
	desk  *desk.Desk
}

func (e *deskEnv) Close() { e.store.Close() }

// openDesk opens the store (with open) and policy behind a Desk.
func openDesk(ctx context.Context, a *app, open opener, dsn, policyPath string) (*deskEnv, error) {
	p, err := loadPolicy(policyPath)
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	d, err := newDesk(s, p, a.clock, a.env("STEWARD_BASE_URL", "http://"+defaultAddr))
	if err != nil {
		s.Close()
		return nil, err
	}
	return &deskEnv{store: s, desk: d}, nil
}

// openStaffDesk opens the desk for a step taken by the staff account id,
// which must have a role that handles requests: every step is audited to
// a person (R12).
func openStaffDesk(ctx context.Context, a *app, open opener, dsn, policyPath, staff string) (*deskEnv, audit.Actor, error) {
	env, err := openDesk(ctx, a, open, dsn, policyPath)
	if err != nil {
		return nil, "", err
	}
	actor, err := staffActor(ctx, env.store, staff)
	if err != nil {
		env.Close()
		return nil, "", err
	}
	return env, actor, nil
}

// staffFlag adds --staff (env STEWARD_STAFF): the operator's own staff
// account id, so every step is audited to a person (R12).
func (a *app) staffFlag(fs *flag.FlagSet) *string {
	return fs.String("staff", a.env("STEWARD_STAFF", ""), "your staff account id (env STEWARD_STAFF); every step is audited to it")
}

// staffActor checks that id is a staff account with a role that handles
// requests (privacy_officer or admin) and returns its audit actor.
func staffActor(ctx context.Context, s *store.Store, id string) (audit.Actor, error) {
	if id == "" {
		return "", steward.FieldError("staff", "error.is_required_your_staff")
	}
	acc, err := s.AccountByID(ctx, id)
	if err != nil || !acc.Role.Allows(account.RolePrivacyOfficer) {
		return "", steward.Errorf(steward.EFORBIDDEN, "error.is_not_staff_account", "id", id)
	}
	return audit.Staff(acc.ID), nil
}

// subjectFlags adds --subject ID and --email ADDRESS, one of which names
// the person.
func subjectFlags(fs *flag.FlagSet) (id, email *string) {
	return fs.String("subject", "", "the person's account id"), fs.String("email", "", "the person's e-mail address (instead of --subject)")
}

func resolveSubject(ctx context.Context, s *store.Store, id, email string) (string, error) {
	switch {
	case id != "" && email != "":
		return "", steward.FieldError("subject", "error.give_subject_or_email")
	case id != "":
		return id, nil
	case email != "":
		acc, err := s.AccountByEmail(ctx, email)
		if err != nil {
			return "", steward.Errorf(steward.ENOTFOUND, "error.no_account_has_email")
		}
		return acc.ID, nil
	}
	return "", steward.FieldError("subject", "error.is_required_subject_id")
}

// requestSubject is whom a request entered on the command line concerns:
// the account --subject names, or whom --email names — an account or,
// failing that, a newsletter sign-up (issue 13 item 5).
func requestSubject(ctx context.Context, d *desk.Desk, id, email string) (rights.SubjectKind, string, error) {
	switch {
	case id != "" && email != "":
		return "", "", steward.FieldError("subject", "error.give_subject_or_email")
	case id != "":
		return rights.SubjectAccount, id, nil
	case email != "":
		sub, err := d.FindSubject(ctx, email)
		if err != nil {
			return "", "", err
		}
		return sub.Kind, sub.ID, nil
	}
	return "", "", steward.FieldError("subject", "error.is_required_subject_id")
}

// splitID takes a leading positional ID, so "requests extend ID --period P1M"
// reads naturally; flags may also come first.
func splitID(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func needID(fs *flag.FlagSet, id string) (string, error) {
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fs.Usage()
		return "", errUsage
	}
	if id == "" {
		fs.Usage()
		return "", errUsage
	}
	return id, nil
}

var windowForm = regexp.MustCompile(`^(\d{1,4})([dw])$`)

// parseWindow reads --due-within: 7d, 2w, or an ISO 8601 period of days
// or weeks (P7D, P2W).
func parseWindow(s string) (time.Duration, error) {
	if m := windowForm.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		if m[2] == "w" {
			n *= 7
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	if d, err := policy.ParseDuration(s); err == nil && d.Years == 0 && d.Months == 0 {
		return time.Duration(d.Days) * 24 * time.Hour, nil
	}
	return 0, steward.FieldError("due-within", "error.must_be_days_or_weeks")
}

func parseDay(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, steward.FieldError(field, "error.must_be_a_date_yyyy_mm_dd")
	}
	return t, nil
}

const requestsListAbout = `Lists open data-subject requests by deadline, earliest first, with their
flags: OVERDUE past the deadline, SOON within seven days (Art. 12(3) GDPR).
Exits 0 whatever it finds, so cron can mail the output; --format json gives
one JSON array for alerting.`

func runRequestsList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("requests list", "[--overdue] [--due-within 7d] [--all] [--format table|json]", requestsListAbout)
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	overdue := fs.Bool("overdue", false, "only requests past their deadline")
	within := fs.String("due-within", "", "only requests due within this window (7d, 2w), overdue ones included")
	all := fs.Bool("all", false, "include completed and refused requests")
	format := formatFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	o := desk.QueueOptions{Overdue: *overdue, All: *all}
	if *within != "" {
		w, err := parseWindow(*within)
		if err != nil {
			return err
		}
		o.DueWithin = w
	}
	if err := format.check(); err != nil {
		return err
	}
	env, err := openDesk(ctx, a, a.openStore, *db, *pol)
	if err != nil {
		return err
	}
	defer env.Close()
	items, err := env.desk.Queue(ctx, o)
	if err != nil {
		return err
	}
	if format.json() {
		return writeQueueJSON(a.stdout, items)
	}
	if len(items) == 0 {
		fmt.Fprintln(a.stdout, "no requests")
		return nil
	}
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTYPE\tCHANNEL\tRECEIVED\tDEADLINE\tSTATUS\tFLAG")
	for _, it := range items {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Type, it.Channel, dayText(it.ReceivedOn),
			deadlineText(it), it.Status, flagText(it))
	}
	return w.Flush()
}

// queueJSON is one request in 'requests list --format json'. It carries ids
// and dates only, never what the person asked.
type queueJSON struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Channel    string `json:"channel"`
	Status     string `json:"status"`
	ReceivedOn string `json:"received_on"`
	VerifiedOn string `json:"verified_on,omitempty"`
	StartsOn   string `json:"deadline_from,omitempty"`
	Deadline   string `json:"deadline,omitempty"`
	Extended   string `json:"extension,omitempty"`
	Overdue    bool   `json:"overdue"`
	DueSoon    bool   `json:"due_soon"`
}

func writeQueueJSON(w io.Writer, items []desk.Item) error {
	out := make([]queueJSON, 0, len(items))
	for _, it := range items {
		out = append(out, queueJSON{ID: it.ID, Type: string(it.Type), Channel: string(it.Channel), Status: string(it.Status),
			ReceivedOn: dayText(it.ReceivedOn), VerifiedOn: dayText(it.VerifiedOn), StartsOn: dayText(it.Start),
			Deadline: dayText(it.Deadline), Extended: durationText(it.Extension), Overdue: it.Overdue, DueSoon: it.DueSoon})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func dayText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func durationText(d policy.Duration) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func deadlineText(it desk.Item) string {
	if it.Deadline.IsZero() {
		return "awaiting proof of identity"
	}
	s := dayText(it.Deadline)
	if !it.Extension.IsZero() {
		s += " (extended " + it.Extension.String() + ")"
	}
	return s
}

func flagText(it desk.Item) string {
	switch {
	case it.Overdue:
		return "OVERDUE"
	case it.DueSoon:
		return "SOON"
	}
	return ""
}

func runRequestsShow(ctx context.Context, a *app, args []string) error {
	id, args := splitID(args)
	fs := a.flags("requests show", "ID", "Shows one request: its dates, deadline, status and timeline.")
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	id, err := needID(fs, id)
	if err != nil {
		return err
	}
	env, err := openDesk(ctx, a, a.openStore, *db, *pol)
	if err != nil {
		return err
	}
	defer env.Close()
	it, err := env.desk.Request(ctx, id, "")
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "request\t%s\n", it.ID)
	fmt.Fprintf(w, "type\t%s\n", it.Type)
	fmt.Fprintf(w, "channel\t%s\n", it.Channel)
	subjectKind := "account"
	if it.SubjectKind == rights.SubjectSignUp {
		subjectKind = "newsletter sign-up"
	}
	fmt.Fprintf(w, "subject\t%s %s\n", subjectKind, it.SubjectID)
	fmt.Fprintf(w, "received\t%s\n", dayText(it.ReceivedOn))
	fmt.Fprintf(w, "identity verified\t%s %s\n", dayText(it.VerifiedOn), it.Verified)
	fmt.Fprintf(w, "deadline\t%s %s\n", deadlineText(it), flagText(it))
	fmt.Fprintf(w, "status\t%s\n", it.Status)
	if it.Purpose != "" {
		fmt.Fprintf(w, "purpose\t%s\n", it.Purpose)
	}
	w.Flush()
	fmt.Fprintln(a.stdout, "\ntimeline:")
	for _, st := range it.Steps {
		fmt.Fprintf(a.stdout, "  %s  %-17s %s  %s\n", st.At.Format("2006-01-02 15:04 UTC"), st.Kind, st.Actor, st.Note)
	}
	return nil
}

func runRequestsAdd(ctx context.Context, a *app, args []string) error {
	fs := a.flags("requests add", "--subject ID|--email ADDRESS --type TYPE --channel CHANNEL --received YYYY-MM-DD",
		"Enters a request that arrived outside self-service. The deadline (one month,\n"+
			"Art. 12(3) GDPR) counts from the day of receipt. Prints the request id.\n"+
			"--email finds the person's account or, failing that, their newsletter sign-up\n"+
			"without an account; an address the site holds nothing on is refused.\n"+
			"Types: "+strings.Join(typeNames(), ", ")+". Channels: email, letter, phone, self_service.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	subjectID, email := subjectFlags(fs)
	typ := fs.String("type", "", "what the person asks for")
	fs.StringVar(typ, "kind", "", "the same as --type")
	channel := fs.String("channel", "", "how the request arrived")
	received := fs.String("received", "", "the day it arrived, YYYY-MM-DD (default today)")
	details := fs.String("details", "", "what the person asked, in your words")
	purpose := fs.String("purpose", "", "for objection and withdraw: the purpose id")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	env, actor, err := openStaffDesk(ctx, a, a.openStoreToChange, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer env.Close()
	n := rights.NewRequest{Type: rights.Type(*typ), Channel: rights.Channel(*channel), Details: *details, Purpose: *purpose, ReceivedOn: env.desk.Today()}
	if *received != "" {
		if n.ReceivedOn, err = parseDay("received", *received); err != nil {
			return err
		}
	}
	if n.SubjectKind, n.SubjectID, err = requestSubject(ctx, env.desk, *subjectID, *email); err != nil {
		return err
	}
	r, err := env.desk.Add(ctx, actor, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s\n", r.ID)
	return nil
}

func typeNames() []string {
	out := make([]string, len(rights.Types))
	for i, t := range rights.Types {
		out[i] = string(t)
	}
	return out
}

func runRequestsVerify(ctx context.Context, a *app, args []string) error {
	id, args := splitID(args)
	fs := a.flags("requests verify", "ID --link | --note TEXT",
		"Verifies the requester's identity (Art. 12(6) GDPR): --link mails a confirmation\n"+
			"link to the account's e-mail address; --note records how you checked it yourself.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	link := fs.Bool("link", false, "mail a confirmation link to the account's address")
	note := fs.String("note", "", "how identity was checked (never a document number)")
	if err := parse(fs, args); err != nil {
		return err
	}
	id, err := needID(fs, id)
	if err != nil {
		return err
	}
	if *link == (*note != "") {
		return steward.FieldError("link", "error.give_exactly_one_link")
	}
	env, actor, err := openStaffDesk(ctx, a, a.openStoreToChange, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer env.Close()
	if *link {
		if err := env.desk.AskVerification(ctx, actor, id); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s: confirmation link mailed\n", id)
		return nil
	}
	if _, err := env.desk.VerifyManually(ctx, actor, id, *note); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: identity verified\n", id)
	return nil
}

func runRequestsExtend(ctx context.Context, a *app, args []string) error {
	id, args := splitID(args)
	fs := a.flags("requests extend", "ID --period P2M --reason TEXT",
		"Extends the deadline once, by at most two months, and mails the person the\n"+
			"reason and the new date (Art. 12(3) GDPR). Refused after the first month.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	period := fs.String("period", "P2M", "the extension, an ISO 8601 period of at most P2M")
	reason := fs.String("reason", "", "why the answer takes longer; sent to the person")
	if err := parse(fs, args); err != nil {
		return err
	}
	id, err := needID(fs, id)
	if err != nil {
		return err
	}
	ext, err := policy.ParseDuration(*period)
	if err != nil {
		return steward.FieldError("period", "error.must_be_iso_8601")
	}
	env, actor, err := openStaffDesk(ctx, a, a.openStoreToChange, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer env.Close()
	r, err := env.desk.Extend(ctx, actor, id, ext, *reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: extended to %s; the person is mailed\n", id, dayText(r.Deadline(env.desk.DeadlineClock())))
	return nil
}

func runRequestsComplete(ctx context.Context, a *app, args []string) error {
	id, args := splitID(args)
	fs := a.flags("requests complete", "ID [--outcome TEXT] | --refuse REASON",
		"Completes a verified request by running the same action the person's own\n"+
			"self-service runs (erasure erases, restriction restricts, objection and\n"+
			"withdraw stop the purpose), or refuses it with the reasons (Art. 12(4)).\n"+
			"Either way the person is mailed the outcome in the same transaction: what\n"+
			"was done, or the reason with the supervisory authority to complain to and\n"+
			"the way to court. An erased person has no address and is not mailed.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	outcome := fs.String("outcome", "", "what was done; mailed to the person")
	refuse := fs.String("refuse", "", "refuse the request, for this reason; mailed to the person with where to complain")
	if err := parse(fs, args); err != nil {
		return err
	}
	id, err := needID(fs, id)
	if err != nil {
		return err
	}
	if *refuse != "" && *outcome != "" {
		return steward.FieldError("refuse", "error.give_outcome_or_refuse")
	}
	env, actor, err := openStaffDesk(ctx, a, a.openStoreToChange, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer env.Close()
	var r *rights.Request
	if *refuse != "" {
		r, err = env.desk.Refuse(ctx, actor, id, *refuse)
	} else {
		r, err = env.desk.Complete(ctx, actor, id, *outcome)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: %s\n", id, r.Status)
	return nil
}

func runRequestsLiftRestriction(ctx context.Context, a *app, args []string) error {
	fs := a.flags("requests lift-restriction", "--subject ID|--email ADDRESS --reason TEXT",
		"Lifts a restriction of processing (Art. 18 GDPR) once the dispute is resolved:\n"+
			"the person's data is processed again and no longer held back from retention.\n"+
			"The person is mailed the reason in the same transaction, before processing\n"+
			"resumes (Art. 18(3)); the step is audited to your staff account.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	subjectID, email := subjectFlags(fs)
	reason := fs.String("reason", "", "why the restriction ends; sent to the person")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if strings.TrimSpace(*reason) == "" {
		return steward.FieldError("reason", "error.reason_is_required_person")
	}
	env, actor, err := openStaffDesk(ctx, a, a.openStoreToChange, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer env.Close()
	id, err := resolveSubject(ctx, env.store, *subjectID, *email)
	if err != nil {
		return err
	}
	if err := env.desk.LiftRestriction(ctx, id, *reason, actor); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: restriction lifted; the person is mailed\n", id)
	return nil
}

const requestsExportAbout = `Writes the export of the person a verified access or portability request
concerns (Art. 15(3), 20 GDPR): the very ZIP the person downloads from My
data, made by the same code, sensitive fields opened with the data key
serve uses, for a request that arrived by e-mail, letter or phone. The file
is written with mode 0600 through a temporary file beside it and appears
only once whole; an existing file is not overwritten. Before the file is
written the download is recorded: export.download by your staff account on
the request, and an export_produced step on its timeline (R12). A request
of another type, unverified or closed is refused (exit 1) and nothing is
written or recorded.`

func runRequestsExport(ctx context.Context, a *app, args []string) error {
	id, args := splitID(args)
	fs := a.flags("requests export", "ID --out FILE", requestsExportAbout)
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	keyFile := a.keyFileFlag(fs)
	out := fs.String("out", "", "the file to write the ZIP to (mode 0600); it must not exist yet")
	if err := parse(fs, args); err != nil {
		return err
	}
	id, err := needID(fs, id)
	if err != nil {
		return err
	}
	if *out == "" {
		return steward.FieldError("out", "error.out_file_is_required")
	}
	if _, err := os.Lstat(*out); err == nil {
		return steward.Errorf(steward.ECONFLICT, "error.exists_refusing_overwrite", "out", *out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	env, actor, err := openStaffDesk(ctx, a, a.openStoreToChange, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer env.Close()
	open, err := exportOpener(ctx, a, env.store, env.desk.Policy, *keyFile)
	if err != nil {
		return err
	}
	// The temporary file first: a directory that cannot be written to is
	// an error before anything is recorded.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".steward-export-*")
	if err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := tmp.Chmod(0o600); err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	if err := env.desk.ExportForRequest(ctx, tmp, id, actor, desk.CollectOptions{Open: open, Reveal: true}); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	if err := tmp.Close(); err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	fmt.Fprintf(a.stdout, "%s: export written to %s\n", id, *out)
	return nil
}

// exportOpener opens sensitive fields for an export with the data key
// serve uses (R3), as the site's own export does. It never makes a key,
// which could open nothing, nor claims one for the database: a policy
// that declares a sensitive field needs STEWARD_DATA_KEY or an existing
// --key-file, and a key other than the one the database's fields are
// sealed with is refused, so no export goes out with its values masked.
func exportOpener(ctx context.Context, a *app, s *store.Store, p *policy.Policy, keyFile string) (desk.Opener, error) {
	f := account.SensitiveField(p)
	if f == "" {
		return nil, nil
	}
	dk, err := loadDataKey(a, p, keyFile)
	if err != nil {
		return nil, err
	}
	recorded, err := s.DataKeyID(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case dk.key == nil && recorded != "":
		return nil, steward.Errorf(steward.EINVALID, "error.data_key_file_missing_recorded", "file", dk.file, "recorded", recorded)
	case dk.key == nil:
		return nil, steward.Errorf(steward.EINVALID, "error.data_key_file_missing_export", "file", dk.file, "f", f)
	}
	if id := dataKeyID(dk.key); recorded != "" && recorded != id {
		return nil, steward.Errorf(steward.EINVALID, "error.data_key_mismatch", "source", dk.source(), "id", id, "recorded", recorded)
	}
	sealer, err := account.NewSealer(dk.key)
	if err != nil {
		return nil, err
	}
	return sealer.OpenField, nil
}
