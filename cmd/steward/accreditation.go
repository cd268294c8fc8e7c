package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"steward"
	"steward/accreditation"
	accservice "steward/accreditation/service"
	"steward/internal/wiring"
)

const accreditationExportAbout = `Writes the register's accreditation file for PE-online (R8; format and
sources in docs/accreditation.md): one CSV line per person and accredited
course passed since --since whose accreditation was not reported yet —
the person's full registration number (opened with the data key for this
alone), the course, its LMS course id, the points the course earns in the
register and the day it was passed. Each line's accreditation record gets
its reported_at, so running it again exports nothing twice (--again
exports those reported before too); each person's transfer is recorded as
a disclosure to PE-online, shown in their My data. A person without a
register number is listed on stderr by account id and skipped, never
written with an empty number. All or nothing; audited to your staff
account with ids and field names only.`

func runAccreditationExport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("accreditation export", "--register NAME --since DATE --out FILE.csv --staff ID", accreditationExportAbout)
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	keyFile := a.keyFileFlag(fs)
	register := fs.String("register", "", "the register, as the course catalogue names it (e.g. knmp)")
	since := fs.String("since", "", "the first day of completions to export, YYYY-MM-DD")
	out := fs.String("out", "", "the CSV file to write (mode 0600); it must not exist yet")
	again := fs.Bool("again", false, "also export accreditations reported before")
	recipient := fs.String("recipient", "pe_online", "the policy's processors entry the file goes to")
	prefix := fs.String("number-prefix", accreditation.DefaultPrefix, "written before each 11-digit registration number (\"\" for the digits alone)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *register == "":
		return steward.FieldError("register", "error.is_required")
	case *since == "":
		return steward.FieldError("since", "error.is_required")
	case *out == "":
		return steward.FieldError("out", "error.out_file_is_required")
	}
	day, err := time.Parse(time.DateOnly, *since)
	if err != nil {
		return steward.Errorf(steward.EINVALID, "error.flag_must_be_a_date", "flag", "since", "value", *since)
	}
	if _, err := os.Lstat(*out); err == nil {
		return steward.Errorf(steward.ECONFLICT, "error.exists_refusing_overwrite", "out", *out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	s, actor, err := a.openStoreAsStaff(ctx, *db, *staff)
	if err != nil {
		return err
	}
	defer s.Close()
	open, err := exportOpener(ctx, a, s, p, *keyFile)
	if err != nil {
		return err
	}
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock})
	if err != nil {
		return err
	}
	var tmp string
	defer func() {
		if tmp != "" {
			os.Remove(tmp)
		}
	}()
	res, err := svc.Accreditation.Export(ctx, actor, accservice.Options{Recipient: *recipient, Register: *register, Since: day, Again: *again, Prefix: *prefix},
		accservice.Opener(open), func(rows []accreditation.Row) error {
			var err error
			tmp, err = writeTemp(*out, func(f *os.File) error {
				if err := f.Chmod(0o600); err != nil {
					return err
				}
				return accreditation.Write(f, rows)
			})
			return err
		})
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, *out); err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	tmp = ""
	for _, sk := range res.Skipped {
		fmt.Fprintf(a.stderr, "skipped: account %s (accreditation %d) has no register number\n", sk.Account, sk.Record)
	}
	fmt.Fprintf(a.stdout, "export %s for register %s: %d accreditations of %d people written to %s, %d skipped without a register number\n",
		res.ID, *register, res.Rows, res.People, filepath.Base(*out), len(res.Skipped))
	return nil
}
