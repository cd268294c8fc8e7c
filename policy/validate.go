package policy

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

var idRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// validator collects every problem in a decoded policy.
type validator struct {
	p        *Policy
	problems Problems
}

// on lists the keys a problem is about (Problem.About).
func on(keys ...string) []string { return keys }

func (v *validator) fail(at Pos, about []string, format string, args ...any) {
	if at.Line < 1 {
		// The part is missing altogether, so it has no position of its
		// own; point at the top of the file.
		at = Pos{1, 1}
	}
	v.problems = append(v.problems, Problem{File: v.p.File, Pos: at, Msg: fmt.Sprintf(format, args...), About: about})
}

// Validate checks a decoded policy for everything that would make it
// unenforceable or the statement untrue. It returns every problem found.
func Validate(p *Policy) Problems {
	v := &validator{p: p}
	v.header()
	systems, hosts := v.systems()
	v.controller()
	purposes := v.ids("purpose", len(p.Purposes), func(i int) (string, Pos) { return p.Purposes[i].ID, p.Purposes[i].Pos })
	records := v.ids("record", len(p.Records), func(i int) (string, Pos) { return p.Records[i].ID, p.Records[i].Pos })
	processors := v.ids("processor", len(p.Processors), func(i int) (string, Pos) { return p.Processors[i].ID, p.Processors[i].Pos })
	v.ids("retention rule", len(p.Retention), func(i int) (string, Pos) { return p.Retention[i].ID, p.Retention[i].Pos })
	v.ids("disclosure", len(p.Disclosures), func(i int) (string, Pos) { return p.Disclosures[i].ID, p.Disclosures[i].Pos })
	v.purposes()
	v.records(purposes, systems)
	v.retention(records)
	v.generalisations()
	v.processors(records)
	v.disclosures(records)
	v.cookies(purposes, processors, hosts)
	v.rights()
	v.usageCounts(purposes)
	v.unconfirmedPlaces()
	v.stewardCookies()
	return v.problems
}

func (v *validator) header() {
	p := v.p
	if p.Format != FormatVersion {
		v.fail(p.Pos, on("format"), "format: want %d, got %d", FormatVersion, p.Format)
	}
	if !idRE.MatchString(p.Site.ID) {
		v.fail(p.Site.Pos, on("site", "id"), "site.id %q: want lower-case letters, digits and _", p.Site.ID)
	}
	if p.Site.Name == "" {
		v.fail(p.Site.Pos, on("site", "name"), "site.name is missing")
	}
	if p.Version.Number == "" || p.Version.Date.IsZero() {
		v.fail(p.Version.Pos, on("version", "number", "date"), "version needs a number and a date")
	}
	v.text(p.Pos, "", "intro", p.Intro)
	v.text(p.Pos, "", "changes", p.Changes)
	if d := p.Notices.BannerDays; d < 0 || d > MaxBannerDays {
		v.fail(p.Notices.Pos, on("notices", "banner_days"), "notices.banner_days %d: want 1 to %d days (the dismissal cookie's lifetime)", d, MaxBannerDays)
	}
	seen := map[string]bool{}
	for _, c := range p.History {
		if c.Version == "" || c.Date.IsZero() {
			v.fail(c.Pos, on("history", "version", "date"), "history: every change needs a version and a date")
		}
		if seen[c.Version] {
			v.fail(c.Pos, on("history", "version"), "history: version %q listed twice", c.Version)
		}
		seen[c.Version] = true
		v.text(c.Pos, "history ", "summary", c.Summary)
		if c.Date.After(p.Version.Date.Time) {
			v.fail(c.Pos, on("history", "version"), "history: change %q is dated after the version in force", c.Version)
		}
	}
	if !seen[p.Version.Number] {
		v.fail(p.Version.Pos, on("history", "version"), "history must describe the version in force (%q)", p.Version.Number)
	}
}

// systems checks the site's systems and returns their ids and every host
// name the site answers on.
func (v *validator) systems() (ids map[string]bool, hosts map[string]bool) {
	s := v.p.Site
	hosts = map[string]bool{}
	addHosts := func(at Pos, what string, urls []string) {
		for _, raw := range urls {
			u, err := url.Parse(raw)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
				v.fail(at, on("urls"), "%s: %q is not an http(s) URL", what, raw)
				continue
			}
			hosts[strings.ToLower(u.Hostname())] = true
		}
	}
	addHosts(s.Pos, "site.urls", s.URLs)
	ids = v.ids("system", len(s.Systems), func(i int) (string, Pos) { return s.Systems[i].ID, s.Systems[i].Pos })
	for i := range s.Systems {
		sy := &s.Systems[i]
		v.text(sy.Pos, "system "+sy.ID+" ", "name", sy.Name)
		if len(sy.URLs) == 0 {
			v.fail(sy.Pos, on("urls"), "system %q: urls is missing", sy.ID)
		}
		addHosts(sy.Pos, "system "+sy.ID+" urls", sy.URLs)
	}
	v.home(s.Home)
	return ids, hosts
}

