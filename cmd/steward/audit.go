package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward"
	"steward/audit"
)

// keyFlag adds --key (env STEWARD_AUDIT_KEY): the audit signing key file.
func (a *app) keyFlag(fs *flag.FlagSet) *string {
	return fs.String("key", a.env("STEWARD_AUDIT_KEY", audit.DefaultKeyFile), "audit signing key file, ed25519 PEM (env STEWARD_AUDIT_KEY)")
}

const auditVerifyAbout = `Checks every audit entry: numbered without gaps, each linking to the hash of
the one before, each matching its own hash, the last matching the signed head,
and every checkpoint signed by the audit key and matching its entry. Prints the
number of entries checked and, if the log is broken, the first broken entry and
why; exits 1 then. Signatures are checked with the public key --pubkey names
(what 'steward audit pubkey' prints: an auditor needs nothing secret), else
with the signing key file. Without either it exits 1, unless --no-signatures
says to check the chain alone, which cannot tell a cut-off tail or a
rewritten chain from an intact one.

The genesis record, kept apart from the audit tables and sealed with the key
when the first entry was appended, must still match its entry: a log whose
audit tables were emptied, or whose genesis was deleted, is broken.

--checkpoint checks a line 'steward audit checkpoint' printed and the operator
kept outside the database: the log must still hold that entry with that hash,
and the line must be signed by the key. It catches a log rolled back to a copy
or rewritten, even by someone holding the key. Give the line itself (quoted) or
@FILE for every line of a file (blank lines and lines starting with # are
skipped); repeat the flag for more. A malformed line is an error and nothing
is checked.`

func runAuditVerify(ctx context.Context, a *app, args []string) error {
	fs := a.flags("audit verify", "[--from N] [--db DSN] [--pubkey FILE | --key FILE | --no-signatures] [--checkpoint LINE | --checkpoint @FILE]...", auditVerifyAbout)
	db := a.dbFlag(fs)
	key := a.keyFlag(fs)
	pubkey := fs.String("pubkey", "", "the audit key's public key (PEM from 'steward audit pubkey', or hex); wins over --key")
	from := fs.Uint64("from", 1, "first entry whose content is checked")
	every := fs.Uint64("every", audit.DefaultCheckpointEvery, "require a checkpoint every N entries (0: do not)")
	noSigs := fs.Bool("no-signatures", false, "check the chain alone, without a key: cannot tell a cut-off or rewritten log")
	var kept []string
	fs.Func("checkpoint", "a line 'steward audit checkpoint' printed, kept outside the database, or @FILE of such lines; repeatable", func(v string) error {
		kept = append(kept, v)
		return nil
	})
	if err := parse(fs, args); err != nil {
		return err
	}
	gcPercentUnlessSet(batchGCPercent)
	opt := audit.VerifyOptions{From: *from, CheckpointEvery: *every}
	// Every line is read before the database is opened: a malformed one
	// is an error, and nothing is checked (or created, or migrated).
	for _, v := range kept {
		cps, err := readCheckpointLines(v)
		if err != nil {
			return err
		}
		opt.External = append(opt.External, cps...)
	}
	switch {
	case *noSigs && *pubkey != "":
		return steward.FieldError("no-signatures", "error.no_signatures_with_pubkey")
	case *noSigs:
		// Said once the database is open: with none there is nothing to check.
	case *pubkey != "":
		// A public key named and not found is an error, never a silent
		// verification without signatures.
		pub, err := audit.LoadPublicKey(*pubkey)
		if err != nil {
			return err
		}
		opt.Key = pub
	default:
		signer, err := audit.LoadKey(*key)
		switch {
		case steward.ErrorCode(err) == steward.ENOTFOUND:
			// Issue 14: "intact" without signatures says nothing of a
			// wiped or cut-off log, so it is never the answer by default.
			return steward.Errorf(steward.EINVALID, "error.verify_needs_key", "path", *key)
		case err != nil:
			return err
		default:
			opt.Key = signer.Public()
		}
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if *noSigs {
		fmt.Fprintln(a.stderr, "steward audit verify: --no-signatures: the chain alone is checked, so a cut-off tail or a rewritten chain goes unnoticed")
	}
	start := time.Now()
	r, err := audit.Verify(ctx, s.Audit(), opt)
	if err != nil {
		return err
	}
	took := time.Since(start)
	if r.Broken != nil {
		fmt.Fprintf(a.stdout, "checked %d entries; BROKEN at entry %d: %s\n", r.Checked, r.Broken.Seq, r.Broken.Reason)
		return errReported
	}
	signed := "signatures checked with key " + audit.KeyID(opt.Key)
	if !r.Signed {
		signed = "signatures NOT checked"
	}
	if r.Genesis.State == audit.GenesisSealed {
		signed += fmt.Sprintf(", genesis at entry %d", r.Genesis.Size)
	} else {
		signed += ", genesis not sealed yet"
	}
	ext := ""
	if r.External > 0 {
		ext = fmt.Sprintf(", matching %d checkpoints kept outside the database,", r.External)
	}
	fmt.Fprintf(a.stdout, "checked %d entries up to %d and %d checkpoints (%s)%s in %s: intact\n",
		r.Checked, r.Head.Seq, r.Checkpoints, signed, ext, took.Round(time.Millisecond))
	return nil
}

// readCheckpointLines reads the value of one --checkpoint: a line, or
// @FILE for every line of a file but blank ones and # comments. An error
// says which line is wrong and how, on one line.
func readCheckpointLines(v string) ([]audit.Checkpoint, error) {
	path, isFile := strings.CutPrefix(v, "@")
	if !isFile {
		cp, err := audit.ParseCheckpointLine(v)
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.checkpoint_flag", "err", err)
		}
		return []audit.Checkpoint{cp}, nil
	}
	data, err := readInputFile("--checkpoint @"+path, path, maxInputFile)
	if err != nil {
		return nil, err
	}
	var out []audit.Checkpoint
	for i, line := range strings.Split(string(data), "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cp, err := audit.ParseCheckpointLine(line)
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.checkpoint_line", "path", path, "n", i+1, "err", err)
		}
		out = append(out, cp)
	}
	if len(out) == 0 {
		return nil, steward.Errorf(steward.EINVALID, "error.checkpoint_file_empty", "path", path)
	}
	return out, nil
}

