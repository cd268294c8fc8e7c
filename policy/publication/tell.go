package publication

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/audit"
	"steward/consent"
	mailer "steward/mail"
	"steward/message"
	"steward/policy"
	"steward/policy/diff"
	"steward/statement"
	"steward/store"
)

// Banner is what the banner about a published change says (Z11; issue
// 20): the version, its change summary, and when it takes effect.
type Banner struct {
	N           int
	Summary     policy.Text
	EffectiveAt time.Time
	// Upcoming is set while the change has not taken effect yet: the
	// banner says "from DATE".
	Upcoming bool
}

// BannerFor decides whether the banner about v, the site's newest
// published version, shows at now under p: from its publication until
// p's banner period (notices.banner_days) after it takes effect. The
// first version is no change and has none.
func BannerFor(p *policy.Policy, v store.PolicyPublication, now time.Time) (Banner, bool) {
	if v.N < 2 || !now.Before(v.EffectiveAt.Add(p.BannerPeriod())) {
		return Banner{}, false
	}
	return Banner{N: v.N, Summary: policy.Text{NL: v.SummaryNL, EN: v.SummaryEN}, EffectiveAt: v.EffectiveAt,
		Upcoming: now.Before(v.EffectiveAt)}, true
}

// Banner returns the banner to show at now about the site's newest
// version under p, if any.
func (s *Service) Banner(ctx context.Context, p *policy.Policy) (Banner, bool, error) {
	v, ok, err := s.Store.LatestPolicyPublicationHead(ctx, p.Site.ID)
	if err != nil || !ok {
		return Banner{}, false, err
	}
	b, ok := BannerFor(p, v, s.Clock.Now())
	return b, ok, nil
}

// Dismissed reports whether account dismissed the banner about version n.
func (s *Service) Dismissed(ctx context.Context, siteID string, n int, account string) (bool, error) {
	return s.Store.PolicyNoticeDismissed(ctx, siteID, n, account)
}

// Dismiss remembers that account dismissed the banner about version n of
// the site's policy, which must exist (ENOTFOUND).
func (s *Service) Dismiss(ctx context.Context, siteID string, n int, account string) error {
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.PolicyPublication(ctx, siteID, n); err != nil {
			return err
		}
		return tx.DismissPolicyNotice(ctx, siteID, n, account, s.Clock.Now())
	})
}

// versions returns the site's published versions, oldest first, each
// parsed from its stored file.
func (s *Service) versions(ctx context.Context, siteID string) ([]store.PolicyPublication, []*policy.Policy, error) {
	list, err := s.Store.PolicyPublications(ctx, siteID)
	if err != nil {
		return nil, nil, err
	}
	slices.Reverse(list)
	ps := make([]*policy.Policy, len(list))
	for i, v := range list {
		full, err := s.Store.PolicyPublication(ctx, siteID, v.N)
		if err != nil {
			return nil, nil, err
		}
		if ps[i], err = policy.Parse("version "+strconv.Itoa(v.N), []byte(full.Content)); err != nil {
			return nil, nil, fmt.Errorf("publication: version %d: %w", v.N, err)
		}
	}
	return list, ps, nil
}