// home checks the start page's content: texts in both languages, and
// links that stay on the site or go to an https address.
func (v *validator) home(h Home) {
	if h.Intro.IsZero() && len(h.Offers) == 0 {
		return
	}
	v.text(h.Pos, "site.home ", "intro", h.Intro)
	for i, o := range h.Offers {
		what := fmt.Sprintf("site.home offer %d ", i+1)
		v.text(o.Pos, what, "title", o.Title)
		v.text(o.Pos, what, "text", o.Text)
		v.text(o.Pos, what, "link_text", o.LinkText)
		if !(strings.HasPrefix(o.Link, "/") && !strings.HasPrefix(o.Link, "//")) && !strings.HasPrefix(o.Link, "https://") {
			v.fail(o.Pos, on("link"), "%slink %q: want a path on the site (/...) or an https:// address", what, o.Link)
		}
	}
}

// text requires a text in every language of the statement (G1): the
// value of key, named in the message as what then key.
func (v *validator) text(at Pos, what, key string, t Text) {
	if !t.Complete() {
		v.fail(at, on(key), "%s%s: needs both nl and en text", what, key)
	}
}

func (v *validator) controller() {
	c := v.p.Controller
	if c.Name == "" {
		v.fail(c.Pos, on("controller", "name"), "controller.name is missing")
	}
	if c.Address.IsZero() && !v.p.IsUnconfirmed("controller.address") {
		v.fail(c.Pos, on("controller", "address"), "controller.address is missing")
	}
	if c.Contact.IsZero() && c.PrivacyContact.IsZero() {
		v.fail(c.Pos, on("controller", "contact", "privacy_contact", "phone", "url"), "controller: no contact (contact or privacy_contact needs an e-mail, phone or url) (R14, Z10)")
	}
	for what, ct := range map[string]Contact{"contact": c.Contact, "privacy_contact": c.PrivacyContact, "dpo": c.DPO, "helpdesk": c.Helpdesk} {
		if ct.Email != "" {
			if _, err := mail.ParseAddress(ct.Email); err != nil {
				v.fail(ct.Pos, on("controller", what, "email"), "controller.%s.email %q is not an e-mail address", what, ct.Email)
			}
		}
	}
}

// ids checks that ids are well-formed and unique, and returns the set.
func (v *validator) ids(kind string, n int, at func(int) (string, Pos)) map[string]bool {
	set := make(map[string]bool, n)
	for i := range n {
		id, pos := at(i)
		switch {
		case !idRE.MatchString(id):
			v.fail(pos, on("id"), "%s id %q: want lower-case letters, digits and _, starting with a letter", kind, id)
		case set[id]:
			v.fail(pos, on("id"), "duplicate %s id %q", kind, id)
		}
		set[id] = true
	}
	return set
}

func (v *validator) purposes() {
	if len(v.p.Purposes) == 0 {
		v.fail(v.p.Pos, on("purposes", "purpose"), "purposes: a policy needs at least one purpose")
	}
	for i := range v.p.Purposes {
		pu := &v.p.Purposes[i]
		v.text(pu.Pos, "purpose "+pu.ID+" ", "name", pu.Name)
		v.text(pu.Pos, "purpose "+pu.ID+" ", "description", pu.Description)
		if !pu.LegalBasis.Valid() {
			v.fail(pu.Pos, on("legal_basis"), "purpose %q: legal_basis %q is not one of %v (Art. 6(1) GDPR)", pu.ID, pu.LegalBasis, LegalBases)
			continue
		}
		switch {
		case pu.NeedsConsent() && (pu.Consent == nil || len(pu.Consent.Channels) == 0):
			v.fail(pu.Pos, on("consent", "channels"), "purpose %q is based on consent but gives no way to give it (consent.channels)", pu.ID)
		case !pu.NeedsConsent() && pu.Consent != nil:
			v.fail(pu.Consent.Pos, on("consent"), "purpose %q: consent is asked but the legal basis is %s", pu.ID, pu.LegalBasis)
		}
		if !pu.Notice.IsZero() {
			if pu.NeedsConsent() {
				v.fail(pu.Pos, on("consent", "notice"), "purpose %q: a consent purpose states its notice under consent.notice, not notice", pu.ID)
			} else {
				v.text(pu.Pos, "purpose "+pu.ID+" ", "notice", pu.Notice)
			}
		}
		if pu.Consent != nil {
			v.text(pu.Consent.Pos, "purpose "+pu.ID+" consent ", "notice", pu.Consent.Notice)
			for _, ch := range pu.Consent.Channels {
				if !slices.Contains(Channels, ch) {
					v.fail(pu.Consent.Pos, on("consent"), "purpose %q: unknown consent channel %q (known: %v)", pu.ID, ch, Channels)
				}
			}
			// Tailored news is composed from data declared for the
			// purpose (R4): without any, there is nothing to tailor with.
			if pu.Consent.Tailored && !v.servesPurpose(pu.ID) {
				v.fail(pu.Consent.Pos, on("consent", "tailored"), "purpose %q: tailored, but no field declares the purpose to tailor with", pu.ID)
			}
		}
	}
}

