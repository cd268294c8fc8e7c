package desk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/mail"
	"steward/policy"
	"steward/rights"
	"steward/store"
)

// KindRequestVerify is the mail carrying a request's confirmation link.
const KindRequestVerify mail.Kind = "request_verify"

// subject reads the account a request or disclosure concerns, inside tx.
// A missing account is ENOTFOUND, whoever asks (IDOR: the message is the
// same for an id that never existed).
func subject(ctx context.Context, tx *store.Tx, id string) (*account.Account, error) {
	st, err := tx.SubjectState(ctx, id)
	if err != nil {
		return nil, err
	}
	if st.Erased {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_person")
	}
	a, err := tx.AccountByID(ctx, id)
	if err != nil {
		if steward.ErrorCode(err) == steward.ENOTFOUND {
			return nil, steward.Errorf(steward.ENOTFOUND, "error.no_person")
		}
		return nil, err
	}
	return a, nil
}

func requestEntry(actor audit.Actor, action audit.Action, r *rights.Request, fields ...string) audit.Entry {
	return audit.Entry{Actor: actor, Action: action, ObjectKind: "request", ObjectID: r.ID,
		Subject: audit.Pseudonym(r.SubjectPseudonym), Fields: fields}
}

// step writes one step of a request's timeline and its audit entry.
func (d *Desk) step(ctx context.Context, tx *store.Tx, actor audit.Actor, action audit.Action, r *rights.Request, kind rights.StepKind, note string) error {
	if err := addRequestStep(ctx, tx, r.ID, rights.Step{At: d.Clock.Now(), Kind: kind, Actor: string(actor), Note: note}); err != nil {
		return err
	}
	return d.record(ctx, tx, requestEntry(actor, action, r, string(kind)))
}

// Add enters a request that arrived by e-mail, letter, phone or
// self-service (R13). A person asking while logged in is verified by their
// session at once; any other request waits for identity verification. The
// deadline counts from the day of receipt (Art. 12(3)).
func (d *Desk) Add(ctx context.Context, actor audit.Actor, n rights.NewRequest) (*rights.Request, error) {
	n.Details = strings.TrimSpace(n.Details)
	if !n.ReceivedOn.IsZero() {
		n.ReceivedOn = rights.Day(n.ReceivedOn, time.UTC) // a day, as entered
	}
	if err := n.Check(d.Policy, d.Today()); err != nil {
		return nil, err
	}
	var r *rights.Request
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		h, err := holderOf(ctx, tx, n.SubjectKind, n.SubjectID)
		if err != nil {
			return err
		}
		// A person asking while logged in is verified by their session.
		selfService := n.Channel == rights.ChannelSelfService && h.kind == rights.SubjectAccount && actor == h.self()
		r, err = d.addInTx(ctx, tx, actor, n, h, selfService)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("desk: add %s request: %w", n.Type, err)
	}
	d.log().Info("request added", "request", r.ID, "type", r.Type, "channel", r.Channel, "subject_kind", r.SubjectKind)
	return r, nil
}

// addInTx enters checked request n about h in the caller's transaction,
// with its received step and audit entry; verified marks identity
// established by the session it was asked in.
func (d *Desk) addInTx(ctx context.Context, tx *store.Tx, actor audit.Actor, n rights.NewRequest, h holder, verified bool) (*rights.Request, error) {
	r := &rights.Request{
		ID: account.NewID("req_"), SubjectKind: h.kind, SubjectID: h.id, SubjectPseudonym: h.pseudonym,
		Type: n.Type, Channel: n.Channel, ReceivedOn: n.ReceivedOn, Details: n.Details, Purpose: n.Purpose,
		Status: rights.StatusReceived, CreatedAt: d.Clock.Now(), CreatedBy: string(actor),
	}
	if verified {
		r.Status, r.Verified, r.VerifiedOn = rights.StatusVerified, rights.VerifySession, n.ReceivedOn
	}
	if err := insertRequest(ctx, tx, r, d.DeadlineClock()); err != nil {
		return nil, err
	}
	if err := addRequestStep(ctx, tx, r.ID, rights.Step{At: r.CreatedAt, Kind: rights.StepReceived, Actor: string(actor)}); err != nil {
		return nil, err
	}
	return r, d.record(ctx, tx, requestEntry(actor, audit.RequestCreate, r, "type", "channel", "received_on", "subject_kind"))
}

