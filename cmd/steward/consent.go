package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"steward"
	"steward/audit"
	"steward/consent"
)

// consentKeyFlag adds --consent-key (env STEWARD_CONSENT_KEY_FILE).
func (a *app) consentKeyFlag(fs *flag.FlagSet) *string {
	return fs.String("consent-key", a.env("STEWARD_CONSENT_KEY_FILE", consent.DefaultKeyFile),
		"the site's ed25519 consent key file (env STEWARD_CONSENT_KEY_FILE); created by the first 'serve' or 'migrate' of a database, which records its id")
}

const verifyReceiptAbout = `Checks a consent receipt (Art. 7(1) GDPR proof a person downloaded): the
site's signature over its content, and that every notice text hashes to the
fingerprint its records carry. Prints one line; exits 0 when the receipt is
valid and 1 when it was changed or is not signed by this site's key.`

func runConsentVerifyReceipt(ctx context.Context, a *app, args []string) error {
	fs := a.flags("consent verify-receipt", "[flags] FILE", verifyReceiptAbout)
	keyPath := a.consentKeyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	data, err := readInputFile("receipt "+fs.Arg(0), fs.Arg(0), maxInputFile)
	if err != nil {
		return err
	}
	key, err := consent.LoadKey(*keyPath)
	if err != nil {
		return err
	}
	p, err := consent.VerifyReceipt(data, key.Public())
	if err != nil {
		fmt.Fprintf(a.stdout, "%s: NOT valid: %s\n", fs.Arg(0), steward.ErrorMessage(err))
		return errReported
	}
	fmt.Fprintf(a.stdout, "%s: valid: %d records for subject %s, signed by key %s, issued %s\n",
		fs.Arg(0), len(p.Records), p.Subject, key.ID(), p.IssuedAt.Format("2006-01-02 15:04:05Z"))
	return nil
}

const receiptAbout = `Writes the signed consent receipt of one subject (account, visitor or
newsletter sign-up id): their consent history with the words of every
notice (Art. 7(1) GDPR). The export is recorded in the audit log as
export.download by system:cli before the receipt is written (R12).`

func runConsentReceipt(ctx context.Context, a *app, args []string) error {
	fs := a.flags("consent receipt", "[flags] --subject ID", receiptAbout)
	db := a.dbFlag(fs)
	pol := a.policyFlag(fs)
	keyPath := a.consentKeyFlag(fs)
	subject := fs.String("subject", "", "the subject id")
	out := fs.String("out", "", "write to this file instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *subject == "" {
		return a.wrongUsage("consent receipt", "cli.subject_required")
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	s, err := a.openStoreToChange(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	key, err := a.consentKey(ctx, s, *keyPath, checkOnly)
	if err != nil {
		return err
	}
	// A temporary file beside --out is made before the export is recorded,
	// so a bad --out is an error that records and changes nothing; it
	// replaces --out only once the receipt is written whole.
	var tmp *os.File
	if *out != "" {
		if tmp, err = os.CreateTemp(filepath.Dir(*out), ".consent-receipt-*"); err != nil {
			return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
	}
	d, err := newDesk(s, p, a.clock, "")
	if err != nil {
		return err
	}
	rc, err := d.ConsentReceipt(ctx, key, *subject, audit.System("cli"))
	if err != nil {
		return err
	}
	if tmp == nil {
		_, err = a.stdout.Write(rc)
		return err
	}
	if _, err := tmp.Write(rc); err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	if err := tmp.Close(); err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	fmt.Fprintf(a.stdout, "wrote %s\n", *out)
	return nil
}