func (v *validator) records(purposes, systems map[string]bool) {
	for i := range v.p.Records {
		r := &v.p.Records[i]
		v.text(r.Pos, "record "+r.ID+" ", "name", r.Name)
		switch {
		case len(systems) == 0 && r.System != "":
			v.fail(r.Pos, on("system", "site", "systems"), "record %q: system %q is given but site.systems declares none", r.ID, r.System)
		case len(systems) > 0 && !systems[r.System]:
			v.fail(r.Pos, on("system", "site", "systems"), "record %q: system %q is not one of site.systems", r.ID, r.System)
		}
		if r.Subject != SubjectAccount && r.Subject != SubjectVisitor {
			v.fail(r.Pos, on("subject"), "record %q: subject must be account or visitor, got %q", r.ID, r.Subject)
		}
		switch r.Erasure {
		case EraseDelete, EraseAnonymise:
			if r.Keep != nil {
				v.fail(r.Keep.Pos, on("keep", "erasure"), "record %q: keep is only for erasure: keep", r.ID)
			}
		case EraseKeep:
			if r.Keep == nil || r.Keep.Period.IsZero() || !slices.Contains(Anchors, r.Keep.Since) {
				v.fail(r.Pos, on("erasure", "keep", "period", "since", "reason"), "record %q: erasure keep needs keep.period, keep.since (%v) and keep.reason", r.ID, Anchors)
			} else {
				v.text(r.Keep.Pos, "record "+r.ID+" keep ", "reason", r.Keep.Reason)
			}
		default:
			v.fail(r.Pos, on("erasure", "keep"), "record %q: erasure must be delete, anonymise or keep, got %q", r.ID, r.Erasure)
		}
		if len(r.Fields) == 0 {
			v.fail(r.Pos, on("fields"), "record %q declares no fields", r.ID)
		}
		if r.Repeatable && (r.Subject != SubjectAccount || r.ID == "account") {
			v.fail(r.Pos, on("repeatable", "subject"), "record %q: repeatable is only for kinds a person with an account keeps (subject: account), not the account itself", r.ID)
		}
		v.ids("field", len(r.Fields), func(j int) (string, Pos) { return r.Fields[j].ID, r.Fields[j].Pos })
		for j := range r.Fields {
			v.field(r, &r.Fields[j], purposes)
		}
	}
}

func (v *validator) field(r *Record, f *Field, purposes map[string]bool) {
	where := fmt.Sprintf("record %q field %q", r.ID, f.ID)
	v.text(f.Pos, where+" ", "name", f.Name)
	if !slices.Contains(FieldTypes, f.Type) {
		v.fail(f.Pos, on("type"), "%s: type %q is not one of %v", where, f.Type, FieldTypes)
	}
	if len(f.Purposes) == 0 {
		v.fail(f.Pos, on("purpose"), "%s is used by no purpose: data minimisation forbids storing it (R4, Art. 5(1)(c) GDPR)", where)
	}
	for _, pu := range f.Purposes {
		if !purposes[pu] {
			v.fail(f.Pos, on("purpose"), "%s: unknown purpose %q", where, pu)
		}
	}
	switch f.Source {
	case SourceSubject, SourceSystem, SourceThirdParty:
	default:
		v.fail(f.Pos, on("source", "system"), "%s: source must be data_subject, system or third_party, got %q", where, f.Source)
	}
	if f.Type == TypeChoice && len(f.Choices) == 0 {
		v.fail(f.Pos, on("choices"), "%s: a choice field needs choices", where)
	}
	if f.Type != TypeChoice && len(f.Choices) > 0 {
		v.fail(f.Pos, on("choices", "type"), "%s: choices are only for type choice", where)
	}
	if f.References != "" && !slices.Contains(References, f.References) {
		v.fail(f.Pos, on("references"), "%s: references %q is not one of %v", where, f.References, References)
	}
	if f.References != "" && f.Type != TypeText {
		v.fail(f.Pos, on("references", "type"), "%s: references is only for type text", where)
	}
	if f.References == ReferenceCatalogueItem {
		if k := r.Field("kind"); k == nil || k.Type != TypeChoice {
			v.fail(f.Pos, on("references"), "%s: references catalogue_item needs a choice field kind in the same record (job or course)", where)
		}
	}
	if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
		v.fail(f.Pos, on("min", "max"), "%s: min %d is above max %d", where, *f.Min, *f.Max)
	}
	if f.MaxLength < 0 {
		v.fail(f.Pos, on("max_length"), "%s: max_length must not be negative", where)
	}
	if f.Type == TypeBIG && !f.Sensitive {
		v.fail(f.Pos, on("number", "sensitive"), "%s: a BIG/quality-register number is sensitive and must be marked so (R3)", where)
	}
}