// AskVerification mails a confirmation link to the e-mail address of the
// account the request concerns (Art. 12(6)): whoever follows it proves they
// hold that account. Asking again sends a new link and voids the old one.
func (d *Desk) AskVerification(ctx context.Context, actor audit.Actor, id string) error {
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		r, err := requestForUpdate(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if err := r.CanVerify(); err != nil {
			return err
		}
		h, err := holderOf(ctx, tx, r.SubjectKind, r.SubjectID)
		if err != nil {
			return err
		}
		return d.askInTx(ctx, tx, actor, r, h)
	})
	if err != nil {
		return fmt.Errorf("desk: ask verification of request %s: %w", id, err)
	}
	d.log().Info("request verification link mailed", "request", id)
	return nil
}

// askInTx mails request r's confirmation link to h in the caller's
// transaction: whoever follows it proves they hold h's address. The
// deadline may start running from the day it is asked (identity_proof).
// The link carries the page's language when it is not the site's first.
func (d *Desk) askInTx(ctx context.Context, tx *store.Tx, actor audit.Actor, r *rights.Request, h holder) error {
	if r.VerifyAskedOn.IsZero() {
		r.VerifyAskedOn = d.Today()
		if err := updateRequest(ctx, tx, r, d.DeadlineClock()); err != nil {
			return err
		}
	}
	secret, hash := account.NewSecret()
	if err := tx.SetRequestVerifyToken(ctx, r.ID, hash, d.Clock.Now().Add(rights.VerifyLinkLifetime)); err != nil {
		return err
	}
	to := d.recipient(ctx, tx, h)
	link := d.BaseURL + "/requests/verify?token=" + secret
	if to.lang != policy.Languages[0] {
		link += "&lang=" + to.lang
	}
	if _, err := mail.Enqueue(ctx, tx, d.Clock.Now(), d.verifyMail(to, h, r, link)); err != nil {
		return err
	}
	return d.step(ctx, tx, actor, audit.RequestStep, r, rights.StepVerifyAsked, "")
}

// VerifyLink marks the request of a confirmation link verified. The link
// works once and for VerifyLinkLifetime; an expired, reused or unknown link
// is an error and changes nothing (G3).
func (d *Desk) VerifyLink(ctx context.Context, secret string) (*rights.Request, error) {
	var r *rights.Request
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = useRequestVerifyToken(ctx, tx, account.HashSecret(secret), d.Clock.Now()); err != nil {
			return err
		}
		if err := r.CanVerify(); err != nil {
			return err
		}
		r.Status, r.Verified, r.VerifiedOn = rights.StatusVerified, rights.VerifyEmailLink, d.Today()
		if err := updateRequest(ctx, tx, r, d.DeadlineClock()); err != nil {
			return err
		}
		return d.step(ctx, tx, selfActor(r.SubjectKind, r.SubjectPseudonym), audit.RequestStep, r, rights.StepVerified, string(rights.VerifyEmailLink))
	})
	if err != nil {
		// An expired link must still be voided: UseRequestVerifyToken
		// cleared it, but the error rolled that back. Void it again.
		if steward.ErrorCode(err) == steward.EINVALID {
			d.voidLink(ctx, secret)
		}
		return nil, fmt.Errorf("desk: verify request by link: %w", err)
	}
	d.log().Info("request verified by link", "request", r.ID)
	return r, nil
}

func (d *Desk) voidLink(ctx context.Context, secret string) {
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		_, err := useRequestVerifyToken(ctx, tx, account.HashSecret(secret), time.Time{}.Add(1))
		if steward.ErrorCode(err) == steward.ENOTFOUND {
			return nil
		}
		return err
	})
	if err != nil {
		d.log().Warn("could not void expired request link", "err", err)
	}
}

