// Package partner builds and records the anonymised exports for the
// analysis partners the policy names (Z6, issue 19): the dataset the
// policy prescribes, from live accounts whose processing for the export's
// purpose is allowed, anonymised by package anonymise, and each export
// recorded as a disclosure in partner_exports and the audit log.
package partner

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"steward"
	"steward/account"
	"steward/anonymise"
	"steward/audit"
	"steward/clock"
	"steward/consent"
	"steward/policy"
	"steward/store"
)

// Service builds and records partner exports.
type Service struct {
	Policy *policy.Policy
	Store  *store.Store
	Gate   *consent.Gate
	Clock  clock.Clock
	Audit  *audit.Log
}

// Export is an anonymised release and what it was built from.
type Export struct {
	Partner string
	*anonymise.Result
	// Excluded counts the live people left out because their processing
	// for the export's purpose is not allowed (restriction, objection,
	// consent where it rests on consent).
	Excluded int
	// Live counts the live people read (after Excluded); the report's
	// StatisticsRecords the statistics rows of anonymised accounts (Z9).
	Live int
	// Sensitive are the export's sensitive columns.
	Sensitive []string
}

// partnerExport returns the partner's anonymised export, or an error
// saying the policy names no such partner.
func (s *Service) partnerExport(id string) (*policy.Export, error) {
	pr := s.Policy.Processor(id)
	if pr == nil || pr.Kind != policy.RoleAnonymisedRecipient || pr.Export == nil {
		return nil, steward.FieldError("partner", "error.partner_unknown", "partner", id)
	}
	return pr.Export, nil
}