func (v *validator) retention(records map[string]bool) {
	for i := range v.p.Retention {
		ru := &v.p.Retention[i]
		v.text(ru.Pos, "retention rule "+ru.ID+" ", "description", ru.Description)
		if !records[ru.Record] {
			v.fail(ru.Pos, on("record", "kind"), "retention rule %q: record kind %q is not declared", ru.ID, ru.Record)
		}
		for _, k := range append(slices.Clone(ru.Where.HasAny), ru.Where.HasNone...) {
			if !records[k] {
				v.fail(ru.Where.Pos, on("record", "kind"), "retention rule %q: condition names undeclared record kind %q", ru.ID, k)
			}
		}
		for _, k := range ru.Where.HasAny {
			if slices.Contains(ru.Where.HasNone, k) {
				v.fail(ru.Where.Pos, on("has_any", "has_none"), "retention rule %q can never match: %q is in both has_any and has_none", ru.ID, k)
			}
		}
		if !slices.Contains(RuleAnchors, ru.Since) {
			v.fail(ru.Pos, on("since"), "retention rule %q: since must be one of %v, got %q", ru.ID, RuleAnchors, ru.Since)
		}
		if ru.Since == SinceWithdrawn && (ru.Where.Withdrawn == nil || !*ru.Where.Withdrawn) {
			v.fail(ru.Pos, on("since", "withdrawn"), "retention rule %q: since withdrawn needs where.withdrawn: true", ru.ID)
		}
		if ru.Where.Withdrawn != nil && !v.restsOnConsent(ru.Record) {
			v.fail(ru.Where.Pos, on("withdrawn", "consent"), "retention rule %q: where.withdrawn needs a record kind whose fields serve a purpose resting on consent, and %q has none", ru.ID, ru.Record)
		}
		if ru.Period.IsZero() {
			v.fail(ru.Pos, on("period"), "retention rule %q: period is missing or zero", ru.ID)
		}
		if ru.Action != ActionDelete && ru.Action != ActionAnonymise {
			v.fail(ru.Pos, on("action"), "retention rule %q: action must be delete or anonymise, got %q", ru.ID, ru.Action)
		}
		if !ru.WarnBefore.IsZero() {
			// The warning must come after the anchor, or it would go out
			// before the person could have done anything.
			start := Date{}.Time
			if ru.WarnBefore.AddTo(start).After(ru.Period.AddTo(start)) || ru.WarnBefore.AddTo(start).Equal(ru.Period.AddTo(start)) {
				v.fail(ru.Pos, on("warn_before", "period"), "retention rule %q: warn_before %s is not shorter than the period %s", ru.ID, ru.WarnBefore, ru.Period)
			}
		}
	}
}

func (v *validator) processors(records map[string]bool) {
	for i := range v.p.Processors {
		pr := &v.p.Processors[i]
		if pr.Name == "" {
			v.fail(pr.Pos, on("name"), "processor %q: name is missing", pr.ID)
		}
		switch pr.Kind {
		case RoleProcessor, RoleRecipient, RoleAnonymisedRecipient:
		default:
			v.fail(pr.Pos, on("kind", "recipient"), "processor %q: kind must be processor, recipient or anonymised_recipient, got %q", pr.ID, pr.Kind)
		}
		v.text(pr.Pos, "processor "+pr.ID+" ", "task", pr.Task)
		if pr.Location == "" {
			v.fail(pr.Pos, on("location"), "processor %q: location is missing", pr.ID)
		}
		for _, r := range pr.Records {
			if !records[r] {
				v.fail(pr.Pos, on("record", "kind"), "processor %q: unknown record kind %q", pr.ID, r)
			}
		}
		v.export(pr)
		v.claims(pr)
	}
}

// claims checks what a party's OpenID Connect client may receive (issue
// 16): each claim a lower-case name the protocol does not reserve, named
// once, from a declared field of a record kind the party receives.
func (v *validator) claims(pr *Processor) {
	seen := map[string]bool{}
	for _, c := range pr.Claims {
		if !claimName(c.Name) || slices.Contains(ReservedClaims, c.Name) {
			v.fail(c.Pos, on("claim"), "processor %q: claim %q: want a lower-case name the protocol does not set itself (not %v)", pr.ID, c.Name, ReservedClaims)
		}
		if seen[c.Name] {
			v.fail(c.Pos, on("claim"), "processor %q: claim %q is declared twice", pr.ID, c.Name)
		}
		seen[c.Name] = true
		rec, field, ok := strings.Cut(c.Field, ".")
		switch {
		case !ok:
			v.fail(c.Pos, on("field"), "processor %q: claim %q: field %q: want record.field", pr.ID, c.Name, c.Field)
		case !slices.Contains(pr.Records, rec):
			v.fail(c.Pos, on("field", "records"), "processor %q: claim %q: record kind %q is not in the processor's records", pr.ID, c.Name, rec)
		case v.declared(rec, field) == nil:
			v.fail(c.Pos, on("field"), "processor %q: claim %q: field %q is not declared", pr.ID, c.Name, c.Field)
		}
	}
}

