package consent

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"steward"
	"steward/clock"
	mailer "steward/mail"
	"steward/message"
	"steward/policy"
	"steward/store"
)

// NewsletterRecord is the policy record kind of a sign-up without an
// account (R2); NewsletterPurpose the purpose its consent is for.
const (
	NewsletterRecord  = "newsletter_subscription"
	NewsletterPurpose = "newsletter"
)

// ConfirmLifetime is how long a double opt-in link works. The sign-up
// itself is removed after the policy's newsletter_unconfirmed period.
const ConfirmLifetime = 7 * 24 * time.Hour

// Newsletter runs the newsletter: sign-up without an account with double
// opt-in, one-click unsubscribe, and sending to those whose consent
// stands at the moment of sending (R2, Z4; Art. 7 GDPR; Telecommunicatiewet
// 11.7: e-mail marketing only with prior consent).
type Newsletter struct {
	Consent *Service
	Gate    *Gate
	Clock   clock.Clock
	// BaseURL is the site's public address, for the links in mails.
	BaseURL string
	// UnsubKey keys the unsubscribe links (Key.Derive).
	UnsubKey []byte
	// Tailoring composes each recipient's own part of an issue where the
	// newsletter's notice is tailored (issue 18 item 6); nil: every
	// recipient gets the general issue.
	Tailoring Tailoring
	// EarlierTailored are the fingerprints of the earlier published
	// wordings of the newsletter's notice that were declared tailored
	// (publication.Service.TailoredNotices): consent given with one that
	// was since only edited, not reworded, still asks for tailored news.
	EarlierTailored map[string]bool
}

// Form returns the fields the sign-up form asks: exactly the
// data_subject fields of the policy's newsletter record (R2, R4); nil when
// the site has no sign-up without an account.
func (n *Newsletter) Form() []policy.Field {
	rec := n.Consent.Policy.Record(NewsletterRecord)
	p := n.Consent.Policy.Purpose(NewsletterPurpose)
	if rec == nil || p == nil || p.Consent == nil || !hasChannel(p, policy.ChannelNewsletter) {
		return nil
	}
	var out []policy.Field
	for _, f := range rec.Fields {
		if f.Source == policy.SourceSubject {
			out = append(out, f)
		}
	}
	return out
}

func hasChannel(p *policy.Purpose, ch policy.Channel) bool {
	for _, c := range p.Consent.Channels {
		if c == ch {
			return true
		}
	}
	return false
}