// Build returns the anonymised export for partner: the policy's fields
// (or the subset fields, each one the policy allows the partner), one row
// per live person whose processing for the export's purpose is allowed,
// k-anonymous with the policy's min_k and l-diverse with its min_l. It
// writes nothing. Any requirement that cannot be met is an EINVALID error.
func (s *Service) Build(ctx context.Context, partnerID string, fields []string) (*Export, error) {
	e, err := s.partnerExport(partnerID)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		fields = e.Fields
	}
	for _, f := range fields {
		if !slices.Contains(e.Fields, f) {
			return nil, steward.FieldError("field", "error.partner_field_not_allowed", "field", f, "partner", partnerID)
		}
	}
	cfg := anonymise.Config{Hierarchies: map[string]*anonymise.Hierarchy{}, K: e.MinK, L: e.MinL}
	for _, f := range fields {
		if slices.Contains(e.Sensitive, f) {
			cfg.Sensitive = append(cfg.Sensitive, f)
		} else if g := s.Policy.Generalisation(f); g != nil {
			cfg.Hierarchies[f] = anonymise.NewHierarchy(g)
		}
	}
	if len(cfg.Sensitive) == 0 {
		cfg.L = 0
	}
	// Z9: the statistics rows hold their fields at the policy's
	// statistics level; the others are released as Any in their rows.
	cfg.StatisticsLevels = map[string]int{}
	for f, h := range cfg.Hierarchies {
		if g := s.Policy.Generalisation(f); g != nil && g.Statistics != "" {
			cfg.StatisticsLevels[f] = h.LevelIndex(g.Statistics)
		}
	}
	// Issue 19 item 5: every release refines the cuts the earlier ones
	// made, and is checked against what each of them showed.
	if cfg.Partition, cfg.Previous, err = s.earlier(ctx, cfg.Hierarchies); err != nil {
		return nil, err
	}
	people, err := s.Store.LivePersons(ctx)
	if err != nil {
		return nil, err
	}
	allowed, err := s.allowed(ctx, people, e.Purpose)
	if err != nil {
		return nil, err
	}
	out := &Export{Partner: partnerID, Sensitive: cfg.Sensitive}
	row := map[string]int{}
	var d anonymise.Dataset
	d.Columns = fields
	for i, id := range people {
		if !allowed[i] {
			out.Excluded++
			continue
		}
		row[id] = len(d.Rows)
		d.Rows = append(d.Rows, make([]string, len(fields)))
	}
	if err := s.fill(ctx, &d, row); err != nil {
		return nil, err
	}
	out.Live = len(d.Rows)
	d.Statistics = make([]bool, len(d.Rows))
	err = s.Store.EachStatistic(ctx, func(st store.Statistic) error {
		r := make([]string, len(fields))
		for j, f := range fields {
			if _, kept := cfg.StatisticsLevels[f]; kept {
				r[j] = st.Attributes[f]
			}
		}
		d.Rows = append(d.Rows, r)
		d.Statistics = append(d.Statistics, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	cfg.MaxSuppressed = len(d.Rows) * e.MaxSuppressedPercent / 100
	res, err := anonymise.Anonymise(d, cfg)
	if err != nil {
		return nil, err
	}
	out.Result = res
	return out, nil
}

// allowed answers the purpose gate for each person. For a purpose that
// needs no consent only restrictions and objections count: their limits
// are read in batches and judged by the gate's own rule (consent.Decide);
// a consent-based purpose asks the gate person by person, which also
// knows consents asked again after a reworded notice.
func (s *Service) allowed(ctx context.Context, people []string, purposeID string) ([]bool, error) {
	out := make([]bool, len(people))
	pu := s.Policy.Purpose(purposeID)
	if pu != nil && !pu.NeedsConsent() {
		limits, err := s.Store.ProcessingLimitsFor(ctx, people)
		if err != nil {
			return nil, err
		}
		for i, id := range people {
			out[i], _ = consent.Decide(pu, nil, limits[id])
		}
		return out, nil
	}
	for i, id := range people {
		ok, _, err := s.Gate.Allowed(ctx, id, purposeID)
		if err != nil {
			return nil, err
		}
		out[i] = ok
	}
	return out, nil
}

// fill reads the values of d's columns into the rows of the people in
// row: a profile kind's value as stored, another kind's values (a person
// may have many saved items) as the sorted distinct values joined by "; ".
func (s *Service) fill(ctx context.Context, d *anonymise.Dataset, row map[string]int) error {
	profile := map[string]bool{}
	for _, r := range account.ProfileRecords(s.Policy) {
		profile[r.ID] = true
	}
	byKind := map[string]map[string]int{} // kind -> field -> column
	for j, ref := range d.Columns {
		kind, field, _ := strings.Cut(ref, ".")
		if byKind[kind] == nil {
			byKind[kind] = map[string]int{}
		}
		byKind[kind][field] = j
	}
	for kind, cols := range byKind {
		multi := map[[2]int][]string{}
		put := func(subject, field, value string) error {
			i, ok := row[subject]
			j, want := cols[field]
			if !ok || !want || value == "" {
				return nil
			}
			if profile[kind] {
				d.Rows[i][j] = value
			} else {
				multi[[2]int{i, j}] = append(multi[[2]int{i, j}], value)
			}
			return nil
		}
		var err error
		if profile[kind] {
			err = s.Store.EachProfileValueOf(ctx, kind, put)
		} else {
			err = s.Store.EachRecordValueOfKind(ctx, kind, put)
		}
		if err != nil {
			return err
		}
		for at, vals := range multi {
			slices.Sort(vals)
			d.Rows[at[0]][at[1]] = strings.Join(slices.Compact(vals), "; ")
		}
	}
	return nil
}

// Record records ex as a disclosure to its partner (Z6, issue 19): a
// partner_exports row with the counts, the report's SHA-256, the cuts and
// the released classes, and an export.anonymised audit entry naming the
// partner and that row ("fwg:pe-…") and the exported fields — no values
// of a person, no account ids. It returns the export's id.
func (s *Service) Record(ctx context.Context, by audit.Actor, ex *Export, reportSHA256 string) (string, error) {
	id := account.NewID("pe-")
	r := ex.Report
	attrs, err := json.Marshal(r.Attributes)
	if err != nil {
		return "", err
	}
	cols, err := json.Marshal(ex.Columns)
	if err != nil {
		return "", err
	}
	cuts, err := json.Marshal(ex.Partition)
	if err != nil {
		return "", err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertPartnerExport(ctx, store.PartnerExport{ID: id, Partner: ex.Partner, CreatedAt: s.Clock.Now(),
			Records: r.Records + ex.Excluded, Excluded: ex.Excluded, Released: r.Released, Suppressed: r.Suppressed,
			K: r.K, L: r.L, ReportSHA256: reportSHA256, Columns: string(cols), Levels: string(attrs), StatisticsRecords: r.StatisticsRecords,
			StatisticsReleased: r.StatisticsReleased, NCP: r.NCP, Discernibility: r.Discernibility, Algorithm: r.Algorithm,
			Cuts: string(cuts), Classes: classes(ex)}); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Actor: by, Action: audit.ExportAnonymised, ObjectKind: "partner_export",
			ObjectID: ex.Partner + ":" + id, Fields: slices.Clone(ex.Columns)})
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// classes is what the export shows, per class: its key in the partition
// followed by the quasi-identifier values it showed, its rows, and its
// live rows by sensitive values.
func classes(ex *Export) []store.ExportClass {
	rel := ex.Release
	out := make([]store.ExportClass, 0, len(rel.Classes))
	for _, k := range slices.Sorted(maps.Keys(rel.Classes)) {
		c := rel.Classes[k]
		out = append(out, store.ExportClass{Values: append([]string{k}, c.Values...), Records: c.Rows, Live: c.Live})
	}
	return out
}

// earlier returns what the exports already handed out fix for the next
// one (issue 19 item 5, the intersection attack between releases): the
// newest cuts — whichever partner got them — and every export made on
// those cuts or the ones they refine, to check the new one against. The
// cuts are made on a set of quasi-identifiers; an export on another set
// could be intersected with the earlier ones in groups no check sees, and
// is refused. Exports made before migration 0043 (full-domain
// generalisation, no cuts) are not compared.
func (s *Service) earlier(ctx context.Context, hier map[string]*anonymise.Hierarchy) (*anonymise.Partition, []anonymise.Release, error) {
	hist, err := s.Store.PartnerExportHistory(ctx)
	if err != nil {
		return nil, nil, err
	}
	var newest *anonymise.Partition
	var prev []anonymise.Release
	for _, e := range hist {
		var p anonymise.Partition
		if e.Cuts == "" || json.Unmarshal([]byte(e.Cuts), &p) != nil || len(p.Dims) == 0 {
			continue
		}
		fields := p.Fields()
		if len(fields) != len(hier) || slices.ContainsFunc(fields, func(f string) bool { return hier[f] == nil }) {
			slices.Sort(fields)
			return nil, nil, steward.Errorf(steward.EINVALID, "error.anonymise_other_quasi_identifiers", "fields", strings.Join(fields, ", "))
		}
		newest = &p
		var cols []string
		json.Unmarshal([]byte(e.Columns), &cols)
		rel := anonymise.Release{Columns: p.Fields(), Classes: map[string]anonymise.Class{}}
		for _, col := range cols {
			if !slices.Contains(rel.Columns, col) {
				rel.Sensitive = append(rel.Sensitive, col)
			}
		}
		for _, c := range e.Classes {
			if len(c.Values) == len(rel.Columns)+1 {
				rel.Classes[c.Values[0]] = anonymise.Class{Rows: c.Records, Live: c.Live, Values: c.Values[1:]}
			}
		}
		prev = append(prev, rel)
	}
	return newest, prev, nil
}

// Listed is one recorded export as the staff page shows it: the record
// with its columns and levels decoded and the partner's name.
type Listed struct {
	store.PartnerExport
	PartnerName string
	Columns     []string
	Attributes  []anonymise.Attribute
	// Live is the rows read from live accounts (Records less Excluded and
	// the statistics rows).
	Live int
}

// Exports lists every recorded export, newest first (issue 19 item 4).
func (s *Service) Exports(ctx context.Context) ([]Listed, error) {
	all, err := s.Store.PartnerExports(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(all))
	for _, e := range all {
		l := Listed{PartnerExport: e, PartnerName: e.Partner, Live: e.Records - e.Excluded - e.StatisticsRecords}
		if pr := s.Policy.Processor(e.Partner); pr != nil {
			l.PartnerName = pr.Name
		}
		json.Unmarshal([]byte(e.Columns), &l.Columns)
		json.Unmarshal([]byte(e.Levels), &l.Attributes)
		out = append(out, l)
	}
	return out, nil
}

// Enabled reports whether the policy names an anonymised recipient with
// an export: only then is there a partner export to make or list.
func Enabled(p *policy.Policy) bool {
	for _, pr := range p.Processors {
		if pr.Kind == policy.RoleAnonymisedRecipient && pr.Export != nil {
			return true
		}
	}
	return false
}
