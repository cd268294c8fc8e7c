package desk

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/consent"
	"steward/erasure"
	"steward/message"
	"steward/policy"
	"steward/rights"
	"steward/statement"
	"steward/store"
)

// Whom a request concerns (issue 13 item 5): anyone the site holds data
// on may use their rights — a person with an account, or a newsletter
// sign-up without one (R2), which is a subject of its own. The desk finds
// either by e-mail address, writes to either at its address, and carries
// a request out on what is held.

// holder is the subject of a request as the desk acts on it.
type holder struct {
	kind rights.SubjectKind
	id   string
	// pseudonym names an account in the audit log; a sign-up has none
	// and is named there by its id, as consent and retention name it.
	pseudonym string
	email     string
	// signUp is the sign-up's row, for a sign-up.
	signUp *store.NewsletterSubscription
	// held is what is held on a sign-up, in the recipient's words, for
	// the answer to an access or portability request; "" otherwise.
	held string
}

func accountHolder(a *account.Account) holder {
	return holder{kind: rights.SubjectAccount, id: a.ID, pseudonym: a.Pseudonym, email: a.Email}
}

func signUpHolder(n store.NewsletterSubscription) holder {
	return holder{kind: rights.SubjectSignUp, id: n.ID, email: n.Email, signUp: &n}
}

// self is the audit actor of the holder acting themselves (following a
// mailed link): the account's pseudonym, or, for a sign-up that has no
// pseudonym, the data_subject job.
func (h holder) self() audit.Actor { return selfActor(h.kind, h.pseudonym) }

func selfActor(kind rights.SubjectKind, pseudonym string) audit.Actor {
	if kind == rights.SubjectSignUp || pseudonym == "" {
		return audit.System(SelfJob)
	}
	return audit.SubjectActor(audit.Pseudonym(pseudonym))
}

// SelfJob is the audit actor's job name ("system:data_subject") of a
// newsletter sign-up acting themselves, e.g. confirming their request by
// its link: they have no pseudonym to be named by (G2). Pages say "the
// person".
const SelfJob = "data_subject"

// holderOf reads the subject of kind and id inside tx. A missing or
// erased subject is ENOTFOUND, with the same message whatever the reason.
func holderOf(ctx context.Context, tx *store.Tx, kind rights.SubjectKind, id string) (holder, error) {
	if kind != rights.SubjectSignUp {
		a, err := subject(ctx, tx, id)
		if err != nil {
			return holder{}, err
		}
		return accountHolder(a), nil
	}
	n, err := tx.NewsletterByID(ctx, id)
	if steward.ErrorCode(err) == steward.ENOTFOUND {
		return holder{}, steward.Errorf(steward.ENOTFOUND, "error.no_person")
	}
	if err != nil {
		return holder{}, err
	}
	return signUpHolder(n), nil
}

// Subject is whom an e-mail address names: an account or a newsletter
// sign-up.
type Subject struct {
	Kind rights.SubjectKind
	ID   string
}

// FindSubject finds whom the site holds data on under an e-mail address:
// the person's account, or, failing that, their newsletter sign-up
// without an account (issue 13 item 5). An address the site holds
// nothing on is ENOTFOUND (error.nothing_held_for_email). Staff accounts
// are no data subjects here.
func (d *Desk) FindSubject(ctx context.Context, email string) (Subject, error) {
	var sub Subject
	err := d.Store.InTx(ctx, func(tx *store.Tx) error {
		h, err := findHolder(ctx, tx, email)
		sub = Subject{Kind: h.kind, ID: h.id}
		return err
	})
	if err != nil {
		return Subject{}, fmt.Errorf("desk: find subject: %w", err)
	}
	return sub, nil
}

