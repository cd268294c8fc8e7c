package desk

import (
	"context"
	"time"

	"steward/rights"
	"steward/store"
)

// The rights domain's requests and disclosures go to and come from the
// store as its plain rows (store.Request, store.Disclosure): the store
// knows no rights type and computes no deadline. These are the only
// conversions.

// requestRow is r as stored, with its deadline computed by c (Art. 12(3)).
func requestRow(r *rights.Request, c rights.Clock) *store.Request {
	return &store.Request{ID: r.ID, SubjectKind: string(r.SubjectKind), SubjectID: r.SubjectID, SubjectPseudonym: r.SubjectPseudonym,
		Type: string(r.Type), Channel: string(r.Channel), ReceivedOn: r.ReceivedOn, Details: r.Details,
		Purpose: r.Purpose, Status: string(r.Status), VerifyAskedOn: r.VerifyAskedOn, VerifiedOn: r.VerifiedOn,
		Verified: string(r.Verified), Extension: r.Extension, ExtensionReason: r.ExtensionReason,
		ExtendedOn: r.ExtendedOn, Deadline: r.Deadline(c), ClosedOn: r.ClosedOn, Outcome: r.Outcome,
		CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy}
}

// requestOf is the request a stored row holds.
func requestOf(q *store.Request) *rights.Request {
	r := &rights.Request{ID: q.ID, SubjectKind: rights.SubjectKind(q.SubjectKind), SubjectID: q.SubjectID, SubjectPseudonym: q.SubjectPseudonym,
		Type: rights.Type(q.Type), Channel: rights.Channel(q.Channel), ReceivedOn: q.ReceivedOn, Details: q.Details,
		Purpose: q.Purpose, Status: rights.Status(q.Status), VerifyAskedOn: q.VerifyAskedOn, VerifiedOn: q.VerifiedOn,
		Verified: rights.Verification(q.Verified), Extension: q.Extension, ExtensionReason: q.ExtensionReason,
		ExtendedOn: q.ExtendedOn, ClosedOn: q.ClosedOn, Outcome: q.Outcome, CreatedAt: q.CreatedAt, CreatedBy: q.CreatedBy}
	for _, s := range q.Steps {
		r.Steps = append(r.Steps, rights.Step{At: s.At, Kind: rights.StepKind(s.Kind), Actor: s.Actor, Note: s.Note})
	}
	return r
}

// requestsOf converts a list of stored rows.
func requestsOf(rows []store.Request, err error) ([]rights.Request, error) {
	if err != nil {
		return nil, err
	}
	out := make([]rights.Request, len(rows))
	for i := range rows {
		out[i] = *requestOf(&rows[i])
	}
	return out, nil
}

// oneRequest converts a single stored row.
func oneRequest(q *store.Request, err error) (*rights.Request, error) {
	if err != nil {
		return nil, err
	}
	return requestOf(q), nil
}

func insertRequest(ctx context.Context, tx *store.Tx, r *rights.Request, c rights.Clock) error {
	return tx.InsertRequest(ctx, requestRow(r, c))
}

func updateRequest(ctx context.Context, tx *store.Tx, r *rights.Request, c rights.Clock) error {
	return tx.UpdateRequest(ctx, requestRow(r, c))
}

func requestForUpdate(ctx context.Context, tx *store.Tx, id, subjectID string) (*rights.Request, error) {
	return oneRequest(tx.RequestForUpdate(ctx, id, subjectID))
}

func useRequestVerifyToken(ctx context.Context, tx *store.Tx, hash string, now time.Time) (*rights.Request, error) {
	return oneRequest(tx.UseRequestVerifyToken(ctx, hash, now))
}

func addRequestStep(ctx context.Context, tx *store.Tx, requestID string, s rights.Step) error {
	return tx.AddRequestStep(ctx, requestID, store.RequestStep{At: s.At, Kind: string(s.Kind), Actor: s.Actor, Note: s.Note})
}

func insertDisclosure(ctx context.Context, tx *store.Tx, d *rights.Disclosure) error {
	row := store.Disclosure(*d)
	return tx.InsertDisclosure(ctx, &row)
}

// disclosuresOf converts stored disclosures.
func disclosuresOf(rows []store.Disclosure, err error) ([]rights.Disclosure, error) {
	if err != nil {
		return nil, err
	}
	out := make([]rights.Disclosure, len(rows))
	for i, d := range rows {
		out[i] = rights.Disclosure(d)
	}
	return out, nil
}
