// Package partner builds and records the anonymised exports for the
// analysis partners the policy names (Z6, issue 19): the dataset the
// policy prescribes, from live accounts whose processing for the export's
// purpose is allowed, anonymised by package anonymise, and each export
// recorded as a disclosure in partner_exports and the audit log.
package partner

import (
	"context"
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
	people, err := s.Store.LivePersons(ctx)
	if err != nil {
		return nil, err
	}
	allowed, err := s.allowed(ctx, people, e.Purpose)
	if err != nil {
		return nil, err
	}
	out := &Export{Partner: partnerID}
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
// partner_exports row with the counts and the report's SHA-256, and an
// export.anonymised audit entry naming the partner and that row
// ("fwg:pe-…") and the exported fields —
// no values, no account ids. It returns the export's id.
func (s *Service) Record(ctx context.Context, by audit.Actor, ex *Export, reportSHA256 string) (string, error) {
	id := account.NewID("pe-")
	r := ex.Report
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertPartnerExport(ctx, store.PartnerExport{ID: id, Partner: ex.Partner, CreatedAt: s.Clock.Now(),
			Records: r.Records + ex.Excluded, Excluded: ex.Excluded, Released: r.Released, Suppressed: r.Suppressed,
			K: r.K, L: r.L, ReportSHA256: reportSHA256}); err != nil {
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
