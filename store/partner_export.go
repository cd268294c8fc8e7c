package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// LivePersons returns the ids of confirmed person accounts not anonymised
// (issue 19: the people an anonymised partner export is built from).
func (s *Store) LivePersons(ctx context.Context) ([]string, error) {
	ids, err := rowsOf(ctx, s.Reader, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT id FROM accounts WHERE role = '' AND anonymised_at IS NULL AND confirmed_at IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: live persons: %w", err)
	}
	return ids, nil
}

// EachProfileValueOf calls fn with every stored value of a profile record
// kind, for every account (issue 19). Sensitive values arrive sealed.
func (s *Store) EachProfileValueOf(ctx context.Context, record string, fn func(account, field, value string) error) error {
	err := s.eachRow(ctx, `SELECT account_id, field, value FROM profile_values WHERE record = $1`, []any{record},
		func(rows *sql.Rows) error {
			var a, f, v string
			if err := rows.Scan(&a, &f, &v); err != nil {
				return err
			}
			return fn(a, f, v)
		})
	if err != nil {
		return fmt.Errorf("store: profile values of %s: %w", record, err)
	}
	return nil
}

// EachRecordValueOfKind calls fn with every value of the records of a
// kind that are not anonymised, for every subject (issue 19).
func (s *Store) EachRecordValueOfKind(ctx context.Context, kind string, fn func(subject, field, value string) error) error {
	err := s.eachRow(ctx, `SELECT r.subject_id, v.field, v.value
		FROM records r JOIN record_values v ON v.record_id = r.id
		WHERE r.kind = $1 AND r.anonymised_at IS NULL ORDER BY r.id, v.field`, []any{kind},
		func(rows *sql.Rows) error {
			var sub, f, v string
			if err := rows.Scan(&sub, &f, &v); err != nil {
				return err
			}
			return fn(sub, f, v)
		})
	if err != nil {
		return fmt.Errorf("store: %s record values: %w", kind, err)
	}
	return nil
}

// PartnerExport is one anonymised export handed to a partner (issue 19):
// counts, the levels chosen, the loss measures and the report's hash; no
// values of any person.
type PartnerExport struct {
	ID           string
	Partner      string
	CreatedAt    time.Time
	Records      int
	Excluded     int
	Released     int
	Suppressed   int
	K, L         int
	ReportSHA256 string
	// Columns is the file's header, JSON; Levels how each
	// quasi-identifier was generalised, JSON (anonymise.Report.Attributes)
	// values.
	Columns, Levels string
	// StatisticsRecords and StatisticsReleased count the rows read from
	// and released of the statistics of anonymised accounts (Z9).
	StatisticsRecords, StatisticsReleased int
	NCP                                   float64
	Discernibility                        int64
	// Algorithm names the algorithm; Cuts are its partition's cuts, JSON
	// (anonymise.Partition; "" before migration 0043).
	Algorithm, Cuts string
	// Classes are the released classes; read only by PartnerExportHistory.
	Classes []ExportClass
}

// ExportClass is one released class: its key in the partition followed by
// the quasi-identifier values it showed, and its rows.
type ExportClass struct {
	Values  []string
	Records int
	// Live counts the class's live rows by their sensitive values (a key
	// the anonymise package builds).
	Live map[string]int
}