// SignUp validates the form, stores an unconfirmed sign-up and enqueues the
// confirmation mail in one transaction. Only declared fields are accepted;
// an unknown field, a missing required one or a bad address is EINVALID
// and nothing is stored. The notice shown is kept and its hash stored
// with the sign-up; consent is recorded only at confirmation (Confirm).
//
// An address that signed up before (R2 double opt-in, issue 6 item 5):
// when its sign-up is unconfirmed (the link expired or not) or its
// newsletter consent no longer stands (withdrawn), the sign-up takes this
// submission's fields, language and notice and gets a fresh single-use
// link; the previous link is void and its mail, if still waiting in the
// outbox, is dropped. When the address has a confirmed sign-up whose
// consent stands, nothing changes and no mail is sent. The caller's
// answer must be the same in every case (no enumeration); the returned id
// is the sign-up that was sent a link, "" when none was.
func (n *Newsletter) SignUp(ctx context.Context, values map[string]string, lang string) (string, error) {
	form := n.Form()
	if form == nil {
		return "", steward.Errorf(steward.ENOTFOUND, "error.site_has_no_newsletter")
	}
	if lang != "nl" && lang != "en" {
		return "", steward.FieldError("lang", "error.must_be_nl_or_en")
	}
	clean := map[string]string{}
	for k := range values {
		if !declared(form, k) {
			return "", steward.FieldError(k, "error.is_not_field_newsletter")
		}
	}
	for _, f := range form {
		v := strings.TrimSpace(values[f.ID])
		switch {
		case v == "" && f.Required:
			return "", steward.FieldError(f.ID, "error.is_required")
		case f.MaxLength > 0 && len([]rune(v)) > f.MaxLength:
			return "", steward.FieldError(f.ID, "error.must_be_at_most_characters", "max_length", f.MaxLength)
		case strings.ContainsAny(v, "\r\n\x00"):
			return "", steward.FieldError(f.ID, "error.characters_not_allowed")
		}
		if f.Type == policy.TypeEmail && v != "" {
			a, err := mail.ParseAddress(v)
			if err != nil || a.Address != v {
				return "", steward.FieldError(f.ID, "error.is_not_valid_email")
			}
		}
		if v != "" {
			clean[f.ID] = v
		}
	}
	email := clean["email"]
	fields, _ := json.Marshal(clean)
	token := randomHex(32)
	now := n.Clock.Now()
	notice := Notice(n.Consent.Policy.Purpose(NewsletterPurpose), lang)
	sub := store.NewsletterSubscription{ID: "ns_" + randomHex(16), Email: email, Fields: string(fields), Lang: lang,
		NoticeHash: NoticeHash(notice), CreatedAt: now}
	var sent string
	err := n.Consent.Store.InTx(ctx, func(tx *store.Tx) error {
		sent = ""
		renew := false
		prev, err := tx.NewsletterByEmail(ctx, email)
		switch {
		case steward.ErrorCode(err) == steward.ENOTFOUND:
		case err != nil:
			return err
		default:
			active, err := n.subscribed(ctx, tx, prev)
			if err != nil || active {
				return err
			}
			sub.ID, renew = prev.ID, true
		}
		if err := tx.SaveConsentNotice(ctx, store.ConsentNotice{Hash: sub.NoticeHash, Lang: lang, Text: notice, FirstSeen: now}); err != nil {
			return err
		}
		if renew {
			if err := tx.RenewNewsletterSignUp(ctx, sub, tokenHash(token), now.Add(ConfirmLifetime)); err != nil {
				return err
			}
			// The old link is void: its mail need not go out any more.
			if _, err := tx.DropUnsentMail(ctx, sub.ID, string(mailer.KindNewsletterConfirm), now); err != nil {
				return err
			}
		} else if err := tx.CreateNewsletterSubscription(ctx, sub, tokenHash(token), now.Add(ConfirmLifetime)); err != nil {
			return err
		}
		link := n.BaseURL + "/newsletter/confirm?token=" + url.QueryEscape(token)
		if lang != "nl" {
			link += "&lang=" + lang
		}
		if _, err := mailer.Enqueue(ctx, tx, now, mailer.Message{Kind: mailer.KindNewsletterConfirm, SubjectID: sub.ID, To: email,
			Subject: n.text(lang, "mail.newsletter_confirm.subject"), Text: n.text(lang, "mail.newsletter_confirm.body", "link", link, "first_name", clean["first_name"])}); err != nil {
			return err
		}
		sent = sub.ID
		return nil
	})
	if steward.ErrorCode(err) == steward.ECONFLICT {
		// Another submission for the address created its sign-up a moment
		// ago (PostgreSQL) and sends the link; the answer is the same.
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("consent: newsletter sign-up: %w", err)
	}
	return sent, nil
}

// subscribed reports whether a sign-up is confirmed and its newsletter
// consent stands (and is not asked again): then a new submission for its
// address changes nothing.
// A restriction or objection does not count against it: signing up again
// does not lift one, and the gate keeps refusing while it stands.
func (n *Newsletter) subscribed(ctx context.Context, tx *store.Tx, sub store.NewsletterSubscription) (bool, error) {
	if sub.ConfirmedAt == nil {
		return false, nil
	}
	st, err := tx.ConsentStatesFor(ctx, NewsletterPurpose, []string{sub.ID})
	if err != nil {
		return false, err
	}
	cur, ok := st[sub.ID]
	if !ok || !cur.Given {
		return false, nil
	}
	// Consent given with a notice since reworded in substance is asked
	// again (issue 20): signing up again is how a sign-up gives it again.
	rec := fromState(cur)
	_, asked := n.Consent.AskedAgain(Status{Purpose: NewsletterPurpose, Given: true, Record: &rec})
	return !asked, nil
}

// text is a mail text of the catalogue in lang, the site named in it and
// its other arguments filled.
func (n *Newsletter) text(lang, key string, args ...any) string {
	return message.Format(lang, key, append([]any{"site", n.Consent.Policy.Site.Name}, args...)...)
}

func declared(form []policy.Field, id string) bool {
	for _, f := range form {
		if f.ID == id {
			return true
		}
	}
	return false
}

