package desk

import (
	"context"
	"slices"
	"strings"
	"time"

	"steward/account"
	"steward/mail"
	"steward/message"
	"steward/policy"
	"steward/rights"
	"steward/statement"
	"steward/store"
)

// The mails a request sends, rendered in the person's language from the
// message catalogue (keys "mail.request_*"), as the accounts mails are.
// They name the request by its type and date of receipt, never by anything
// else about the person.

// personLang is the language to write to a person in: the language they
// last gave or refused consent in (the notice they were shown), else the
// site's first language.
func (d *Desk) personLang(ctx context.Context, tx *store.Tx, subjectID string) string {
	lang, err := tx.SubjectLanguage(ctx, subjectID)
	if err != nil {
		d.log().Warn("person's language unavailable", "subject", subjectID, "err", err)
	}
	if !slices.Contains(policy.Languages, lang) {
		return policy.Languages[0]
	}
	return lang
}

// recipient is whom a mail goes to: their language and, when the site
// knows it, their first name to greet them by (issue 13).
type recipient struct {
	lang, first string
}

// to is the recipient of a mail to subjectID, read within tx.
func (d *Desk) to(ctx context.Context, tx *store.Tx, subjectID string) recipient {
	r := recipient{lang: d.personLang(ctx, tx, subjectID)}
	vals, err := tx.Profile(ctx, subjectID, "account")
	if err != nil {
		d.log().Warn("person's first name unavailable", "subject", subjectID, "err", err)
	} else if first := vals["first_name"]; !account.IsSealed(first) {
		r.first = first
	}
	return r
}

// date writes a day in the recipient's language: "24 november 2026".
func (to recipient) date(t time.Time) string { return statement.Date(to.lang, t) }

// render returns a mail's subject and body in the recipient's language,
// the site named, the person greeted, and the other {name} arguments
// filled from args, name/value pairs.
func (d *Desk) render(to recipient, subjectKey, bodyKey string, args ...any) (subject, body string) {
	args = append([]any{"site", d.Policy.Site.Name, "first_name", to.first}, args...)
	return message.Format(to.lang, subjectKey, args...), message.Format(to.lang, bodyKey, args...)
}

// requestType is the name of a request's type, as an argument of a mail.
func requestType(r *rights.Request) message.Key {
	return message.Key("mail.request_type." + string(r.Type))
}

func (d *Desk) verifyMail(to recipient, h holder, r *rights.Request, link string) mail.Message {
	subject, text := d.render(to, "mail.request_verify.subject", "mail.request_verify.body",
		"received", to.date(r.ReceivedOn), "type", requestType(r),
		"days", int(rights.VerifyLinkLifetime.Hours()/24), "link", link)
	return mail.Message{Kind: KindRequestVerify, SubjectID: h.id, To: h.email, Subject: subject, Text: text}
}

func (d *Desk) extensionMail(to recipient, h holder, r *rights.Request, deadline time.Time) mail.Message {
	subject, text := d.render(to, "mail.request_extension.subject", "mail.request_extension.body",
		"received", to.date(r.ReceivedOn), "type", requestType(r),
		"deadline", to.date(deadline), "reason", r.ExtensionReason)
	return mail.Message{Kind: mail.KindRequestUpdate, SubjectID: h.id, To: h.email, Subject: subject, Text: text}
}

func (d *Desk) liftMail(to recipient, h holder, since time.Time, reason string) mail.Message {
	subject, text := d.render(to, "mail.restriction_lifted.subject", "mail.restriction_lifted.body",
		"since", to.date(rights.Day(since, d.zone())), "reason", reason)
	return mail.Message{Kind: KindRestrictionLifted, SubjectID: h.id, To: h.email, Subject: subject, Text: text}
}

// refusedMail tells the person why their request is refused and that they
// may complain to the supervisory authority the policy names (its
// complaint section) and go to court (Art. 12(4), 77, 79).
func (d *Desk) refusedMail(to recipient, h holder, r *rights.Request) mail.Message {
	c := d.Policy.Rights.Complaint
	subject, text := d.render(to, "mail.request_refused.subject", "mail.request_refused.body",
		"received", to.date(r.ReceivedOn), "type", requestType(r),
		"reason", r.Outcome, "authority", c.Authority, "contact", joinNonEmpty("\n", c.URL, c.Phone))
	return mail.Message{Kind: KindRequestRefused, SubjectID: h.id, To: h.email, Subject: subject, Text: text}
}

// completedMail tells the person their request was handled and what was
// done: what the desk did for its type, and staff's outcome when given.
func (d *Desk) completedMail(to recipient, h holder, r *rights.Request) mail.Message {
	done := message.Format(to.lang, "mail.request_done."+string(r.Type), "purpose", rights.PurposeName(d.Policy, r.Purpose).In(to.lang))
	if h.held != "" {
		done += "\n\n" + h.held
	}
	if r.Outcome != "" {
		done += "\n\n" + r.Outcome
	}
	subject, text := d.render(to, "mail.request_completed.subject", "mail.request_completed.body",
		"received", to.date(r.ReceivedOn), "type", requestType(r), "done", done)
	return mail.Message{Kind: KindRequestCompleted, SubjectID: h.id, To: h.email, Subject: subject, Text: text}
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
