package service

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"steward/career"
	"steward/catalogue"
	"steward/consent"
	"steward/message"
	"steward/policy"
	"steward/store"
)

// The newsletter tailored to each person (issue 18 item 6, Z4): the
// Service is the newsletter's consent.Tailoring where the site has a
// catalogue. Who gets a tailored part is the consent package's decision
// (standing consent, given with the tailored notice); what is in it is
// decided here, from the data the policy declares for the newsletter's
// purpose and nothing else (R4): the saved items when the saved_item
// kind's kind and item fields declare it, the work preferences when that
// profile field does.

// Tailor returns the composer of one run: the items first imported after
// since up to until, and the catalogue's items by kind and id to read
// saved items' properties (the catalogue is site content of a bounded
// size; the recipients are read a batch at a time by Parts). Nothing new
// makes a composer that gives everyone the general issue.
func (s *Service) Tailor(ctx context.Context, p *policy.Purpose, since, until time.Time, lang string) (consent.Tailor, error) {
	t := &tailor{s: s, lang: lang, saved: s.declares(p, career.SavedKind, career.SavedFieldKind, career.SavedFieldItem),
		prefs: s.PreferencesAllowed() && s.declares(p, PreferencesRecord, PreferencesField)}
	if !t.saved && !t.prefs {
		return t, nil
	}
	fresh, err := s.Store.CatalogueAdded(ctx, since, until)
	if err != nil || len(fresh) == 0 {
		return t, err
	}
	t.fresh = fresh
	t.lines = make(map[int64]string, len(fresh))
	if t.saved {
		all, err := s.Store.CatalogueAll(ctx)
		if err != nil {
			return nil, err
		}
		t.items = make(map[career.Ref]catalogue.Item, len(all))
		for _, it := range all {
			it.Description, it.SearchText, it.SearchStems = "", "", ""
			t.items[career.Ref{Kind: it.Kind, ID: it.ExternalID}] = it
		}
	}
	return t, nil
}

// declares reports whether every one of fields of record kind rec serves
// purpose p.
func (s *Service) declares(p *policy.Purpose, rec string, fields ...string) bool {
	r := s.Policy.Record(rec)
	if r == nil {
		return false
	}
	for _, id := range fields {
		f := r.Field(id)
		if f == nil || !slices.Contains(f.Purposes, p.ID) {
			return false
		}
	}
	return true
}

// tailor is one run's composer.
type tailor struct {
	s            *Service
	lang         string
	saved, prefs bool
	fresh        []catalogue.Item
	items        map[career.Ref]catalogue.Item
	// lines are the new items' lines in the language, written
	// once per run: every recipient's part is made of the same lines.
	lines map[int64]string
	intro string
}

// Parts reads the batch's saved items and work preferences (two
// statements for the whole batch) and writes each subject's list of new
// functies and opleidingen that match them; a subject with no profile
// data, or nothing new that matches, has no part.
func (t *tailor) Parts(ctx context.Context, r *store.Reader, subjects []string) (map[string]string, error) {
	if len(t.fresh) == 0 {
		return nil, nil
	}
	var saved map[string][]map[string]string
	var prefs map[string]string
	var err error
	if t.saved {
		if saved, err = r.RecordValuesFor(ctx, career.SavedKind, subjects); err != nil {
			return nil, err
		}
	}
	if t.prefs {
		if prefs, err = r.ProfileValuesFor(ctx, PreferencesRecord, PreferencesField, subjects); err != nil {
			return nil, err
		}
	}
	out := make(map[string]string)
	for _, subj := range subjects {
		var in career.Interests
		for _, v := range saved[subj] {
			if it, ok := t.items[career.Ref{Kind: catalogue.Kind(v[career.SavedFieldKind]), ID: v[career.SavedFieldItem]}]; ok {
				in.Saved = append(in.Saved, it)
			}
		}
		if text := prefs[subj]; text != "" {
			in.Answers = t.s.Questions.FromPreferences(text)
		}
		jobs, courses := career.News(t.s.Questions, t.fresh, &in)
		if len(jobs)+len(courses) > 0 {
			out[subj] = t.text(jobs, courses)
		}
	}
	return out, nil
}

// text is the part in the language: a heading, then the new
// functies and opleidingen in words, each with its link.
func (t *tailor) text(jobs, courses []catalogue.Item) string {
	var b strings.Builder
	if t.intro == "" {
		t.intro = message.Format(t.lang, "mail.newsletter.tailored_intro", "site", t.s.Policy.Site.Name)
	}
	b.WriteString(t.intro)
	for _, g := range []struct {
		key   string
		items []catalogue.Item
	}{{"mail.newsletter.tailored_jobs", jobs}, {"mail.newsletter.tailored_courses", courses}} {
		if len(g.items) == 0 {
			continue
		}
		b.WriteString("\n\n" + message.Text(t.lang, g.key))
		for i := range g.items {
			b.WriteString("\n" + t.line(&g.items[i]))
		}
	}
	return b.String()
}

// line is one new item in words, with its link.
func (t *tailor) line(it *catalogue.Item) string {
	if l, ok := t.lines[it.ID]; ok {
		return l
	}
	link := t.s.BaseURL + it.Kind.Path() + "/" + url.PathEscape(it.ExternalID)
	if t.lang != policy.Languages[0] {
		link += "?lang=" + t.lang
	}
	l := message.Format(t.lang, "mail.newsletter.tailored_item", "title", it.Title,
		"sector", message.Text(t.lang, "catalogue.sector."+it.Sector), "level", message.Text(t.lang, "catalogue.level."+it.Level),
		"region", message.Text(t.lang, "catalogue.region."+it.Region),
		"hours", message.Format(t.lang, "catalogue.hours", "hours", it.Hours), "link", link)
	t.lines[it.ID] = l
	return l
}