// findHolder is FindSubject inside tx.
func findHolder(ctx context.Context, tx *store.Tx, email string) (holder, error) {
	email = strings.TrimSpace(email)
	if email != "" {
		a, err := tx.AccountByEmail(ctx, email)
		switch {
		case err == nil && !a.IsStaff():
			if h, err := holderOf(ctx, tx, rights.SubjectAccount, a.ID); err == nil {
				return h, nil
			} else if steward.ErrorCode(err) != steward.ENOTFOUND {
				return holder{}, err
			}
		case err != nil && steward.ErrorCode(err) != steward.ENOTFOUND:
			return holder{}, err
		}
		n, err := tx.NewsletterByEmail(ctx, email)
		if err == nil {
			return signUpHolder(n), nil
		}
		if steward.ErrorCode(err) != steward.ENOTFOUND {
			return holder{}, err
		}
	}
	return holder{}, steward.Errorf(steward.ENOTFOUND, "error.nothing_held_for_email")
}

// recipient is whom a mail to h goes to: for a sign-up the language it
// signed up in and the first name its form asked for.
func (d *Desk) recipient(ctx context.Context, tx *store.Tx, h holder) recipient {
	if h.signUp == nil {
		return d.to(ctx, tx, h.id)
	}
	to := recipient{lang: h.signUp.Lang, first: signUpFields(h.signUp)["first_name"]}
	if !slices.Contains(policy.Languages, to.lang) {
		to.lang = d.personLang(ctx, tx, h.id)
	}
	return to
}

// signUpFields are the declared fields a sign-up holds (R4).
func signUpFields(n *store.NewsletterSubscription) map[string]string {
	vals := map[string]string{}
	if err := json.Unmarshal([]byte(n.Fields), &vals); err != nil {
		return map[string]string{}
	}
	return vals
}

