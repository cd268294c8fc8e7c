package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"steward"
	"steward/consent"
	"steward/internal/wiring"
)

const newsletterSendAbout = `Enqueues a newsletter through the outbox to everyone whose newsletter
consent stands at the moment of sending (R2; Art. 7(3) GDPR): the purpose
gate is asked for each recipient just before the mail is enqueued, so a
person who withdrew a moment ago is skipped. Every mail carries a one-click
unsubscribe link (RFC 8058). Interrupted? Run the same command again: it
resumes and no one gets the issue twice.

Where the policy declares the newsletter's consent notice tailored
(Zorginspirator), each recipient whose consent was given with those words
gets, after the issue's text, the new functies and opleidingen (imported
since the previous issue, or since --since) that match what they saved and
their work preferences; anyone without such data gets the general issue.
--preview EMAIL prints the issue one person would get now, sends nothing,
and is recorded in the audit log (ids only); --dry-run composes everyone's
issue and counts them, sending and writing nothing.`

func runNewsletterSend(ctx context.Context, a *app, args []string) error {
	fs := a.flags("newsletter send", "--subject S --body FILE [--lang nl|en]", newsletterSendAbout)
	db := a.dbFlag(fs)
	pol := a.policyFlag(fs)
	keyPath := a.consentKeyFlag(fs)
	subject := fs.String("subject", "", "subject line")
	bodyFile := fs.String("body", "", "file with the plain-text body")
	lang := fs.String("lang", "nl", "language of the issue and its unsubscribe footer: nl or en (it goes to every subscriber)")
	baseURL := fs.String("base-url", a.env("STEWARD_BASE_URL", ""), "public URL of the site, for the unsubscribe link in every mail (env STEWARD_BASE_URL; required)")
	resend := fs.Bool("resend", false, "send the issue again also to those an earlier run of the same issue reached (without it each person gets an issue once)")
	since := fs.String("since", "", "tailored issues list what the catalogue added after this day (YYYY-MM-DD, UTC); default: since the previous issue")
	preview := fs.String("preview", "", "print the issue this address would get now, without sending (audited)")
	dryRun := fs.Bool("dry-run", false, "compose every recipient's issue now and count them, without sending or writing anything")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *subject == "" || *bodyFile == "" {
		return a.wrongUsage("newsletter send", "cli.subject_and_body_required")
	}
	// Every mail carries an unsubscribe link (R2, RFC 8058); one that
	// points at the wrong host, or at localhost, makes a promise the site
	// cannot keep to every recipient at once. So no default here.
	if u, err := url.Parse(*baseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return steward.Errorf(steward.EINVALID, "error.base_url_is_required")
	}
	var from time.Time
	if *since != "" {
		d, err := time.Parse(time.DateOnly, *since)
		if err != nil {
			return steward.Errorf(steward.EINVALID, "error.flag_must_be_a_date", "flag", "since", "value", *since)
		}
		from = d
	}
	body, err := readInputFile("--body "+*bodyFile, *bodyFile, maxInputFile)
	if err != nil {
		return err
	}
	nl, closeFn, err := openNewsletter(ctx, a, *db, *pol, *keyPath, *baseURL)
	if err != nil {
		return err
	}
	defer closeFn()
	issue := consent.Issue{Subject: *subject, Body: string(body), Lang: *lang, Resend: *resend, Since: from}
	if *preview != "" {
		pv, err := nl.Preview(ctx, issue, *preview)
		if err != nil {
			return err
		}
		kind, sent := "general issue", "would be sent now"
		if pv.Tailored {
			kind = "tailored issue"
		}
		if !pv.Allowed {
			sent = "would NOT be sent now: their newsletter consent does not stand"
		}
		fmt.Fprintf(a.stdout, "preview for %s: %s, %s\n\n%s", pv.Subject, kind, sent, pv.Text)
		return nil
	}
	if *dryRun {
		start, bytes := time.Now(), 0
		rep, err := nl.Compose(ctx, issue, 0, func(_ string, _ bool, text string) error {
			bytes += len(text)
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "dry run: %d issues composed (%d tailored, %d bytes), %d skipped (consent does not stand or no address), in %.1f s; nothing sent\n",
			rep.Enqueued, rep.Tailored, bytes, rep.Skipped, time.Since(start).Seconds())
		return nil
	}
	rep, err := nl.Send(ctx, issue, 0, func(r consent.SendReport) {
		fmt.Fprintf(a.stdout, "run %d: %d looked at, %d enqueued (%d tailored), %d skipped (consent no longer stands), %d already sent\n",
			r.Send, r.Candidates, r.Enqueued, r.Tailored, r.Skipped, r.Already)
	})
	if err != nil {
		return err
	}
	verb := "done"
	if rep.Resumed {
		verb = "resumed and done"
	}
	fmt.Fprintf(a.stdout, "run %d %s: %d enqueued (%d tailored), %d skipped, %d already sent earlier\n", rep.Send, verb, rep.Enqueued, rep.Tailored, rep.Skipped, rep.Already)
	return nil
}

const newsletterPurgeAbout = `Deletes newsletter sign-ups never confirmed within the period of the
policy's retention rule for them (R2; IVM: newsletter_unconfirmed, 30 days).
It is 'steward retention run --rule ID' for that rule, the one path that
purges them: each sign-up goes with its consents and mails through the
erasure every retention rule uses, audited as retention.delete, in
resumable batches, one runner at a time.`

func runNewsletterPurge(ctx context.Context, a *app, args []string) error {
	fs := a.flags("newsletter purge", "[flags]", newsletterPurgeAbout)
	db := a.dbFlag(fs)
	pol := a.policyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	var rules []string
	for _, r := range p.RulesFor(consent.NewsletterRecord) {
		if r.Where.Confirmed != nil && !*r.Where.Confirmed {
			rules = append(rules, r.ID)
		}
	}
	if len(rules) == 0 {
		return steward.Errorf(steward.EINVALID, "error.policy_has_no_retention", "newsletter_record", consent.NewsletterRecord)
	}
	s, err := a.openStoreToChange(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := newRetentionRunner(s, p, a.clock, rules)
	if err != nil {
		return err
	}
	rep, err := r.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "deleted %d unconfirmed newsletter sign-ups (%s)\n", rep.Total().Delete, strings.Join(rules, ", "))
	if h := rep.Total().Held; h > 0 {
		fmt.Fprintf(a.stdout, "%d on legal hold, kept\n", h)
	}
	return nil
}

func openNewsletter(ctx context.Context, a *app, db, pol, keyPath, baseURL string) (*consent.Newsletter, func(), error) {
	p, err := loadPolicy(pol)
	if err != nil {
		return nil, nil, err
	}
	s, err := a.openStoreToChange(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	key, err := a.consentKey(ctx, s, keyPath, checkOnly)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	svc, err := wire(wiring.Config{Policy: p, Store: s, Clock: a.clock, BaseURL: baseURL})
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return svc.Newsletter(baseURL, key.Derive("newsletter-unsubscribe")), func() { s.Close() }, nil
}