// Reasks computes, over the site's published versions, every consent
// notice reworded in substance (diff.Change.Notice): from the version's
// effective date, consent given with any earlier wording of that notice
// no longer counts, unless the wording is the new one again. The consent
// service and gate are built with them (internal/wiring).
func (s *Service) Reasks(ctx context.Context, siteID string) (consent.Reasks, error) {
	list, ps, err := s.versions(ctx, siteID)
	if err != nil {
		return nil, err
	}
	var out consent.Reasks
	for k := 1; k < len(ps); k++ {
		for _, c := range diff.Between(ps[k-1], ps[k]) {
			if !c.Notice {
				continue
			}
			r := consent.Reask{Purpose: c.ID, Version: list[k].N, From: list[k].EffectiveAt, Hashes: map[string]bool{}}
			for j := 0; j < k; j++ {
				for _, h := range noticeHashes(ps[j], c.ID) {
					r.Hashes[h] = true
				}
			}
			for _, h := range noticeHashes(ps[k], c.ID) {
				delete(r.Hashes, h)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// TellReport says what a run of Tell did.
type TellReport struct {
	Version int
	// People is how many people the changes concern directly.
	People int
	// Queued mails went to the outbox in this run; Already were queued
	// by an earlier run; NoAddress have no address to mail to.
	Queued, Already, NoAddress int
}

// Teller mails each person a published change concerns directly (Z11;
// issue 20), in their language and in their terms: which of their data
// and consents the change is about, and for a reworded consent notice
// that their consent is asked again. The mails go to the outbox's bulk
// lane, so a password reset never waits behind them.
type Teller struct {
	*Service
	// BaseURL is the site's public address, for the links in the mail.
	BaseURL string
	// Batch is how many people one transaction handles; 0 is 500.
	Batch int
}

// Tell queues the personal mails about version n (against version n-1).
// Each person's mail is queued with a row that names them and the version
// in one transaction, and audited as policy.notify by ids only; a run
// that stops half-way is resumed by running it again, and nobody is
// mailed twice about one version.
func (t *Teller) Tell(ctx context.Context, siteID string, n int) (TellReport, error) {
	rep := TellReport{Version: n}
	list, ps, err := t.versions(ctx, siteID)
	if err != nil {
		return rep, err
	}
	k := slices.IndexFunc(list, func(v store.PolicyPublication) bool { return v.N == n })
	switch {
	case k < 0:
		return rep, store.ErrNoPolicyPublication
	case k == 0:
		return rep, steward.Errorf(steward.ECONFLICT, "error.policy_notices_first_version", "n", n)
	}
	old, cur, v := ps[k-1], ps[k], list[k]
	var changes []diff.Change
	for _, c := range diff.Between(old, cur) {
		if c.Substance && (c.Notice || len(c.Records) > 0) {
			changes = append(changes, c)
		}
	}
	batch := t.Batch
	if batch <= 0 {
		batch = 500
	}
	// Who each change concerns: the same sets Affected counts.
	whom := map[string][]int{}
	for i, c := range changes {
		after := ""
		for {
			var page []string
			if c.Notice {
				page, err = t.Store.ConsentSubjectsOn(ctx, c.ID, noticeHashes(old, c.ID), after, batch)
			} else {
				page, err = t.Store.HolderSubjects(ctx, c.Records, after, batch)
			}
			if err != nil {
				return rep, err
			}
			if len(page) == 0 {
				break
			}
			after = page[len(page)-1]
			for _, subj := range page {
				whom[subj] = append(whom[subj], i)
			}
		}
	}
	people := make([]string, 0, len(whom))
	for subj := range whom {
		people = append(people, subj)
	}
	slices.Sort(people)
	rep.People = len(people)
	log := &audit.Log{Clock: t.Clock, PolicyVersion: func() string { return cur.Version.Number }}
	for len(people) > 0 {
		part := people[:min(batch, len(people))]
		people = people[len(part):]
		var b TellReport
		err := t.Store.InTx(ctx, func(tx *store.Tx) error {
			b = TellReport{}
			done, err := tx.PolicyNoticeMailed(ctx, siteID, n, part)
			if err != nil {
				return err
			}
			to, err := tx.Recipients(ctx, part)
			if err != nil {
				return err
			}
			now := t.Clock.Now()
			for _, subj := range part {
				rc, ok := to[subj]
				switch {
				case done[subj]:
					b.Already++
					continue
				case !ok:
					b.NoAddress++
					continue
				}
				var mine []diff.Change
				for _, i := range whom[subj] {
					mine = append(mine, changes[i])
				}
				ps, err := tx.AccountPseudonym(ctx, subj)
				if err != nil {
					return err
				}
				m := t.mail(cur, v, subj, rc, ps != "", mine)
				id, err := mailer.Enqueue(ctx, tx, now, m)
				if err != nil {
					return err
				}
				if err := tx.RecordPolicyNoticeMail(ctx, siteID, n, subj, id, now); err != nil {
					return err
				}
				// G2: the version, the mail's id and the names of the record
				// kinds and purposes concerned; never an address.
				e := audit.Entry{Actor: audit.System("policy_notices"), Action: audit.PolicyNotify, ObjectKind: "policy_version",
					ObjectID: strconv.Itoa(n), Fields: concerned(mine)}
				if ps != "" {
					e.Subject = audit.Pseudonym(ps)
				}
				if err := log.Record(ctx, tx, e); err != nil {
					return err
				}
				b.Queued++
			}
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("publication: tell version %d: %w", n, err)
		}
		rep.Queued, rep.Already, rep.NoAddress = rep.Queued+b.Queued, rep.Already+b.Already, rep.NoAddress+b.NoAddress
	}
	return rep, nil
}

// concerned names the record kinds and purposes changes are about, as
// audit field names ("record.lms_account", "purpose.newsletter").
func concerned(changes []diff.Change) []string {
	var out []string
	for _, c := range changes {
		if c.Notice {
			out = append(out, "purpose."+c.ID)
		}
		for _, r := range c.Records {
			out = append(out, "record."+r)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// mail is the personal mail about version v to one person, in their
// language (Dutch when they never chose one): each change that concerns
// them, which of their data or which consent it is about, and for a
// reworded consent notice that their consent counts until the change
// takes effect and where to give it again.
func (t *Teller) mail(p *policy.Policy, v store.PolicyPublication, subj string, rc store.Recipient, account bool, changes []diff.Change) mailer.Message {
	lang := rc.Lang
	if !slices.Contains(policy.Languages, lang) {
		lang = policy.Languages[0]
	}
	base := strings.TrimRight(t.BaseURL, "/")
	q := ""
	if lang != policy.Languages[0] {
		q = "?lang=" + lang
	}
	date := func(at time.Time) string {
		w, err := statement.DateInWords(lang, at)
		if err != nil {
			return at.Format("2006-01-02")
		}
		return w
	}
	var b strings.Builder
	b.WriteString(message.Format(lang, "mail.policy_change.intro", "greeting", message.Key("mail.greeting"), "site", p.Site.Name,
		"n", v.N, "date", date(v.PublishedAt), "effective", date(v.EffectiveAt), "summary", policy.Text{NL: v.SummaryNL, EN: v.SummaryEN}.In(lang)))
	b.WriteString("\n\n")
	for _, c := range changes {
		if c.Notice {
			name := c.ID
			if pu := p.Purpose(c.ID); pu != nil {
				name = pu.Name.In(lang)
			}
			link := base + "/account/consents" + q
			if !account {
				link = base + "/newsletter" + q
			}
			key := "mail.policy_change.consent_now"
			if v.EffectiveAt.After(v.PublishedAt) {
				key = "mail.policy_change.consent"
			}
			b.WriteString("- " + message.Format(lang, key, "purpose", name, "effective", date(v.EffectiveAt), "link", link) + "\n")
			continue
		}
		var names []string
		for _, r := range c.Records {
			if rec := p.Record(r); rec != nil {
				names = append(names, rec.Name.In(lang))
			}
		}
		b.WriteString("- " + personal(c, lang, strings.Join(names, ", ")) + "\n")
	}
	b.WriteString("\n" + message.Format(lang, "mail.policy_change.outro", "privacy", base+"/privacy"+q, "versions", base+"/privacy/versions"+q) + "\n")
	return mailer.Message{Kind: mailer.KindPolicyChange, SubjectID: subj, To: rc.Email,
		Subject: message.Format(lang, "mail.policy_change.subject", "site", p.Site.Name), Text: b.String(),
		// One of many mails sent at once: personal mail (a reset, a
		// verification) goes first (issue 20).
		Bulk: true}
}

// personal says a change about record kinds in the words of a person who
// holds them: a changed period with both periods in words, anything else
// as a change to their data, named in their language (no ids: the
// privacy officer's words are for the diff).
func personal(c diff.Change, lang, records string) string {
	if c.Key == "policydiff.period_changed" {
		var periods []string
		for _, a := range c.Args {
			if d, ok := a.(policy.Duration); ok {
				w, err := statement.PeriodInWords(lang, d)
				if err != nil || d.IsZero() {
					w = message.Text(lang, "policydiff.none_period")
				}
				periods = append(periods, w)
			}
		}
		if len(periods) == 2 {
			return message.Format(lang, "mail.policy_change.period", "records", records, "old", periods[0], "new", periods[1])
		}
	}
	return message.Format(lang, "mail.policy_change.data", "records", records)
}