// claimName reports whether s is a claim name Steward releases:
// ^[a-z][a-z0-9_]*$, at most 64 characters.
func claimName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// export checks what a processor or recipient receives as a file (R8, Z6).
func (v *validator) export(pr *Processor) {
	e := pr.Export
	if e == nil {
		if pr.Kind == RoleAnonymisedRecipient {
			v.fail(pr.Pos, on("export", "min_k"), "processor %q receives anonymised data, so it needs an export with min_k (Z6)", pr.ID)
		}
		return
	}
	if !slices.Contains(ExportFormats, e.Format) {
		v.fail(e.Pos, on("export", "format"), "processor %q: export format must be one of %v, got %q", pr.ID, ExportFormats, e.Format)
	}
	if len(e.Fields) == 0 {
		v.fail(e.Pos, on("export", "fields"), "processor %q: export lists no fields", pr.ID)
	}
	for _, ref := range e.Fields {
		rec, field, ok := strings.Cut(ref, ".")
		switch {
		case !ok:
			v.fail(e.Pos, on("export", "record"), "processor %q: export field %q: want record.field", pr.ID, ref)
		case !slices.Contains(pr.Records, rec):
			v.fail(e.Pos, on("export", "record", "kind", "records"), "processor %q: export field %q: record kind %q is not in the processor's records", pr.ID, ref, rec)
		case v.declared(rec, field) == nil:
			v.fail(e.Pos, on("export"), "processor %q: export field %q is not declared", pr.ID, ref)
		}
	}
	switch {
	case pr.Kind == RoleAnonymisedRecipient && e.MinK < 2:
		v.fail(e.Pos, on("export", "min_k"), "processor %q: an anonymised export needs min_k of at least 2, got %d (Z6)", pr.ID, e.MinK)
	case pr.Kind != RoleAnonymisedRecipient && (e.MinK != 0 || e.MinL != 0):
		v.fail(e.Pos, on("min_k", "min_l", "kind"), "processor %q: min_k and min_l are only for kind anonymised_recipient", pr.ID)
	}
	if e.MinL < 0 || (e.MinK > 0 && e.MinL > e.MinK) {
		v.fail(e.Pos, on("min_l", "min_k"), "processor %q: min_l must be between 0 and min_k, got %d", pr.ID, e.MinL)
	}
	if pr.Kind == RoleAnonymisedRecipient {
		v.anonymisedExport(pr)
	}
}

// anonymisedExport checks what the exporter needs of an anonymised export
// (Z6, issue 19): the purpose it serves, which every field serves; each
// field either sensitive or a quasi-identifier with a hierarchy; a bounded
// suppression.
func (v *validator) anonymisedExport(pr *Processor) {
	e := pr.Export
	if v.p.Purpose(e.Purpose) == nil {
		v.fail(e.Pos, on("export", "purpose"), "processor %q: an anonymised export needs the purpose it serves, got %q", pr.ID, e.Purpose)
	}
	if e.MaxSuppressedPercent < 0 || e.MaxSuppressedPercent > 50 {
		v.fail(e.Pos, on("max_suppressed_percent"), "processor %q: max_suppressed_percent must be between 0 and 50, got %d", pr.ID, e.MaxSuppressedPercent)
	}
	for _, s := range e.Sensitive {
		if !slices.Contains(e.Fields, s) {
			v.fail(e.Pos, on("sensitive"), "processor %q: sensitive field %q is not an exported field", pr.ID, s)
		}
	}
	if e.MinL > 0 && len(e.Sensitive) == 0 {
		v.fail(e.Pos, on("min_l", "sensitive"), "processor %q: min_l needs at least one sensitive field", pr.ID)
	}
	for _, ref := range e.Fields {
		rec, field, _ := strings.Cut(ref, ".")
		// A field whose own purposes are wrong is reported once, there.
		if f := v.declared(rec, field); f != nil && e.Purpose != "" && v.purposesKnown(f) && !slices.Contains(f.Purposes, e.Purpose) {
			v.fail(e.Pos, on("export", "purpose"), "processor %q: export field %q does not serve purpose %q", pr.ID, ref, e.Purpose)
		}
		if !slices.Contains(e.Sensitive, ref) && v.p.Generalisation(ref) == nil {
			v.fail(e.Pos, on("export", "generalisations", "sensitive"), "processor %q: quasi-identifier %q has no generalisation; declare one or list it as sensitive", pr.ID, ref)
		}
	}
}