func runAuditTail(ctx context.Context, a *app, args []string) error {
	fs := a.flags("audit tail", "[-n N] [--action A] [--subject PSEUDONYM] [--db DSN]", "Shows the latest audit entries, oldest first.")
	db := a.dbFlag(fs)
	n := fs.Int("n", 20, "how many entries")
	action := fs.String("action", "", "only this action (e.g. consent.withdraw)")
	subject := fs.String("subject", "", "only entries about this subject pseudonym (ps_...)")
	if err := parse(fs, args); err != nil {
		return err
	}
	f := audit.Filter{Action: audit.Action(*action), Subject: audit.Pseudonym(*subject)}
	if f.Action != "" && !f.Action.Valid() {
		var names []string
		for _, act := range audit.Actions() {
			names = append(names, string(act))
		}
		return steward.FieldError("action", "error.is_not_audit_action", "action", *action, "join", strings.Join(names, ", "))
	}
	if f.Subject != "" {
		if err := f.Subject.Validate(); err != nil {
			return err
		}
	}
	if *n < 1 || *n > audit.MaxPageLimit {
		return steward.FieldError("n", "error.must_be_1", "max_page_limit", audit.MaxPageLimit)
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	entries, _, err := s.Audit().List(ctx, f, audit.Page{Limit: *n})
	if err != nil {
		return err
	}
	slices.Reverse(entries)
	for _, e := range entries {
		fmt.Fprintln(a.stdout, tailLine(e))
	}
	return nil
}

// tailLine shows an entry on one line.
func tailLine(e audit.Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6d  %s  %-18s %s", e.Seq, e.Time.Format("2006-01-02T15:04:05.000Z"), e.Action, e.Actor)
	if e.ObjectKind != "" {
		fmt.Fprintf(&b, "  %s/%s", e.ObjectKind, e.ObjectID)
	}
	if e.Subject != "" {
		fmt.Fprintf(&b, "  subject=%s", e.Subject)
	}
	if len(e.Fields) > 0 {
		fmt.Fprintf(&b, "  fields=%s", strings.Join(e.Fields, ","))
	}
	if e.PolicyVersion != "" {
		fmt.Fprintf(&b, "  policy=%s", e.PolicyVersion)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, "  request=%s", e.RequestID)
	}
	return b.String()
}

