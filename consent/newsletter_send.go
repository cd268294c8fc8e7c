package consent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"steward"
	mailer "steward/mail"
	"steward/policy"
	"steward/statement"
	"steward/store"
)

// Issue is one newsletter to send.
type Issue struct {
	Subject string
	Body    string
	Lang    string
	// Resend sends the issue to everyone again, also to those an earlier,
	// finished run of the same issue reached. Without it, an issue — its
	// language, subject and body — reaches each person once, however
	// often it is sent (issue 14, finding 10).
	Resend bool
	// Since is where "new" starts for the parts tailored to each
	// recipient (issue 18 item 6); zero is the previous issue.
	Since time.Time
}

// SendReport says what a run did so far.
type SendReport struct {
	Send    int64
	Resumed bool
	// Candidates is how many subjects with standing consent were looked at.
	Candidates int
	// Enqueued mails went to the outbox in this run.
	Enqueued int
	// Skipped were refused by the gate at the moment of sending (withdrawn
	// a moment ago, restricted, objected) or have no address.
	Skipped int
	// Already were reached by an earlier, interrupted run of the same issue.
	Already int
	// Tailored of the enqueued had a part of their own (issue 18 item 6);
	// the others got the general issue.
	Tailored int
}

// DefaultBatch is how many recipients one transaction handles.
const DefaultBatch = 500

// Send enqueues the issue to everyone whose newsletter consent stands at
// the moment of sending (R2; Art. 7(3): a withdrawal takes effect at
// once). Candidates are walked in keyset order; for each batch, one write
// transaction reads every candidate's consent and limits again, asks the
// gate's rule (Decide) per recipient, and enqueues the mail together with
// the delivery row, so an interrupted run resumes where it stopped and no
// one gets the issue twice. A withdrawal commits either before the
// check, and is seen, or after the mail is enqueued, and deletes it from
// the outbox in its own transaction (Service.Record): on SQLite the batch
// holds the write lock, on PostgreSQL it holds its candidates' consent
// state (store.Tx.LockConsentStates). A restriction or objection set after
// the mail is enqueued drops it when the dispatcher next claims mail. Only
// an issue already claimed for delivery still goes out. progress, when
// set, is called after each batch.
func (n *Newsletter) Send(ctx context.Context, is Issue, batch int, progress func(SendReport)) (SendReport, error) {
	var rep SendReport
	p, is, batch, err := n.prepareIssue(ctx, is, batch)
	if err != nil {
		return rep, err
	}
	run, err := n.startSend(ctx, p, is)
	if err != nil {
		return rep, fmt.Errorf("consent: newsletter send: %w", err)
	}
	tailor, err := n.tailor(ctx, p, is, run)
	if err != nil {
		return rep, fmt.Errorf("consent: newsletter send: %w", err)
	}
	return n.run(ctx, mailing{run: run, purpose: p, resend: is.Resend, tailor: tailor,
		message: func(subj, addr, part string) mailer.Message {
			unsub := n.UnsubscribeURL(subj)
			return mailer.Message{Kind: mailer.KindNewsletter, SubjectID: subj, To: addr, Subject: is.Subject,
				Text: n.issueText(is, part, unsub), Headers: oneClick(unsub), Bulk: true}
		}}, batch, progress)
}

// withPolicyChanges returns the issue's body with an item "the privacy
// statement changed" for each version published since the last issue
// was sent (Z11; issue 20: the newsletter is one of the ways people are
// told), after the editor's text. The first version is no change; before
// any issue was sent every later version is new. A run resumed after an
// interruption finds the same versions, so it resumes the same issue.
func (n *Newsletter) withPolicyChanges(ctx context.Context, p *policy.Purpose, is Issue) (string, error) {
	st := n.Consent.Store
	last, sent, err := st.LastNewsletterIssue(ctx, p.ID)
	if err != nil {
		return "", err
	}
	all, err := st.PolicyPublications(ctx, n.Consent.Policy.Site.ID)
	if err != nil {
		return "", err
	}
	body := is.Body
	for i := len(all) - 1; i >= 0; i-- { // oldest first
		v := all[i]
		if v.N < 2 || (sent && !v.PublishedAt.After(last)) {
			continue
		}
		date, err := statement.DateInWords(is.Lang, v.PublishedAt)
		if err != nil {
			return "", err
		}
		from := ""
		if v.EffectiveAt.After(v.PublishedAt) {
			if from, err = statement.DateInWords(is.Lang, v.EffectiveAt); err != nil {
				return "", err
			}
			from = n.text(is.Lang, "mail.newsletter.policy_item_from", "date", from)
		}
		link := strings.TrimRight(n.BaseURL, "/") + "/privacy"
		if is.Lang != policy.Languages[0] {
			link += "?lang=" + is.Lang
		}
		body = strings.TrimRight(body, "\n") + "\n\n" + n.text(is.Lang, "mail.newsletter.policy_item", "n", v.N, "date", date,
			"summary", policy.Text{NL: v.SummaryNL, EN: v.SummaryEN}.In(is.Lang), "from", from, "link", link)
	}
	return body, nil
}