// VerifyManually records that staff established the requester's identity
// another way; note says how (e.g. "identity card shown at the desk"),
// never the document's number.
func (d *Desk) VerifyManually(ctx context.Context, actor audit.Actor, id, note string) (*rights.Request, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return nil, steward.FieldError("note", "error.is_required_describe_how")
	}
	if len(note) > 2000 {
		return nil, steward.FieldError("note", "error.is_longer_than_2000")
	}
	var r *rights.Request
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = requestForUpdate(ctx, tx, id, ""); err != nil {
			return err
		}
		if err := r.CanVerify(); err != nil {
			return err
		}
		r.Status, r.Verified, r.VerifiedOn = rights.StatusVerified, rights.VerifyManual, d.Today()
		if err := updateRequest(ctx, tx, r, d.DeadlineClock()); err != nil {
			return err
		}
		return d.step(ctx, tx, actor, audit.RequestStep, r, rights.StepVerified, note)
	})
	if err != nil {
		return nil, fmt.Errorf("desk: verify request %s: %w", id, err)
	}
	return r, nil
}

// Extend extends the request's deadline once, by at most the policy's
// extension, with a reason; the person is mailed the reason and the new
// deadline in the same transaction (Art. 12(3), R13). Extending twice, too
// late or without a reason changes nothing.
func (d *Desk) Extend(ctx context.Context, actor audit.Actor, id string, ext policy.Duration, reason string) (*rights.Request, error) {
	reason = strings.TrimSpace(reason)
	var r *rights.Request
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = requestForUpdate(ctx, tx, id, ""); err != nil {
			return err
		}
		c := d.DeadlineClock()
		if err := r.CanExtend(c, d.Today(), ext, reason); err != nil {
			return err
		}
		h, err := holderOf(ctx, tx, r.SubjectKind, r.SubjectID)
		if err != nil {
			return err
		}
		r.Extension, r.ExtensionReason, r.ExtendedOn = ext, reason, d.Today()
		if err := updateRequest(ctx, tx, r, c); err != nil {
			return err
		}
		if err := d.step(ctx, tx, actor, audit.RequestExtend, r, rights.StepExtended, reason); err != nil {
			return err
		}
		mailID, err := mail.Enqueue(ctx, tx, d.Clock.Now(), d.extensionMail(d.recipient(ctx, tx, h), h, r, r.Deadline(c)))
		if err != nil {
			return err
		}
		return d.step(ctx, tx, actor, audit.RequestStep, r, rights.StepExtendMailed, fmt.Sprintf("outbox mail %d", mailID))
	})
	if err != nil {
		return nil, fmt.Errorf("desk: extend request %s: %w", id, err)
	}
	d.log().Info("request extended", "request", id, "extension", ext.String())
	return r, nil
}

// Complete answers a verified request by running the self-service action
// for its type in the same transaction — erasure erases, restriction
// restricts, objection and withdrawal stop the purpose — and closes it.
// Access, portability and rectification are answered by staff (the export,
// the profile edit) and closed here with what was done; a rectification
// only after its edit (Rectify). The person is
// mailed that the request was handled and what was done, outcome included,
// in the same transaction (see answer). An unverified or closed request
// changes nothing.
func (d *Desk) Complete(ctx context.Context, actor audit.Actor, id, outcome string) (*rights.Request, error) {
	return d.close(ctx, actor, id, outcome, false)
}

// Refuse closes a request with the reasons for not acting on it. The
// person is told in the same transaction (Art. 12(4)): a mail with the
// reason, the supervisory authority of the policy's complaint section to
// complain to, and that they may go to court (see answer).
func (d *Desk) Refuse(ctx context.Context, actor audit.Actor, id, reason string) (*rights.Request, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, steward.FieldError("reason", "error.required_refusal_reason")
	}
	return d.close(ctx, actor, id, reason, true)
}

