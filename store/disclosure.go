package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward/policy"
)

// disclosureColumns is the column list every disclosure read uses, in the
// order scanDisclosure expects.
const disclosureColumns = `id, subject_id, subject_pseudonym, ground, recipient, legal_basis, categories,
	reference, request_id, disclosed_on, withheld, withhold_reason, recorded_at, recorded_by`

// Disclosure is a disclosure of a person's data to a third party (R7) as
// stored in disclosures: the fields of rights.Disclosure, which converts
// to and from it.
type Disclosure struct {
	ID               string
	SubjectID        string
	SubjectPseudonym string
	Ground           string
	Recipient        string
	LegalBasis       policy.LegalBasis
	Categories       []string
	Reference        string
	RequestID        string
	DisclosedOn      time.Time
	Withheld         bool
	WithholdReason   string
	RecordedAt       time.Time
	RecordedBy       string
}

// InsertDisclosure stores a disclosure to a third party (R7).
func (tx *Tx) InsertDisclosure(ctx context.Context, d *Disclosure) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO disclosures (`+disclosureColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		d.ID, d.SubjectID, d.SubjectPseudonym, d.Ground, d.Recipient, string(d.LegalBasis),
		strings.Join(d.Categories, ","), d.Reference, d.RequestID, dayMillis(d.DisclosedOn), flag(d.Withheld),
		d.WithholdReason, d.RecordedAt.UnixMilli(), d.RecordedBy)
	if err != nil {
		return fmt.Errorf("store: insert disclosure %s: %w", d.ID, err)
	}
	return nil
}

// DisclosuresOf lists the disclosures of a person's data, newest first.
// withheld false leaves out those the law forbids telling the person (the
// "My data" page and the export); staff pass true.
func (s *Store) DisclosuresOf(ctx context.Context, subjectID string, withheld bool) ([]Disclosure, error) {
	if subjectID == "" {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+disclosureColumns+` FROM disclosures
		WHERE subject_id = $1 AND ($2 = 1 OR withheld = 0) ORDER BY disclosed_on DESC, id DESC`, subjectID, flag(withheld))
	if err != nil {
		return nil, fmt.Errorf("store: disclosures of %s: %w", subjectID, err)
	}
	defer rows.Close()
	var out []Disclosure
	for rows.Next() {
		var d Disclosure
		var basis, cats string
		var on, at int64
		var wh int
		if err := rows.Scan(&d.ID, &d.SubjectID, &d.SubjectPseudonym, &d.Ground, &d.Recipient, &basis, &cats,
			&d.Reference, &d.RequestID, &on, &wh, &d.WithholdReason, &at, &d.RecordedBy); err != nil {
			return nil, fmt.Errorf("store: disclosures of %s: %w", subjectID, err)
		}
		d.LegalBasis = policy.LegalBasis(basis)
		if cats != "" {
			d.Categories = strings.Split(cats, ",")
		}
		d.DisclosedOn, d.Withheld, d.RecordedAt = fromDayMillis(on), wh == 1, time.UnixMilli(at).UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: disclosures of %s: %w", subjectID, err)
	}
	return out, nil
}

// ForgetDisclosuresOf unlinks people's disclosures at erasure: the record
// that data went to a third party stays (R7, accountability), under the
// pseudonym only, without the free text staff wrote. One statement for a
// whole retention batch.
func (tx *Tx) ForgetDisclosuresOf(ctx context.Context, subjects []string) (int64, error) {
	if len(subjects) == 0 {
		return 0, nil
	}
	cond, args, err := tx.batchIn(ctx, "subject_id", 1, subjects)
	if err != nil {
		return 0, fmt.Errorf("store: forget disclosures of %d subjects: %w", len(subjects), err)
	}
	res, err := tx.hotExec(ctx, `UPDATE disclosures SET subject_id = '', reference = '', withhold_reason = ''
		WHERE subject_id <> '' AND `+cond, args...)
	if err != nil {
		return 0, fmt.Errorf("store: forget disclosures of %d subjects: %w", len(subjects), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: forget disclosures of %d subjects: %w", len(subjects), err)
	}
	return n, nil
}

// flag is a bool as the SMALLINT 0/1 both engines store.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