// checkIssue returns the newsletter purpose an issue is sent under, or
// why it cannot be sent.
func (n *Newsletter) checkIssue(is Issue) (*policy.Purpose, error) {
	p := n.Consent.Policy.Purpose(NewsletterPurpose)
	if p == nil || p.Consent == nil {
		return nil, steward.Errorf(steward.EINVALID, "error.policy_declares_no_consent_based_newsletter")
	}
	if strings.TrimSpace(is.Subject) == "" || strings.TrimSpace(is.Body) == "" {
		return nil, steward.Errorf(steward.EINVALID, "error.newsletter_needs_subject_body")
	}
	if is.Lang != "nl" && is.Lang != "en" {
		return nil, steward.FieldError("lang", "error.must_be_nl_or_en")
	}
	return p, nil
}

// prepareIssue checks an issue (checkIssue), adds the notes on policy
// changes the issue carries (withPolicyChanges) and gives a batch of 0 or
// less its default: what Send and Compose do first.
func (n *Newsletter) prepareIssue(ctx context.Context, is Issue, batch int) (*policy.Purpose, Issue, int, error) {
	p, err := n.checkIssue(is)
	if err != nil {
		return nil, is, 0, err
	}
	if batch <= 0 {
		batch = DefaultBatch
	}
	if is.Body, err = n.withPolicyChanges(ctx, p, is); err != nil {
		return nil, is, 0, fmt.Errorf("consent: newsletter: %w", err)
	}
	return p, is, batch, nil
}

// startSend starts the run of an issue, or resumes the unfinished run of
// the same issue (the same language, subject and body).
func (n *Newsletter) startSend(ctx context.Context, p *policy.Purpose, is Issue) (store.NewsletterSend, error) {
	var run store.NewsletterSend
	err := n.Consent.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		run, err = tx.StartNewsletterSend(ctx, store.NewsletterSend{Purpose: p.ID, ContentHash: contentHash(is),
			SubjectLine: is.Subject, Lang: is.Lang, CreatedAt: n.Clock.Now()})
		return err
	})
	return run, err
}

// contentHash is the fingerprint of an issue: its language, subject and
// body (the editor's text with the policy changes), not the parts
// tailored to each recipient.
func contentHash(is Issue) string {
	h := sha256.Sum256([]byte(is.Lang + "\x00" + is.Subject + "\x00" + is.Body))
	return hex.EncodeToString(h[:])
}

// parts are the tailored parts of the subjects want keeps; none without
// a tailor.
func (n *Newsletter) parts(ctx context.Context, r *store.Reader, tailor Tailor, cands []string, want func(string) bool) (map[string]string, error) {
	if tailor == nil {
		return nil, nil
	}
	var subjects []string
	for _, s := range cands {
		if want(s) {
			subjects = append(subjects, s)
		}
	}
	if len(subjects) == 0 {
		return nil, nil
	}
	return tailor.Parts(ctx, r, subjects)
}

// issueText is one recipient's issue: the editor's text, their own part
// if they have one, and the footer with the unsubscribe link.
func (n *Newsletter) issueText(is Issue, part, unsub string) string {
	body := is.Body
	if part != "" {
		body = strings.TrimRight(body, "\n") + "\n\n" + part
	}
	return body + "\n\n-- \n" + n.text(is.Lang, "mail.newsletter.footer", "link", unsub) + "\n"
}

// add counts a batch into the run's report.
func (r *SendReport) add(b SendReport) {
	r.Candidates += b.Candidates
	r.Enqueued += b.Enqueued
	r.Skipped += b.Skipped
	r.Already += b.Already
	r.Tailored += b.Tailored
}

