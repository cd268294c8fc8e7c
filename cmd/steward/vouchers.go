package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"steward"
	"steward/internal/wiring"
	"steward/voucher"
)

// runVouchersCreate makes a batch of voucher codes for an organisation's
// course (issue 17, R6) and writes them as CSV to stdout or --out: the
// only time they are shown, as only their hashes are kept.
func runVouchersCreate(ctx context.Context, a *app, args []string) error {
	fs := a.flags("vouchers create", "--organisation ID --course SLUG --count N --expires DATE [--label L] [--out FILE] --staff ID",
		"Creates N voucher codes for a course, for an organisation: whoever redeems one\n"+
			"is enrolled after being told that the organisation sees their learning results.\n"+
			"The codes are written once, as CSV ("+fmt.Sprint(voucher.CodesHeader)+"), to stdout or\n"+
			"--out (mode 0600, must not exist yet); only their hashes are kept. DATE is the\n"+
			"last day a code works (YYYY-MM-DD). --staff is a privacy officer, an admin or\n"+
			"the organisation's manager; the batch is audited to it.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	org := fs.String("organisation", "", "the organisation's id")
	course := fs.String("course", "", "the course's slug")
	count := fs.Int("count", 0, fmt.Sprintf("how many codes (1 to %d)", voucher.MaxCount))
	expires := fs.String("expires", "", "the last day the codes work, YYYY-MM-DD")
	label := fs.String("label", "", "a label for your own bookkeeping")
	out := fs.String("out", "", "write the CSV to this new file instead of stdout")
	if _, err := positional(fs, args, 0); err != nil {
		return err
	}
	day, err := time.Parse(time.DateOnly, *expires)
	if err != nil {
		return steward.Errorf(steward.EINVALID, "error.flag_must_be_a_date", "flag", "expires", "value", *expires)
	}
	if *staff == "" {
		return steward.FieldError("staff", "error.is_required_your_staff")
	}
	if *out != "" {
		// Checked before the batch exists, so a file in the way changes
		// nothing; created only once the codes exist.
		if _, err := os.Lstat(*out); err == nil {
			return steward.Errorf(steward.ECONFLICT, "error.exists_refusing_overwrite", "out", *out)
		}
	}
	b, codes, err := createVouchers(ctx, a, *db, *pol, *staff, voucher.Batch{Organisation: *org, Course: *course, Count: *count,
		ExpiresAt: voucher.ExpiresAfter(day), Label: *label})
	if err != nil {
		return err
	}
	var w io.Writer = a.stdout
	var f *os.File
	if *out != "" {
		if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
		}
		w = f
	}
	if err := voucher.WriteCodesCSV(w, b, codes); err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
		}
		fmt.Fprintf(a.stderr, "%d codes written to %s (batch %s)\n", len(codes), *out, b.ID)
	}
	return nil
}

func createVouchers(ctx context.Context, a *app, db, pol, staff string, b voucher.Batch) (*voucher.Batch, []string, error) {
	p, err := loadPolicy(pol)
	if err != nil {
		return nil, nil, err
	}
	if !voucher.Enabled(p) {
		return nil, nil, steward.Errorf(steward.EINVALID, "error.policy_has_no_vouchers")
	}
	s, err := a.openStoreToChange(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	by, err := s.AccountByID(ctx, staff)
	if err != nil || !by.IsStaff() {
		return nil, nil, steward.Errorf(steward.EFORBIDDEN, "error.is_not_staff_account", "id", staff)
	}
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock})
	if err != nil {
		return nil, nil, err
	}
	return svc.Vouchers.Create(ctx, by, b)
}