// exportLine is one line of 'audit export': every column, hashes in hex,
// so an auditor can recompute the chain with the documented encoding.
type exportLine struct {
	Seq           uint64    `json:"seq"`
	Time          time.Time `json:"time"`
	Actor         string    `json:"actor"`
	Action        string    `json:"action"`
	ObjectKind    string    `json:"object_kind"`
	ObjectID      string    `json:"object_id"`
	Subject       string    `json:"subject"`
	Fields        []string  `json:"fields"`
	PolicyVersion string    `json:"policy_version"`
	RequestID     string    `json:"request_id"`
	Format        uint8     `json:"format"`
	PrevHash      string    `json:"prev_hash"`
	Hash          string    `json:"hash"`
}

func runAuditExport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("audit export", "--since DATE [--db DSN]", "Writes every audit entry from DATE (YYYY-MM-DD, UTC, or RFC 3339) on to stdout\nas JSON Lines, oldest first, for an auditor.")
	db := a.dbFlag(fs)
	since := fs.String("since", "", "first day (YYYY-MM-DD) or instant (RFC 3339)")
	if err := parse(fs, args); err != nil {
		return err
	}
	t, err := parseSince(*since)
	if err != nil {
		return err
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	w := bufio.NewWriter(a.stdout)
	enc := json.NewEncoder(w)
	err = s.Audit().Since(ctx, t, func(e *audit.Entry) error {
		return enc.Encode(exportLine{
			Seq: e.Seq, Time: e.Time, Actor: string(e.Actor), Action: string(e.Action),
			ObjectKind: e.ObjectKind, ObjectID: e.ObjectID, Subject: string(e.Subject),
			Fields: append([]string{}, e.Fields...), PolicyVersion: e.PolicyVersion, RequestID: e.RequestID,
			Format: e.Format, PrevHash: e.PrevHash.String(), Hash: e.Hash.String(),
		})
	})
	if err != nil {
		return err
	}
	return w.Flush()
}

func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, steward.FieldError("since", "error.is_required_since_2026")
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, steward.FieldError("since", "error.is_neither_yyyy_mm", "s", s)
}

func runAuditCheckpoint(ctx context.Context, a *app, args []string) error {
	fs := a.flags("audit checkpoint", "[--db DSN] [--key FILE]", "Verifies the audit log and signs a checkpoint of its head: a statement that\nentry N has hash H. Keep the printed line outside the database (an auditor's\ncopy, e.g. 'steward audit checkpoint >> /elsewhere/audit-checkpoints' from\ncron): 'steward audit verify --checkpoint @FILE' then proves the log was not\ncut back, rolled back or rewritten since. Only the line goes to stdout.\nThe key must be the one the database expects; it is never created here.")
	db := a.dbFlag(fs)
	key := a.keyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	signer, err := a.auditSigner(ctx, s, auditKeyAt(*key), claim)
	if err != nil {
		return err
	}
	r, err := audit.Verify(ctx, s.Audit(), audit.VerifyOptions{Key: signer.Public()})
	if err != nil {
		return err
	}
	// Only the checkpoint line goes to stdout, so that
	// 'steward audit checkpoint >> FILE' keeps nothing else.
	if r.Broken != nil {
		a.note("audit checkpoint", "cli.checkpoint_broken", "seq", r.Broken.Seq, "reason", r.Broken.Reason)
		return errReported
	}
	if r.Head.Seq == 0 {
		a.note("audit checkpoint", "cli.checkpoint_empty_log")
		return nil
	}
	cp, err := s.Audit().Checkpoint(ctx, signer, r.Head.Seq, r.Head.Hash, a.clock.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, cp.Line())
	return nil
}

func runAuditPubkey(ctx context.Context, a *app, args []string) error {
	fs := a.flags("audit pubkey", "[--key FILE]", "Prints the public half of the audit signing key as PEM, and its key id on\nstderr. Give it to an auditor: 'steward audit verify --pubkey FILE' checks\nevery signature with it and needs no secret. The key is never created here.")
	key := a.keyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	signer, err := audit.LoadKey(*key)
	if err != nil {
		return err
	}
	if _, err := a.stdout.Write(audit.MarshalPublicKey(signer.Public())); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "audit key id %s (%s)\n", signer.KeyID(), *key)
	return nil
}