// mailKinds are the outbox kinds of each purpose's mailings.
var mailKinds = map[string]mailer.Kind{NewsletterPurpose: mailer.KindNewsletter, PanelPurpose: mailer.KindPanelInvitation}

// StopMailing deletes subject's mail of purpose's mailings (newsletter
// issues, panel invitations) that is still waiting in the outbox, in the
// caller's transaction, so that none goes out once the purpose's mail may
// no longer be sent to them: Service.Record calls it when the purpose is
// withdrawn (Art. 7(3)), the rights desk when it sets a restriction or an
// objection (until then the outbox's claim drops newsletter mail before
// sending, store.ClaimDueMail). Mail a dispatcher has already claimed is
// in flight and cannot be stopped (store.Tx.DropUnsentMail). Sends are
// audited nowhere, so the drop is not either; the withdrawal that causes
// it is. A purpose without mailings has nothing to stop.
func StopMailing(ctx context.Context, tx *store.Tx, subject, purpose string, now time.Time) error {
	kind, ok := mailKinds[purpose]
	if !ok {
		return nil
	}
	if _, err := tx.DropUnsentMail(ctx, subject, string(kind), now); err != nil {
		return fmt.Errorf("consent: stop %s mail: %w", purpose, err)
	}
	return nil
}

// StopNewsletterMail is StopMailing for the newsletter.
func StopNewsletterMail(ctx context.Context, tx *store.Tx, subject string, now time.Time) error {
	return StopMailing(ctx, tx, subject, NewsletterPurpose, now)
}

// allowedNow applies the gate's rule for purpose p to each subject with
// state read through r (the sending transaction), and says whose
// standing consent was given with p's tailored notice.
func (n *Newsletter) allowedNow(ctx context.Context, r *store.Reader, p *policy.Purpose, subjects []string) (allowed, tailored map[string]bool, err error) {
	latest, err := r.ConsentStatesFor(ctx, p.ID, subjects)
	if err != nil {
		return nil, nil, err
	}
	limits, err := r.ProcessingLimitsFor(ctx, subjects)
	if err != nil {
		return nil, nil, err
	}
	notices := n.tailoredNotices(p)
	out := make(map[string]bool, len(subjects))
	tailored = make(map[string]bool)
	for _, s := range subjects {
		st := State{}
		if r, ok := latest[s]; ok {
			rec := fromState(r)
			st[p.ID] = Status{Purpose: p.ID, Given: rec.Given, Since: rec.At, Record: &rec}
		}
		ok, _ := Decide(p, st, limits[s])
		if _, asked := n.Consent.AskedAgain(st[p.ID]); asked {
			ok = false // the notice was reworded in substance (issue 20)
		}
		out[s] = ok
		if ok && notices[latest[s].NoticeHash] {
			tailored[s] = true
		}
	}
	return out, tailored, nil
}

// Plan counts, without sending, who would get an issue now. Each
// candidate comes from consent_state (the newest record per person, kept
// with the history) with consent standing;
// the gate's rule (Decide) then weighs that state with the candidate's
// restrictions and objections. Send reads the state again inside its
// transaction; Plan is what the 100,000-recipient benchmark measures.
func (n *Newsletter) Plan(ctx context.Context, batch int) (allowed, refused int, err error) {
	if batch <= 0 {
		batch = 2000
	}
	p := n.Consent.Policy.Purpose(NewsletterPurpose)
	if p == nil {
		return 0, 0, steward.Errorf(steward.EINVALID, "error.policy_declares_no_newsletter")
	}
	given := State{p.ID: Status{Purpose: p.ID, Given: true}}
	after := ""
	for {
		cands, err := n.Consent.Store.ConsentSubjectsGiven(ctx, p.ID, after, batch)
		if err != nil {
			return 0, 0, fmt.Errorf("consent: newsletter plan: %w", err)
		}
		if len(cands) == 0 {
			return allowed, refused, nil
		}
		limits, err := n.Consent.Store.ProcessingLimitsBetween(ctx, after, cands[len(cands)-1])
		after = cands[len(cands)-1]
		if err != nil {
			return 0, 0, fmt.Errorf("consent: newsletter plan: %w", err)
		}
		for _, s := range cands {
			if ok, _ := Decide(p, given, limits[s]); ok {
				allowed++
			} else {
				refused++
			}
		}
	}
}
