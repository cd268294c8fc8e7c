package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"steward"
	"steward/anonymise"
	"steward/anonymise/partner"
)

// runPartnersExport writes the anonymised export for an analysis partner
// (Z6, issue 19) and its report beside it, and records the disclosure.
// Nothing is written when the policy's k, l or suppression bound cannot be
// met: both files are written to temporary names and renamed only after
// the disclosure is recorded.
func runPartnersExport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("partners export", "--partner ID --out FILE.csv --staff ID",
		"Builds the dataset the policy prescribes for an anonymised_recipient (its export's\n"+
			"fields, from confirmed accounts whose processing for the export's purpose is\n"+
			"allowed), partitions the people by Mondrian (cuts along the policy's hierarchies,\n"+
			"refining the cuts of earlier exports) into classes of at least min_k people whose\n"+
			"sensitive fields show min_l distinct values, suppressing at most\n"+
			"max_suppressed_percent of the records, and writes FILE.csv and\n"+
			"FILE.csv.report.json. Exit 1, nothing written, if that cannot be done. The export\n"+
			"is recorded as a disclosure to the partner in the audit log.\n"+
			"See docs/anonymisation.md.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	id := fs.String("partner", "", "the partner's id in the policy's processors (kind anonymised_recipient)")
	out := fs.String("out", "", "the CSV file to write; the report is written to FILE.report.json")
	fields := fs.String("fields", "", "comma-separated subset of the partner's export fields (default: all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return steward.FieldError("partner", "error.is_required")
	}
	if *out == "" {
		return steward.FieldError("out", "error.is_required")
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	svc, s, actor, err := a.staffServices(ctx, *db, *staff, p)
	if err != nil {
		return err
	}
	defer s.Close()
	var subset []string
	if *fields != "" {
		for _, f := range strings.Split(*fields, ",") {
			subset = append(subset, strings.TrimSpace(f))
		}
	}
	ex, err := svc.Partners.Build(ctx, *id, subset)
	if err != nil {
		return err
	}
	report := *out + ".report.json"
	csvTmp, repTmp, sum, err := writeExport(*out, report, ex)
	defer os.Remove(csvTmp)
	defer os.Remove(repTmp)
	if err != nil {
		return err
	}
	exportID, err := svc.Partners.Record(ctx, actor, ex, sum)
	if err != nil {
		return err
	}
	if err := os.Rename(repTmp, report); err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", report, "err", err)
	}
	if err := os.Rename(csvTmp, *out); err != nil {
		os.Remove(report)
		return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
	}
	r := ex.Report
	fmt.Fprintf(a.stdout, "export %s for %s: %d of %d records released (%d of %d live accounts, %d of %d anonymised accounts' statistics; %d suppressed, %d excluded by their processing limits), k=%d l=%d; report %s\n",
		exportID, *id, r.Released, r.Records+ex.Excluded, r.Released-r.StatisticsReleased, ex.Live, r.StatisticsReleased, r.StatisticsRecords,
		r.Suppressed, ex.Excluded, r.K, r.L, report)
	return nil
}

// exportReport is FILE.report.json.
type exportReport struct {
	Partner       string           `json:"partner"`
	Excluded      int              `json:"excluded_by_processing_limits"`
	Live          int              `json:"live_records"`
	Columns       []string         `json:"columns"`
	Anonymisation anonymise.Report `json:"anonymisation"`
}

// writeExport writes the CSV and the report to temporary files beside
// their final names and returns those and the report's SHA-256.
func writeExport(out, report string, ex *partner.Export) (csvTmp, repTmp, sum string, err error) {
	rep, err := json.MarshalIndent(exportReport{Partner: ex.Partner, Excluded: ex.Excluded, Live: ex.Live,
		Columns: ex.Columns, Anonymisation: ex.Report}, "", "  ")
	if err != nil {
		return "", "", "", fmt.Errorf("partners export: %w", err)
	}
	rep = append(rep, '\n')
	h := sha256.Sum256(rep)
	if repTmp, err = writeTemp(report, func(f *os.File) error { _, err := f.Write(rep); return err }); err != nil {
		return "", "", "", err
	}
	csvTmp, err = writeTemp(out, func(f *os.File) error {
		w := csv.NewWriter(f)
		w.Write(ex.Columns)
		w.WriteAll(ex.Rows)
		return w.Error()
	})
	return csvTmp, repTmp, hex.EncodeToString(h[:]), err
}

// writeTemp writes a new temporary file in name's directory.
func writeTemp(name string, write func(*os.File) error) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return "", steward.Errorf(steward.EINVALID, "error.cannot_write", "out", name, "err", err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", steward.Errorf(steward.EINVALID, "error.cannot_write", "out", name, "err", err)
	}
	return f.Name(), nil
}