func (v *validator) purposesKnown(f *Field) bool {
	for _, p := range f.Purposes {
		if v.p.Purpose(p) == nil {
			return false
		}
	}
	return len(f.Purposes) > 0
}

// generalisations checks every hierarchy (issue 19): a declared field, each
// level of one kind that suits the field's type, levels ordered from fine
// to coarse, and every value of a level mapping to exactly one parent.
func (v *validator) generalisations() {
	seen := map[string]bool{}
	for i := range v.p.Generalisations {
		g := &v.p.Generalisations[i]
		rec, field, _ := strings.Cut(g.Field, ".")
		f := v.declared(rec, field)
		if f == nil {
			v.fail(g.Pos, on("field"), "generalisation of %q: the field is not declared", g.Field)
			continue
		}
		if seen[g.Field] {
			v.fail(g.Pos, on("field"), "generalisation of %q is declared twice", g.Field)
		}
		seen[g.Field] = true
		v.levels(g, f)
		v.statistics(g, rec, f)
	}
}

// statistics checks what an anonymised account keeps of a field (Z9,
// issue 19): a level of its hierarchy ("value" only for a choice field,
// a closed list), of a profile field the person gives, never a sensitive
// one (sealed at rest, R3: it would survive the person in the clear).
func (v *validator) statistics(g *Generalisation, rec string, f *Field) {
	if g.Statistics == "" {
		return
	}
	r := v.p.Record(rec)
	switch {
	case r == nil || r.Subject != SubjectAccount || f.Type == TypeEmail || f.Source != SourceSubject || !f.Editable:
		v.fail(g.Pos, on("statistics"), "generalisation of %q: statistics keeps only a profile field the person gives", g.Field)
	case f.Sensitive:
		v.fail(g.Pos, on("statistics"), "generalisation of %q: a sensitive field cannot survive anonymisation in statistics", g.Field)
	case g.Statistics == StatisticsValue:
		if f.Type != TypeChoice {
			v.fail(g.Pos, on("statistics"), "generalisation of %q: statistics may keep the value as it is only for a choice field; name a level", g.Field)
		}
	case !slices.ContainsFunc(g.Levels, func(l GenLevel) bool { return l.Name == g.Statistics }):
		v.fail(g.Pos, on("statistics"), "generalisation of %q: statistics level %q is not one of its levels", g.Field, g.Statistics)
	}
}

func (v *validator) levels(g *Generalisation, f *Field) {
	lastBand, lastDate := 0, -1
	// below is the set of values of the previous level when it is a
	// finite set (ranges, groups, or a choice field's choices).
	var below map[string]bool
	if f.Type == TypeChoice {
		below = map[string]bool{}
		for _, c := range f.Choices {
			below[c.Value] = true
		}
	}
	for j := range g.Levels {
		l := &g.Levels[j]
		kinds := 0
		for _, set := range []bool{l.Band != 0, l.Date != "", len(l.Ranges) > 0, len(l.Groups) > 0} {
			if set {
				kinds++
			}
		}
		if l.Name == "" || kinds != 1 {
			v.fail(l.Pos, on("levels", "name", "band", "date", "ranges", "groups"), "generalisation of %q: level %d needs a name and exactly one of band, date, ranges, groups", g.Field, j+1)
			continue
		}
		switch {
		case l.Band != 0:
			if f.Type != TypeInteger || (j > 0 && lastBand == 0) {
				v.fail(l.Pos, on("band"), "generalisation of %q: band is only for an integer field, after other bands", g.Field)
			} else if l.Band < 2 || (lastBand > 0 && (l.Band <= lastBand || l.Band%lastBand != 0)) {
				v.fail(l.Pos, on("band"), "generalisation of %q: band %d must be at least 2 and a larger multiple of the band before", g.Field, l.Band)
			}
			lastBand = l.Band
			below = nil
		case l.Date != "":
			k := slices.Index(GenDates, l.Date)
			if f.Type != TypeDate || (j > 0 && lastDate < 0) {
				v.fail(l.Pos, on("date"), "generalisation of %q: date is only for a date field, after other dates", g.Field)
			} else if k <= lastDate {
				v.fail(l.Pos, on("date"), "generalisation of %q: date must be one of %v, coarser than the level before, got %q", g.Field, GenDates, l.Date)
			}
			lastDate = k
			below = nil
		case len(l.Ranges) > 0:
			if f.Type != TypePostcode || j > 0 {
				v.fail(l.Pos, on("ranges"), "generalisation of %q: ranges are only the first level of a postcode_nl field", g.Field)
			}
			below = v.ranges(g, l)
		default:
			if j > 0 && below == nil {
				v.fail(l.Pos, on("groups"), "generalisation of %q: groups can only follow groups or ranges", g.Field)
			}
			below = v.groups(g, l, below)
		}
	}
}