func (d *Desk) close(ctx context.Context, actor audit.Actor, id, outcome string, refuse bool) (*rights.Request, error) {
	outcome = strings.TrimSpace(outcome)
	if len(outcome) > 2000 {
		return nil, steward.FieldError("outcome", "error.is_longer_than_2000")
	}
	var r *rights.Request
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = requestForUpdate(ctx, tx, id, ""); err != nil {
			return err
		}
		if refuse {
			err = r.CanClose(true)
		} else {
			err = d.canComplete(ctx, tx, r)
		}
		if err != nil {
			return err
		}
		r.Status, r.ClosedOn, r.Outcome = rights.StatusCompleted, d.Today(), outcome
		kind := rights.StepCompleted
		if refuse {
			r.Status, kind = rights.StatusRefused, rights.StepRefused
		}
		if err := updateRequest(ctx, tx, r, d.DeadlineClock()); err != nil {
			return err
		}
		if err := addRequestStep(ctx, tx, r.ID, rights.Step{At: d.Clock.Now(), Kind: kind, Actor: string(actor), Note: outcome}); err != nil {
			return err
		}
		if err := d.record(ctx, tx, requestEntry(actor, audit.RequestClose, r, "status")); err != nil {
			return err
		}
		if !refuse {
			// The action after the request's own rows changed: erasure
			// unlinks this very request from the person.
			if err := d.act(ctx, tx, actor, r); err != nil {
				return err
			}
		}
		// The answer after the action: an erased person has no address
		// left, and erasure drops whatever mail was waiting for them.
		return d.answer(ctx, tx, actor, r, refuse)
	})
	if err != nil {
		return nil, fmt.Errorf("desk: close request %s: %w", id, err)
	}
	d.log().Info("request closed", "request", id, "status", r.Status)
	return r, nil
}

// canComplete says whether r may be completed as done: a rectification
// only after its record was corrected (a rectified step; Rectify).
func (d *Desk) canComplete(ctx context.Context, tx *store.Tx, r *rights.Request) error {
	rectified := false
	if r.Type == rights.TypeRectification {
		var err error
		if rectified, err = tx.RequestHasStep(ctx, r.ID, string(rights.StepRectified)); err != nil {
			return err
		}
	}
	return r.CanComplete(rectified)
}

// Kinds of the mails that answer a request.
const (
	// KindRequestRefused tells a person their request is refused, why,
	// and where to complain (Art. 12(4)).
	KindRequestRefused mail.Kind = "request_refused"
	// KindRequestCompleted tells a person their request was handled and
	// what was done.
	KindRequestCompleted mail.Kind = "request_completed"
)

// noAddressNote is the answer_not_mailed step's note.
const noAddressNote = "not mailed: the person's account is erased, so no address is kept"

// answer tells the person the outcome of their just-closed request r, in
// their language, by a mail written to the outbox in the caller's
// transaction, and puts it on the timeline as an answer_mailed step. A
// person without an address — their account erased, by this request or
// before — is not mailed, and the answer_not_mailed step says so.
func (d *Desk) answer(ctx context.Context, tx *store.Tx, actor audit.Actor, r *rights.Request, refused bool) error {
	h, err := reachable(ctx, tx, r)
	if err != nil {
		return err
	}
	if h == nil {
		return d.step(ctx, tx, actor, audit.RequestStep, r, rights.StepAnswerNotMailed, noAddressNote)
	}
	to := d.recipient(ctx, tx, *h)
	m := d.refusedMail(to, *h, r)
	if !refused {
		if h.signUp != nil && r.Type.Exportable() {
			// A sign-up's answer carries what is held (Art. 15(3)).
			if h.held, err = d.signUpHeld(ctx, tx, to, h.signUp); err != nil {
				return err
			}
		}
		m = d.completedMail(to, *h, r)
	}
	id, err := mail.Enqueue(ctx, tx, d.Clock.Now(), m)
	if err != nil {
		return err
	}
	return d.step(ctx, tx, actor, audit.RequestStep, r, rights.StepAnswerMailed, fmt.Sprintf("outbox mail %d", id))
}