// Confirm uses a double opt-in token: the sign-up is confirmed and the
// consent record written in one transaction (R2). Consent is recorded
// here and not at submission: only the confirmation shows that the owner
// of the address asked for the newsletter, so before it there is no
// consent to prove and the gate refuses. The record carries channel
// newsletter_form and the hash of the notice shown at submission, kept
// with the sign-up, so it proves the words agreed to even when the
// policy's notice changed in between (Art. 7(1)); its time is the moment
// consent took effect, the sign-up row keeps the moment of submission. A
// forged, expired or replayed token is EINVALID and changes nothing.
func (n *Newsletter) Confirm(ctx context.Context, token string) (string, error) {
	var id string
	err := n.Consent.Store.InTx(ctx, func(tx *store.Tx) error {
		sub, err := tx.ConfirmNewsletter(ctx, tokenHash(token), n.Clock.Now())
		if err != nil {
			return err
		}
		id = sub.ID
		_, err = n.Consent.Record(ctx, tx, Change{Subject: sub.ID, Purpose: NewsletterPurpose, Given: true, Channel: policy.ChannelNewsletter,
			Lang: sub.Lang, NoticeHash: sub.NoticeHash})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("consent: newsletter confirm: %w", err)
	}
	return id, nil
}

// The stop links (RFC 8058 one-click): every newsletter issue carries one
// that withdraws newsletter consent, every panel invitation one that
// withdraws the research panel's (issue 18 item 7). One mechanism for
// both: a token bound to the purpose and the subject id — not the
// address, so it keeps working after the person changes it — that cannot
// be forged without the site's key, and a page whose button (or the mail
// client's one-click POST) withdraws at once. Using a link again changes
// nothing.

// stopPaths are the pages of the stop links, per purpose.
var stopPaths = map[string]string{NewsletterPurpose: "/newsletter/unsubscribe", PanelPurpose: "/panel/unsubscribe"}

// StopToken returns the token of subject's stop links for purpose.
func (n *Newsletter) StopToken(purpose, subject string) string {
	m := hmac.New(sha256.New, n.UnsubKey)
	m.Write([]byte("unsubscribe\x00" + purpose + "\x00" + subject))
	return subject + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// StopURL is the link in every mail of a mailing for purpose that stops
// it (RFC 8058: the same URL takes a one-click POST).
func (n *Newsletter) StopURL(purpose, subject string) string {
	return n.BaseURL + stopPaths[purpose] + "?token=" + url.QueryEscape(n.StopToken(purpose, subject))
}

// UnsubscribeToken is the token of subject's newsletter stop links.
func (n *Newsletter) UnsubscribeToken(subject string) string {
	return n.StopToken(NewsletterPurpose, subject)
}

// UnsubscribeURL is the stop link of every newsletter issue.
func (n *Newsletter) UnsubscribeURL(subject string) string {
	return n.StopURL(NewsletterPurpose, subject)
}

// Stop withdraws consent for purpose for the token's subject at once
// (Art. 7(3)). A forged token, or one of another purpose, is EINVALID;
// using a link again changes nothing.
func (n *Newsletter) Stop(ctx context.Context, purpose, token, lang string) (string, error) {
	subject, _, ok := strings.Cut(token, ".")
	p := n.Consent.Policy.Purpose(purpose)
	if !ok || p == nil || p.Consent == nil || stopPaths[purpose] == "" || !hmac.Equal([]byte(n.StopToken(purpose, subject)), []byte(token)) {
		return "", steward.Errorf(steward.EINVALID, "error.unsubscribe_link_invalid")
	}
	ch := policy.ChannelSettings
	if !hasChannel(p, ch) {
		ch = p.Consent.Channels[0]
	}
	if lang != "en" {
		lang = "nl"
	}
	if _, err := n.Consent.Apply(ctx, Change{Subject: subject, Purpose: purpose, Given: false, Channel: ch, Lang: lang}); err != nil {
		return "", err
	}
	return subject, nil
}

// Unsubscribe withdraws newsletter consent for the token's subject
// (Stop).
func (n *Newsletter) Unsubscribe(ctx context.Context, token, lang string) (string, error) {
	return n.Stop(ctx, NewsletterPurpose, token, lang)
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