// signUpHeld writes what is held on a sign-up (Art. 15(1), 15(3)) in the
// recipient's language, for the mail that answers an access or
// portability request: every declared field it holds by the policy's
// name, when it signed up and confirmed, and its consent history with
// the date and the very words of each notice (Art. 7(1)).
func (d *Desk) signUpHeld(ctx context.Context, tx *store.Tx, to recipient, n *store.NewsletterSubscription) (string, error) {
	var b strings.Builder
	b.WriteString(message.Format(to.lang, "mail.signup_held.intro"))
	b.WriteString("\n")
	vals := signUpFields(n)
	if rec := d.Policy.Record(consent.NewsletterRecord); rec != nil {
		for _, f := range rec.Fields {
			if v := vals[f.ID]; v != "" {
				fmt.Fprintf(&b, "- %s: %s\n", f.Name.In(to.lang), v)
			}
		}
	}
	b.WriteString("- " + message.Format(to.lang, "mail.signup_held.signed_up", "date", to.date(n.CreatedAt)) + "\n")
	if n.ConfirmedAt != nil {
		b.WriteString("- " + message.Format(to.lang, "mail.signup_held.confirmed", "date", to.date(*n.ConfirmedAt)) + "\n")
	}
	hist, err := tx.ConsentHistory(ctx, n.ID)
	if err != nil {
		return "", err
	}
	hashes := make([]string, 0, len(hist))
	for _, c := range hist {
		hashes = append(hashes, c.NoticeHash)
	}
	notices, err := tx.ConsentNotices(ctx, hashes)
	if err != nil {
		return "", err
	}
	if len(hist) > 0 {
		b.WriteString("\n" + message.Format(to.lang, "mail.signup_held.consents") + "\n")
	}
	for _, c := range hist {
		key := "mail.signup_held.withdrawn"
		if c.Given {
			key = "mail.signup_held.given"
		}
		fmt.Fprintf(&b, "- %s: %s\n", statement.DateTime(to.lang, c.At, d.zone()),
			message.Format(to.lang, key, "purpose", rights.PurposeName(d.Policy, c.Purpose).In(to.lang)))
		if nt, ok := notices[c.NoticeHash]; ok && nt.Text != "" {
			fmt.Fprintf(&b, "  %s\n", message.Format(to.lang, "mail.signup_held.notice", "text", nt.Text))
		}
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

// actOnSignUp runs the action of a completed request on a newsletter
// sign-up: erasure removes it, objection and withdrawal unsubscribe it,
// restriction limits its processing; access, portability and
// rectification are answered by the mail and the edit.
func (d *Desk) actOnSignUp(ctx context.Context, tx *store.Tx, actor audit.Actor, r *rights.Request) error {
	switch r.Type {
	case rights.TypeAccess, rights.TypePortability, rights.TypeRectification:
		return nil
	case rights.TypeErasure:
		return d.eraseSignUp(ctx, tx, r.SubjectID, actor)
	case rights.TypeObjection, rights.TypeWithdraw:
		return d.unsubscribe(ctx, tx, r.SubjectID)
	case rights.TypeRestriction:
		return d.restrictSignUp(ctx, tx, r, actor)
	}
	return steward.Errorf(steward.EINVALID, "error.unknown_request_type", "type", r.Type)
}

// eraseSignUp removes a newsletter sign-up whole (Art. 17) through the one
// erasure path, with the plan the erasure planner makes for a sign-up:
// the row with its address and name, its consent history and state, its
// mails waiting in the outbox; its requests keep no link to it. Nothing
// is left to mail: the newsletter goes only to confirmed sign-ups whose
// consent stands, and an old unsubscribe link still answers (it is keyed
// by the sign-up's id and records nothing for a sign-up that is gone,
// as after the newsletter_unsubscribed rule). Audited by id and field
// names (G2).
func (d *Desk) eraseSignUp(ctx context.Context, tx *store.Tx, id string, actor audit.Actor) error {
	e, err := tx.EraseSubject(ctx, erasure.ForSignUp(d.Policy, d.Clock.Now()), id)
	if err != nil {
		return err
	}
	fields := append(append([]string{consent.NewsletterRecord}, e.Deleted...), e.Anonymised...)
	return d.record(ctx, tx, audit.Entry{Actor: actor, Action: audit.AccountErase, ObjectKind: consent.NewsletterRecord,
		ObjectID: id, Fields: fields})
}

// unsubscribe withdraws a sign-up's newsletter consent (Art. 7(3), 21(3))
// through the consent domain's one code path, which audits it and drops
// the issues still waiting in the outbox, as the one-click unsubscribe
// link does (consent.withdraw in the audit log, by the sign-up's consent
// record id); the newsletter_unsubscribed rule then removes the sign-up.
func (d *Desk) unsubscribe(ctx context.Context, tx *store.Tx, id string) error {
	if d.Consent == nil {
		return steward.Errorf(steward.EUNAVAILABLE, "error.consent_withdrawal_not_configured")
	}
	p := d.Policy.Purpose(consent.NewsletterPurpose)
	if p == nil || p.Consent == nil || len(p.Consent.Channels) == 0 {
		return steward.Errorf(steward.ENOTFOUND, "error.site_has_no_newsletter")
	}
	ch := policy.ChannelSettings
	if !slices.Contains(p.Consent.Channels, ch) {
		ch = p.Consent.Channels[0]
	}
	h, err := holderOf(ctx, tx, rights.SubjectSignUp, id)
	if err != nil {
		return err
	}
	_, err = d.Consent.Record(ctx, tx, consent.Change{Subject: id, Purpose: consent.NewsletterPurpose, Given: false,
		Channel: ch, Lang: d.recipient(ctx, tx, h).lang})
	return err
}

// restrictSignUp restricts processing of a sign-up (Art. 18): a limit on
// every purpose, which the gate honours (no newsletter while it stands),
// and the issues already queued go at once.
func (d *Desk) restrictSignUp(ctx context.Context, tx *store.Tx, r *rights.Request, actor audit.Actor) error {
	if err := tx.SetProcessingLimit(ctx, store.ProcessingLimit{Subject: r.SubjectID, Kind: consent.LimitRestriction,
		Purpose: consent.AllPurposes, Since: d.Clock.Now(), Reason: "request " + r.ID}); err != nil {
		return err
	}
	if err := consent.StopNewsletterMail(ctx, tx, r.SubjectID, d.Clock.Now()); err != nil {
		return err
	}
	return d.record(ctx, tx, audit.Entry{Actor: actor, Action: audit.AccountRestrict, ObjectKind: consent.NewsletterRecord,
		ObjectID: r.SubjectID, Fields: []string{consent.LimitRestriction}})
}