// reachable returns whom request r concerns when they still exist, are
// not erased and have an address to write to; nil when not.
func reachable(ctx context.Context, tx *store.Tx, r *rights.Request) (*holder, error) {
	if r.SubjectID == "" {
		return nil, nil
	}
	if r.SubjectKind == rights.SubjectSignUp {
		n, err := tx.NewsletterByID(ctx, r.SubjectID)
		if steward.ErrorCode(err) == steward.ENOTFOUND {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		h := signUpHolder(n)
		return &h, nil
	}
	subjectID := r.SubjectID
	st, err := tx.SubjectState(ctx, subjectID)
	if steward.ErrorCode(err) == steward.ENOTFOUND || err == nil && st.Erased {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a, err := tx.AccountByID(ctx, subjectID)
	if steward.ErrorCode(err) == steward.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if a.Email == "" {
		return nil, nil
	}
	h := accountHolder(a)
	return &h, nil
}

// act runs the self-service action of a completed request.
func (d *Desk) act(ctx context.Context, tx *store.Tx, actor audit.Actor, r *rights.Request) error {
	if r.SubjectKind == rights.SubjectSignUp {
		return d.actOnSignUp(ctx, tx, actor, r)
	}
	switch r.Type {
	case rights.TypeAccess, rights.TypePortability, rights.TypeRectification:
		return nil
	}
	switch r.Type {
	case rights.TypeErasure:
		_, err := d.EraseInTx(ctx, tx, r.SubjectID, actor)
		return err
	case rights.TypeRestriction:
		return d.RestrictInTx(ctx, tx, r.SubjectID, "request "+r.ID, actor)
	case rights.TypeObjection:
		return d.ObjectInTx(ctx, tx, r.SubjectID, r.Purpose, actor)
	case rights.TypeWithdraw:
		return d.WithdrawInTx(ctx, tx, r.SubjectID, r.Purpose, actor)
	}
	return steward.Errorf(steward.EINVALID, "error.unknown_request_type", "type", r.Type)
}

// QueueOptions select the queue's requests.
type QueueOptions struct {
	// Overdue keeps only requests past their deadline.
	Overdue bool
	// DueWithin keeps only requests due within this window from today
	// (including overdue ones); zero keeps all.
	DueWithin time.Duration
	// All includes closed requests.
	All bool
}

// Item is a request as the queue shows it, with its deadline and flags.
type Item struct {
	rights.Request
	// Start is the day the deadline counts from; zero while proof of
	// identity is awaited under deadline_from identity_proof.
	Start    time.Time
	Deadline time.Time
	Overdue  bool
	DueSoon  bool
}

// Queue lists requests by deadline, earliest first, flagged overdue and
// due soon (R13). It pages through the store with keyset pagination.
func (d *Desk) Queue(ctx context.Context, o QueueOptions) ([]Item, error) {
	today := d.Today()
	f := store.QueueFilter{All: o.All, Limit: 1000}
	switch {
	case o.Overdue:
		f.DueBy = today.AddDate(0, 0, -1)
	case o.DueWithin > 0:
		f.DueBy = today.Add(o.DueWithin)
	}
	c := d.DeadlineClock()
	var out []Item
	for {
		page, err := requestsOf(d.Store.RequestQueue(ctx, f))
		if err != nil {
			return nil, fmt.Errorf("desk: queue: %w", err)
		}
		for _, r := range page {
			out = append(out, d.item(r, c, today))
		}
		if len(page) < f.Limit {
			return out, nil
		}
		last := out[len(out)-1]
		f.AfterID, f.AfterDeadline = last.ID, last.Deadline
		if last.Deadline.IsZero() {
			f.AfterDeadline = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
		}
	}
}

// Request returns one request with its timeline and flags; subjectID, when
// given, must own it (a person's own view), else it is not found.
func (d *Desk) Request(ctx context.Context, id, subjectID string) (Item, error) {
	r, err := oneRequest(d.Store.RequestByID(ctx, id, subjectID))
	if err != nil {
		return Item{}, err
	}
	return d.item(*r, d.DeadlineClock(), d.Today()), nil
}

func (d *Desk) item(r rights.Request, c rights.Clock, today time.Time) Item {
	it := Item{Request: r}
	it.Start, _ = r.Start(c)
	it.Deadline = r.Deadline(c)
	it.Overdue = r.Overdue(c, today)
	it.DueSoon = r.DueSoon(c, today, rights.DueSoonWithin)
	return it
}
