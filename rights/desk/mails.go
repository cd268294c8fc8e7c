package desk

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/account"
	"steward/mail"
	"steward/policy"
	"steward/rights"
	"steward/store"
)

// The mails a request sends, rendered in the person's language from the
// desk's catalogue (i18n/nl.json, i18n/en.json), as the accounts mails are
// from the site's. They name the request by its type and date of receipt,
// never by anything else about the person.

//go:embed i18n/*.json
var catalogFiles embed.FS

// catalog holds the mail texts per language of policy.Languages; a
// missing catalogue or key fails at start-up, not in a mail.
var catalog = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range policy.Languages {
		b, err := catalogFiles.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			panic(fmt.Sprintf("desk: mail catalogue %s: %v", lang, err))
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("desk: mail catalogue %s: %v", lang, err))
		}
		out[lang] = m
	}
	return out
}()

// Text returns the catalogue text of key in lang, or in the first
// language when lang has none; the key itself when neither has it.
func Text(lang, key string) string {
	if t, ok := catalog[lang][key]; ok {
		return t
	}
	if t, ok := catalog[policy.Languages[0]][key]; ok {
		return t
	}
	return key
}

// personLang is the language to write to a person in: the language they
// last gave or refused consent in (the notice they were shown), else the
// site's first language.
func (d *Desk) personLang(ctx context.Context, tx *store.Tx, subjectID string) string {
	lang, err := tx.SubjectLanguage(ctx, subjectID)
	if err != nil {
		d.log().Warn("person's language unavailable", "subject", subjectID, "err", err)
	}
	if _, ok := catalog[lang]; !ok {
		return policy.Languages[0]
	}
	return lang
}

func (d *Desk) render(lang, key string, vars ...string) (subject, body string) {
	r := strings.NewReplacer(append([]string{"{site}", d.Policy.Site.Name}, vars...)...)
	return r.Replace(Text(lang, key+".subject")), r.Replace(Text(lang, key+".body"))
}

func (d *Desk) verifyMail(lang string, a *account.Account, r *rights.Request, link string) mail.Message {
	subject, text := d.render(lang, "mail.request_verify",
		"{received}", r.ReceivedOn.Format(time.DateOnly), "{type}", Text(lang, "request_type."+string(r.Type)),
		"{days}", strconv.Itoa(int(rights.VerifyLinkLifetime.Hours()/24)), "{link}", link)
	return mail.Message{Kind: KindRequestVerify, SubjectID: a.ID, To: a.Email, Subject: subject, Text: text}
}

func (d *Desk) extensionMail(lang string, a *account.Account, r *rights.Request, deadline time.Time) mail.Message {
	subject, text := d.render(lang, "mail.request_extension",
		"{received}", r.ReceivedOn.Format(time.DateOnly), "{type}", Text(lang, "request_type."+string(r.Type)),
		"{deadline}", deadline.Format(time.DateOnly), "{reason}", r.ExtensionReason)
	return mail.Message{Kind: mail.KindRequestUpdate, SubjectID: a.ID, To: a.Email, Subject: subject, Text: text}
}

func (d *Desk) liftMail(lang string, a *account.Account, since time.Time, reason string) mail.Message {
	subject, text := d.render(lang, "mail.restriction_lifted",
		"{since}", rights.Day(since, d.zone()).Format(time.DateOnly), "{reason}", reason)
	return mail.Message{Kind: KindRestrictionLifted, SubjectID: a.ID, To: a.Email, Subject: subject, Text: text}
}

// refusedMail tells the person why their request is refused and that they
// may complain to the supervisory authority the policy names (its
// complaint section) and go to court (Art. 12(4), 77, 79).
func (d *Desk) refusedMail(lang string, a *account.Account, r *rights.Request) mail.Message {
	c := d.Policy.Rights.Complaint
	subject, text := d.render(lang, "mail.request_refused",
		"{received}", r.ReceivedOn.Format(time.DateOnly), "{type}", Text(lang, "request_type."+string(r.Type)),
		"{reason}", r.Outcome, "{authority}", c.Authority, "{contact}", joinNonEmpty("\n", c.URL, c.Phone))
	return mail.Message{Kind: KindRequestRefused, SubjectID: a.ID, To: a.Email, Subject: subject, Text: text}
}

// completedMail tells the person their request was handled and what was
// done: what the desk did for its type, and staff's outcome when given.
func (d *Desk) completedMail(lang string, a *account.Account, r *rights.Request) mail.Message {
	done := Text(lang, "request_done."+string(r.Type))
	if r.Purpose != "" {
		done = strings.ReplaceAll(done, "{purpose}", rights.PurposeName(d.Policy, r.Purpose).In(lang))
	}
	if r.Outcome != "" {
		done += "\n\n" + r.Outcome
	}
	subject, text := d.render(lang, "mail.request_completed",
		"{received}", r.ReceivedOn.Format(time.DateOnly), "{type}", Text(lang, "request_type."+string(r.Type)), "{done}", done)
	return mail.Message{Kind: KindRequestCompleted, SubjectID: a.ID, To: a.Email, Subject: subject, Text: text}
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
