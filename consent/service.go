package consent

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"steward"
	"steward/audit"
	"steward/clock"
	"steward/policy"
	"steward/store"
)

// Service records consent changes and reads histories. Every change is
// appended to the history with its notice and an audit entry in one
// transaction (G2, G3).
type Service struct {
	Policy *policy.Policy
	Store  *store.Store
	Clock  clock.Clock
	// Audit stamps the entries; nil uses a Log on Clock with the policy's
	// version.
	Audit *audit.Log
	// Reasks are the consent notices reworded in substance since earlier
	// versions (issue 20): the same the gate has.
	Reasks Reasks
}

// AskedAgain reports whether the standing consent st no longer counts
// now because its notice was reworded in substance, and since when: the
// person is asked again (issue 20).
func (s *Service) AskedAgain(st Status) (time.Time, bool) {
	return s.Reasks.AskedAgain(st, s.Clock.Now())
}

// NewService returns a Service for p on s.
func NewService(p *policy.Policy, s *store.Store, clk clock.Clock) *Service {
	return &Service{Policy: p, Store: s, Clock: clk}
}

func (s *Service) auditLog() *audit.Log {
	if s.Audit != nil {
		return s.Audit
	}
	v := s.Policy.Version.Number
	return &audit.Log{Clock: s.Clock, PolicyVersion: func() string { return v }}
}

// Check validates a change against the policy without writing anything:
// the purpose must exist, rest on consent (Art. 6(1)(a)), and allow the
// channel; the subject must be an opaque id and the language one of the
// statement's. Its errors are steward.EINVALID.
func (s *Service) Check(c Change) (*policy.Purpose, error) {
	p := s.Policy.Purpose(c.Purpose)
	switch {
	case p == nil:
		return nil, steward.FieldError("purpose", "error.unknown_purpose", "purpose", c.Purpose)
	case !p.NeedsConsent() || p.Consent == nil:
		return nil, steward.FieldError("purpose", "error.purpose_rests_not_consent", "purpose", c.Purpose, "legal_basis", p.LegalBasis)
	case !slices.Contains(p.Consent.Channels, c.Channel):
		return nil, steward.FieldError("channel", "error.consent_channel_not_allowed", "purpose", c.Purpose, "channel", c.Channel, "channels", p.Consent.Channels)
	case !validSubject(c.Subject):
		return nil, steward.FieldError("subject", "error.must_be_subject_id")
	case !slices.Contains(policy.Languages, c.Lang):
		return nil, steward.FieldError("lang", "error.must_be_one_of", "choices", policy.Languages)
	}
	return p, nil
}

func validSubject(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Record writes changes in the caller's transaction: the sign-up hook
// (Z3), which records the boxes ticked at sign-up in the transaction that
// creates the account, and every other channel. All changes are checked
// first; one bad change writes nothing. A change that repeats the current
// state with the same wording is not written again (a replayed
// unsubscribe link changes nothing). It returns the records written.
// Withdrawing the newsletter or research-panel purpose also deletes the
// person's issues or invitations still waiting in the outbox
// (StopMailing), in the same transaction: withdrawal takes effect at once (Art. 7(3), R2).
func (s *Service) Record(ctx context.Context, tx *store.Tx, changes ...Change) ([]Record, error) {
	purposes := make([]*policy.Purpose, len(changes))
	for i, c := range changes {
		p, err := s.Check(c)
		if err != nil {
			return nil, err
		}
		purposes[i] = p
	}
	now := s.Clock.Now()
	// Earlier wordings must be kept already: a record never points at
	// words Steward cannot show.
	var earlier []string
	for _, c := range changes {
		if c.NoticeHash != "" {
			earlier = append(earlier, c.NoticeHash)
		}
	}
	if _, err := tx.ConsentNotices(ctx, earlier); steward.ErrorCode(err) == steward.ENOTFOUND {
		return nil, steward.FieldError("notice_hash", "error.consent_notice_not_kept_for", "err", err)
	} else if err != nil {
		return nil, fmt.Errorf("consent: record: %w", err)
	}
	var out []Record
	for i, c := range changes {
		text := Notice(purposes[i], c.Lang)
		hash := NoticeHash(text)
		if c.NoticeHash != "" {
			hash = c.NoticeHash
		}
		// Withdrawing the newsletter or the panel stops the issues or
		// invitations queued for the person, also when the state already
		// says withdrawn.
		_, mailed := mailKinds[c.Purpose]
		stop := mailed && !c.Given
		latest, err := tx.ConsentStatesFor(ctx, c.Purpose, []string{c.Subject})
		if err != nil {
			return nil, fmt.Errorf("consent: record: %w", err)
		}
		if cur, ok := latest[c.Subject]; ok && cur.Given == c.Given && (cur.NoticeHash == hash || !c.Given) {
			if stop {
				if err := StopMailing(ctx, tx, c.Subject, c.Purpose, now); err != nil {
					return nil, err
				}
			}
			continue // nothing changes (Art. 7(3) withdrawal needs no wording)
		}
		if c.NoticeHash == "" {
			if err := tx.SaveConsentNotice(ctx, store.ConsentNotice{Hash: hash, Lang: c.Lang, Text: text, FirstSeen: now}); err != nil {
				return nil, fmt.Errorf("consent: record: %w", err)
			}
		}
		r := store.ConsentRecord{Subject: c.Subject, Purpose: c.Purpose, Given: c.Given, Channel: string(c.Channel),
			NoticeHash: hash, At: now, PolicyVersion: s.Policy.Version.Number}
		id, err := tx.AppendConsent(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("consent: record: %w", err)
		}
		r.ID = id
		if stop {
			// After the state is written: on PostgreSQL that waits for a
			// sending batch holding it (store.Tx.LockConsentStates), so the
			// delete sees the mail that batch queued.
			if err := StopMailing(ctx, tx, c.Subject, c.Purpose, now); err != nil {
				return nil, err
			}
		}
		if err := s.audit(ctx, tx, r); err != nil {
			return nil, err
		}
		out = append(out, fromStore(r))
		forget(ctx, c.Subject)
	}
	return out, nil
}

// audit appends consent.give or consent.withdraw (G2): the record id, the
// purpose id as the field touched, and the account's pseudonym when the
// subject has an account. Never the notice text or an address.
func (s *Service) audit(ctx context.Context, tx *store.Tx, r store.ConsentRecord) error {
	action := audit.ConsentWithdraw
	if r.Given {
		action = audit.ConsentGive
	}
	ps, err := tx.AccountPseudonym(ctx, r.Subject)
	if err != nil {
		return fmt.Errorf("consent: audit: %w", err)
	}
	e := audit.Entry{Actor: audit.System("consent"), Action: action, ObjectKind: "consent_record",
		ObjectID: strconv.FormatInt(r.ID, 10), Fields: []string{"purpose." + r.Purpose}}
	if ps != "" {
		e.Subject = audit.Pseudonym(ps)
		e.Actor = audit.SubjectActor(e.Subject)
	}
	if err := s.auditLog().Record(ctx, tx, e); err != nil {
		return fmt.Errorf("consent: audit: %w", err)
	}
	return nil
}

// Apply records changes in a transaction of its own.
func (s *Service) Apply(ctx context.Context, changes ...Change) ([]Record, error) {
	var out []Record
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.Record(ctx, tx, changes...)
		return err
	})
	return out, err
}