// InsertPartnerExport records an export with its classes.
func (tx *Tx) InsertPartnerExport(ctx context.Context, e PartnerExport) error {
	if e.Levels == "" {
		e.Levels = "[]"
	}
	if e.Columns == "" {
		e.Columns = "[]"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO partner_exports (id, partner, created_at, records, excluded, released,
		suppressed, k, l, report_sha256, columns, levels, statistics_records, statistics_released, ncp, discernibility, algorithm, cuts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		e.ID, e.Partner, e.CreatedAt.UnixMilli(), e.Records, e.Excluded, e.Released, e.Suppressed, e.K, e.L, e.ReportSHA256,
		e.Columns, e.Levels, e.StatisticsRecords, e.StatisticsReleased, e.NCP, e.Discernibility, e.Algorithm, e.Cuts)
	if err != nil {
		return fmt.Errorf("store: insert partner export %s: %w", e.ID, err)
	}
	for len(e.Classes) > 0 {
		part := e.Classes[:min(len(e.Classes), 300)]
		e.Classes = e.Classes[len(part):]
		args := []any{e.ID}
		var vals strings.Builder
		for i, c := range part {
			if i > 0 {
				vals.WriteString(", ")
			}
			b, err := json.Marshal(c.Values)
			if err != nil {
				return err
			}
			live, err := json.Marshal(c.Live)
			if err != nil {
				return err
			}
			fmt.Fprintf(&vals, "($1, $%d, $%d, $%d)", len(args)+1, len(args)+2, len(args)+3)
			args = append(args, string(b), c.Records, string(live))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO partner_export_classes (export_id, class, records, live) VALUES `+vals.String(), args...); err != nil {
			return fmt.Errorf("store: insert partner export %s classes: %w", e.ID, err)
		}
	}
	return nil
}

const partnerExportColumns = `id, partner, created_at, records, excluded, released, suppressed, k, l, report_sha256,
	columns, levels, statistics_records, statistics_released, ncp, discernibility, algorithm`

func scanPartnerExport(r *sql.Rows) (PartnerExport, error) { return scanPartnerExportAnd(r) }

// scanPartnerExportAnd scans partnerExportColumns and then more.
func scanPartnerExportAnd(r *sql.Rows, more ...any) (PartnerExport, error) {
	var e PartnerExport
	var at int64
	err := r.Scan(append([]any{&e.ID, &e.Partner, &at, &e.Records, &e.Excluded, &e.Released, &e.Suppressed, &e.K, &e.L, &e.ReportSHA256,
		&e.Columns, &e.Levels, &e.StatisticsRecords, &e.StatisticsReleased, &e.NCP, &e.Discernibility, &e.Algorithm}, more...)...)
	e.CreatedAt = time.UnixMilli(at).UTC()
	return e, err
}

// PartnerExports returns a partner's exports, newest first; "" for every
// partner's.
func (s *Store) PartnerExports(ctx context.Context, partner string) ([]PartnerExport, error) {
	out, err := rowsOf(ctx, s.Reader, scanPartnerExport, `SELECT `+partnerExportColumns+`
		FROM partner_exports WHERE partner = $1 OR $1 = '' ORDER BY created_at DESC, id DESC`, partner)
	if err != nil {
		return nil, fmt.Errorf("store: partner exports of %s: %w", partner, err)
	}
	return out, nil
}

// PartnerExportHistory returns every partner's exports, oldest first,
// with their released classes and cuts: what each partner has already seen
// (the next export refines the newest cuts and is checked against them).
func (s *Store) PartnerExportHistory(ctx context.Context) ([]PartnerExport, error) {
	out, err := rowsOf(ctx, s.Reader, func(r *sql.Rows) (PartnerExport, error) {
		var cuts string
		e, err := scanPartnerExportAnd(r, &cuts)
		e.Cuts = cuts
		return e, err
	}, `SELECT `+partnerExportColumns+`, cuts FROM partner_exports ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: partner export history: %w", err)
	}
	at := map[string]int{}
	for i, e := range out {
		at[e.ID] = i
	}
	err = s.eachRow(ctx, `SELECT export_id, class, records, live FROM partner_export_classes ORDER BY export_id, class`, nil, func(r *sql.Rows) error {
		var id, class, live string
		var c ExportClass
		if err := r.Scan(&id, &class, &c.Records, &live); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(class), &c.Values); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(live), &c.Live); err != nil {
			return err
		}
		if i, ok := at[id]; ok {
			out[i].Classes = append(out[i].Classes, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: partner export classes: %w", err)
	}
	return out, nil
}