// ranges checks that the ranges cover 1000–9999 once each, and returns the
// level's values.
func (v *validator) ranges(g *Generalisation, l *GenLevel) map[string]bool {
	rs := slices.Clone(l.Ranges)
	slices.SortFunc(rs, func(a, b GenRange) int { return a.From - b.From })
	next := 1000
	vals := map[string]bool{}
	for _, r := range rs {
		if r.Value == "" || r.From > r.To {
			v.fail(r.Pos, on("from", "to", "value"), "generalisation of %q: range %d–%d needs from ≤ to and a value", g.Field, r.From, r.To)
		}
		if r.From != next {
			v.fail(r.Pos, on("from", "ranges"), "generalisation of %q: postcodes must be covered exactly once; range starting %d should start at %d", g.Field, r.From, next)
		}
		next = max(next, r.To+1)
		vals[r.Value] = true
	}
	if next != 10000 {
		v.fail(l.Pos, on("ranges", "to"), "generalisation of %q: ranges end at %d, not 9999", g.Field, next-1)
	}
	return vals
}

// groups checks that every member has exactly one parent and, when the
// level below is a known set, that the members are exactly that set.
func (v *validator) groups(g *Generalisation, l *GenLevel, below map[string]bool) map[string]bool {
	parent := map[string]string{}
	vals := map[string]bool{}
	for _, gr := range l.Groups {
		if gr.Value == "" || len(gr.Members) == 0 {
			v.fail(gr.Pos, on("value", "members"), "generalisation of %q: a group needs a value and members", g.Field)
		}
		vals[gr.Value] = true
		for _, m := range gr.Members {
			if p, ok := parent[m]; ok {
				v.fail(gr.Pos, on("members"), "generalisation of %q: %q is in group %q and in group %q", g.Field, m, p, gr.Value)
			}
			parent[m] = gr.Value
			if below != nil && !below[m] {
				v.fail(gr.Pos, on("members"), "generalisation of %q: %q is not a value of the level below", g.Field, m)
			}
		}
	}
	for m := range below {
		if _, ok := parent[m]; !ok {
			v.fail(l.Pos, on("groups", "members"), "generalisation of %q: value %q of the level below has no group", g.Field, m)
		}
	}
	return vals
}

// declared returns the declared field record.field, or nil.
func (v *validator) declared(record, field string) *Field {
	for i := range v.p.Records {
		if v.p.Records[i].ID == record {
			return v.p.Records[i].Field(field)
		}
	}
	return nil
}

func (v *validator) disclosures(records map[string]bool) {
	for i := range v.p.Disclosures {
		d := &v.p.Disclosures[i]
		v.text(d.Pos, "disclosure "+d.ID+" ", "recipient", d.Recipient)
		v.text(d.Pos, "disclosure "+d.ID+" ", "when", d.When)
		if d.LegalBasis != LegalObligation && d.LegalBasis != VitalInterests && d.LegalBasis != PublicTask && d.LegalBasis != LegitimateInterests {
			v.fail(d.Pos, on("legal_basis"), "disclosure %q: legal_basis must be legal_obligation, vital_interests, public_task or legitimate_interests, got %q", d.ID, d.LegalBasis)
		}
		for _, r := range d.Records {
			if !records[r] {
				v.fail(d.Pos, on("record", "kind"), "disclosure %q: unknown record kind %q", d.ID, r)
			}
		}
	}
}

func (v *validator) cookies(purposes, processors, hosts map[string]bool) {
	seen := map[string]bool{}
	for i := range v.p.Cookies {
		c := &v.p.Cookies[i]
		key := c.Host + "\x00" + c.Name
		if c.Name == "" {
			v.fail(c.Pos, on("name"), "cookie: name is missing")
		} else if seen[key] {
			v.fail(c.Pos, nil, "duplicate cookie %q", c.Name)
		}
		seen[key] = true
		if !slices.Contains(CookieCategories, c.Category) {
			v.fail(c.Pos, on("category"), "cookie %q: category must be one of %v, got %q", c.Name, CookieCategories, c.Category)
		}
		if c.Category == CookieNecessary && c.Consent {
			v.fail(c.Pos, on("category", "consent"), "cookie %q is in category necessary but needs consent: a strictly necessary cookie cannot wait for consent", c.Name)
		}
		if (c.Category == CookieMarketing || c.Category == CookiePersonal) && !c.Consent {
			v.fail(c.Pos, on("consent"), "cookie %q is a %s cookie and must need consent (Telecommunicatiewet art. 11.7a)", c.Name, c.Category)
		}
		if c.Purpose != "" && !purposes[c.Purpose] {
			v.fail(c.Pos, on("purpose"), "cookie %q: unknown purpose %q", c.Name, c.Purpose)
		}
		if c.Provider != "" && c.Provider != "first_party" && !processors[c.Provider] {
			v.fail(c.Pos, on("provider"), "cookie %q: provider %q is neither first_party nor a declared processor", c.Name, c.Provider)
		}
		if c.Consent && c.Purpose != "" && purposes[c.Purpose] {
			if pu := v.purpose(c.Purpose); pu != nil && !pu.NeedsConsent() {
				v.fail(c.Pos, on("consent", "purpose"), "cookie %q needs consent but its purpose %q is not consent-based", c.Name, c.Purpose)
			}
		}
		if c.Host != "" && !hosts[strings.ToLower(c.Host)] {
			v.fail(c.Pos, on("host", "site", "urls", "systems"), "cookie %q: host %q is not a host of site.urls or site.systems", c.Name, c.Host)
		}
		if !c.Lifetime.Session && c.Lifetime.Period.IsZero() {
			v.fail(c.Pos, on("lifetime"), "cookie %q: lifetime is missing (session or a duration)", c.Name)
		}
		v.text(c.Pos, "cookie "+c.Name+" ", "description", c.Description)
	}
}