// Give records that subject gives consent for purpose.
func (s *Service) Give(ctx context.Context, subject, purpose string, ch policy.Channel, lang string) error {
	_, err := s.Apply(ctx, Change{Subject: subject, Purpose: purpose, Given: true, Channel: ch, Lang: lang})
	return err
}

// Withdraw records that subject withdraws consent for purpose; it takes
// effect at once (Art. 7(3), Z8): the gate reads the history directly.
func (s *Service) Withdraw(ctx context.Context, subject, purpose string, ch policy.Channel, lang string) error {
	_, err := s.Apply(ctx, Change{Subject: subject, Purpose: purpose, Given: false, Channel: ch, Lang: lang})
	return err
}

// History returns subject's records, oldest first.
func (s *Service) History(ctx context.Context, subject string) ([]Record, error) {
	rows, err := s.Store.ConsentHistory(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("consent: history: %w", err)
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = fromStore(r)
	}
	return out, nil
}

// State returns subject's current consent, derived from the history.
func (s *Service) State(ctx context.Context, subject string) (State, error) {
	h, err := s.History(ctx, subject)
	if err != nil {
		return nil, err
	}
	return Derive(h), nil
}

func fromStore(r store.ConsentRecord) Record {
	return Record{ID: r.ID, Subject: r.Subject, Purpose: r.Purpose, Given: r.Given, Channel: policy.Channel(r.Channel),
		NoticeHash: r.NoticeHash, At: r.At, PolicyVersion: r.PolicyVersion}
}

// Purposes returns the consent purposes asked through channel, in policy
// order: the checkboxes of the sign-up form (Z3) or the settings page.
func Purposes(p *policy.Policy, ch policy.Channel) []*policy.Purpose {
	var out []*policy.Purpose
	for _, pu := range p.ConsentPurposes() {
		if pu.Consent != nil && slices.Contains(pu.Consent.Channels, ch) {
			out = append(out, pu)
		}
	}
	return out
}

// SignupChanges turns the boxes ticked at sign-up into changes for
// Service.Record (Z3: one box per consent purpose, unticked by default; an
// unticked box records nothing). A ticked id that is not a sign-up purpose
// is an EINVALID error.
func SignupChanges(p *policy.Policy, subject string, ticked []string, lang string) ([]Change, error) {
	allowed := Purposes(p, policy.ChannelSignup)
	var out []Change
	for _, id := range ticked {
		if !slices.ContainsFunc(allowed, func(pu *policy.Purpose) bool { return pu.ID == id }) {
			return nil, steward.FieldError("consent", "error.is_not_purpose_asked", "id", id)
		}
		out = append(out, Change{Subject: subject, Purpose: id, Given: true, Channel: policy.ChannelSignup, Lang: lang})
	}
	return out, nil
}