func (v *validator) purpose(id string) *Purpose {
	for i := range v.p.Purposes {
		if v.p.Purposes[i].ID == id {
			return &v.p.Purposes[i]
		}
	}
	return nil
}

func (v *validator) rights() {
	r := v.p.Rights
	if len(r.Honoured) == 0 {
		v.fail(r.Pos, on("rights", "honoured"), "rights.honoured is empty")
	}
	for _, h := range r.Honoured {
		if !slices.Contains(AllRights, h) {
			v.fail(r.Pos, on("rights"), "rights: unknown right %q (known: %v)", h, AllRights)
		}
	}
	month := MustDuration("P1M")
	start := Date{}.Time
	if r.Response.IsZero() || r.Response.AddTo(start).After(month.AddTo(start)) {
		v.fail(r.Pos, on("rights", "response"), "rights.response must be set and at most one month (Art. 12(3) GDPR), got %s", r.Response)
	}
	if r.Extension.AddTo(start).After(MustDuration("P2M").AddTo(start)) {
		v.fail(r.Pos, on("rights", "extension"), "rights.extension may be at most two months (Art. 12(3) GDPR), got %s", r.Extension)
	}
	switch r.DeadlineFrom {
	case FromReceipt, FromIdentityProof:
	default:
		v.fail(r.Pos, on("rights", "deadline_from"), "rights.deadline_from must be receipt or identity_proof, got %q", r.DeadlineFrom)
	}
	v.text(r.Pos, "rights.", "how_to", r.HowTo)
	if r.Complaint.Authority == "" || (r.Complaint.URL == "" && r.Complaint.Phone == "") {
		v.fail(r.Complaint.Pos, on("rights", "complaint", "authority", "url", "phone"), "rights.complaint: the complaint route needs an authority and a url or phone (R14)")
	}
	if len(v.p.ConsentPurposes()) > 0 && !r.Honours(RightWithdraw) {
		v.fail(r.Pos, on("rights", "consent", "honoured"), "rights: the policy asks consent, so withdraw_consent must be honoured (Art. 7(3) GDPR)")
	}
	for i := range v.p.Purposes {
		if pu := &v.p.Purposes[i]; pu.Objectable() && !r.Honours(RightObjection) {
			v.fail(r.Pos, on("rights", "purpose", "honoured"), "rights: purpose %q rests on %s, so objection must be honoured (Art. 21 GDPR)", pu.ID, pu.LegalBasis)
			break
		}
	}
}

// servesPurpose reports whether a field of some record kind declares the
// purpose id.
func (v *validator) servesPurpose(id string) bool {
	for _, r := range v.p.Records {
		for _, f := range r.Fields {
			if slices.Contains(f.Purposes, id) {
				return true
			}
		}
	}
	return false
}

// restsOnConsent reports whether a field of record kind id serves a
// purpose that rests on consent: only then can its subject withdraw.
func (v *validator) restsOnConsent(id string) bool {
	rec := v.p.Record(id)
	if rec == nil {
		return false
	}
	for _, f := range rec.Fields {
		for _, pid := range f.Purposes {
			if pu := v.p.Purpose(pid); pu != nil && pu.NeedsConsent() {
				return true
			}
		}
	}
	return false
}

// usageCounts checks the site's own usage counts: a declared purpose and a
// period to keep them.
func (v *validator) usageCounts(purposes map[string]bool) {
	u := v.p.UsageCounts
	if u == nil {
		return
	}
	if !purposes[u.Purpose] {
		v.fail(u.Pos, on("usage_counts", "purpose"), "usage_counts.purpose %q is not a declared purpose", u.Purpose)
	}
	if u.Keep.IsZero() {
		v.fail(u.Pos, on("usage_counts", "keep"), "usage_counts.keep: say how long a day's counts are kept (e.g. P2Y)")
	}
}
