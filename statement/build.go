package statement

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"steward/erasure"
	"steward/policy"
)

// New builds the statement of p in lang ("" is Dutch). It fails with
// ErrUnknownLanguage for a language the statement is not written in.
func New(p *policy.Policy, lang string) (*Statement, error) {
	lang, err := Language(lang)
	if err != nil {
		return nil, err
	}
	b := &builder{p: p, lang: lang, lex: newLexicon(lang)}
	s := b.build()
	if b.lex.err != nil {
		return nil, b.lex.err
	}
	return s, nil
}

// builder builds a Statement.
type builder struct {
	p    *policy.Policy
	lang string
	lex  *lexicon
}

func (b *builder) in(t policy.Text) string { return t.In(b.lang) }

func (b *builder) build() *Statement {
	p, l := b.p, b.lex
	s := &Statement{
		Lang:       b.lang,
		Title:      l.f("title", p.Site.Name),
		SiteName:   p.Site.Name,
		URLs:       p.Site.URLs,
		Version:    p.Version.Number,
		Date:       b.date(p.Version.Date, policy.At("version", "date")),
		DateISO:    b.dateISO(p.Version.Date, policy.At("version", "date")),
		Intro:      paragraphs(b.in(p.Intro)),
		Controller: b.controller(),
		Systems:    b.systems(),
		Purposes:   b.purposes(),
		Kept:       b.kept(),
		Statistics: b.statistics(),
		Cookies:    b.cookies(),
		Rights:     b.rights(),
		Complaint:  b.complaint(),
		Changes:    paragraphs(b.in(p.Changes)),
		History:    b.history(),
		lex:        l,
	}
	s.Updated = l.f("updated", s.Date, s.Version)
	if p.IsUnconfirmed(policy.At("version", "date")) {
		s.Updated = l.f("updated_unconfirmed", s.Version)
	}
	s.HasRetention = len(p.Retention) > 0
	s.Processors = b.processors(policy.RoleProcessor)
	s.Recipients = b.processors(policy.RoleRecipient)
	s.Anonymised = b.processors(policy.RoleAnonymisedRecipient)
	s.Disclosures = b.disclosures()
	for _, t := range p.Security {
		s.Security = append(s.Security, b.in(t))
	}
	s.ThirdParty = paragraphs(b.in(p.ThirdPartySites))
	return s
}

// unconfirmed writes a value the site's statement does not give, marked
// as not yet confirmed (issue 20); a confirmed value is written as is.
func (b *builder) unconfirmed(value, path string) string {
	if b.p.IsUnconfirmed(path) {
		return b.lex.f("unconfirmed", value)
	}
	return value
}

// date writes a policy date in words, or that it is not yet confirmed.
func (b *builder) date(d policy.Date, path string) string {
	if b.p.IsUnconfirmed(path) {
		return b.lex.t("date_unconfirmed")
	}
	return b.lex.date(d.Time)
}

// dateISO is the date for <time datetime>, empty when it is unconfirmed.
func (b *builder) dateISO(d policy.Date, path string) string {
	if b.p.IsUnconfirmed(path) {
		return ""
	}
	return d.String()
}

func (b *builder) controller() Controller {
	c := b.p.Controller
	out := Controller{Name: b.unconfirmed(c.Name, policy.At("controller", "name")), KvK: c.KvK}
	if b.p.IsUnconfirmed(policy.At("controller", "address")) {
		out.Address = append(out.Address, b.lex.t("address_unconfirmed"))
	}
	if c.Address.Street != "" {
		out.Address = append(out.Address, c.Address.Street)
	}
	if line := joinNonEmpty(" ", c.Address.Postcode, c.Address.City); line != "" {
		out.Address = append(out.Address, line)
	}
	if c.Address.Country != "" {
		out.Address = append(out.Address, c.Address.Country)
	}
	out.Contacts = b.contacts(true)
	return out
}

// contacts lists the controller's contact points; general says whether the
// general contact is included (the rights section names only the desks
// that handle requests).
func (b *builder) contacts(general bool) []Contact {
	c := b.p.Controller
	var out []Contact
	add := func(role string, ct policy.Contact) {
		if ct.IsZero() {
			return
		}
		// One desk named in two roles (Zorginspirator's helpdesk is also
		// its general contact) is listed once, with both roles.
		for i := range out {
			if out[i].Email == ct.Email && out[i].Phone == ct.Phone && out[i].URL == ct.URL {
				out[i].Role = b.lex.f("contact.roles", out[i].Role, inSentence(b.lex.t("contact."+role)))
				return
			}
		}
		out = append(out, Contact{Role: b.lex.t("contact." + role), Name: ct.Name, Email: ct.Email, Phone: ct.Phone, URL: ct.URL})
	}
	if general {
		add("general", c.Contact)
	}
	add("privacy", c.PrivacyContact)
	add("helpdesk", c.Helpdesk)
	add("dpo", c.DPO)
	if !general && len(out) == 0 {
		add("general", c.Contact)
	}
	return out
}

func recordAnchor(id string) string  { return "data-" + id }
func purposeAnchor(id string) string { return "purpose-" + id }

func (b *builder) recordRef(id string) Ref {
	if r := b.p.Record(id); r != nil {
		return Ref{Name: b.in(r.Name), Anchor: recordAnchor(id)}
	}
	return Ref{Name: id}
}

func (b *builder) recordRefs(ids []string) []Ref {
	out := make([]Ref, 0, len(ids))
	for _, id := range ids {
		out = append(out, b.recordRef(id))
	}
	return out
}

func (b *builder) purposeRef(id string) Ref {
	if pu := b.p.Purpose(id); pu != nil {
		return Ref{Name: b.in(pu.Name), Anchor: purposeAnchor(id)}
	}
	return Ref{Name: id}
}

// systems groups records and retention rules by system, in the order the
// site declares its systems; anything in no declared system comes first.
func (b *builder) systems() []System {
	out := []System{{}}
	index := map[string]int{}
	for _, sys := range b.p.Site.Systems {
		index[sys.ID] = len(out)
		out = append(out, System{Name: b.in(sys.Name), Anchor: "system-" + sys.ID, URLs: sys.URLs})
	}
	for i := range b.p.Records {
		r := &b.p.Records[i]
		g := index[r.System] // 0 when the record names no declared system
		out[g].Records = append(out[g].Records, b.record(r))
	}
	for i := range b.p.Retention {
		ru := &b.p.Retention[i]
		g := 0
		if r := b.p.Record(ru.Record); r != nil {
			g = index[r.System]
		}
		out[g].Retention = append(out[g].Retention, b.rule(i, ru))
	}
	for i := range b.p.Records {
		r := &b.p.Records[i]
		g := index[r.System]
		out[g].Unretained = append(out[g].Unretained, b.unretained(r.ID)...)
	}
	if len(out[0].Records) == 0 && len(out[0].Retention) == 0 && len(out) > 1 {
		out = out[1:]
	}
	return out
}

// record describes one record kind: its fields and the purposes and legal
// bases they serve.
func (b *builder) record(r *policy.Record) Record {
	l := b.lex
	rec := Record{
		Ref:         Ref{Name: b.in(r.Name), Anchor: recordAnchor(r.ID)},
		Description: paragraphs(b.in(r.Description)),
		Subject:     l.t("subject." + string(r.Subject)),
		Erasure:     b.erasure(r),
	}
	var used []string
	for _, f := range r.Fields {
		fld := Field{
			Name:      b.in(f.Name),
			Asked:     f.Source == policy.SourceSubject,
			Required:  f.Required,
			Sensitive: f.Sensitive,
			Editable:  f.Editable,
			Source:    l.t("source." + string(f.Source)),
		}
		for _, id := range f.Purposes {
			fld.Purposes = append(fld.Purposes, b.purposeRef(id))
			if !slices.Contains(used, id) {
				used = append(used, id)
			}
		}
		rec.Fields = append(rec.Fields, fld)
	}
	// List the purposes in the policy's order, not the fields' order.
	slices.SortStableFunc(used, func(a, c string) int { return cmp.Compare(b.purposeIndex(a), b.purposeIndex(c)) })
	for _, id := range used {
		pr := PurposeRef{Ref: b.purposeRef(id)}
		if pu := b.p.Purpose(id); pu != nil {
			pr.Basis = l.basis(pu.LegalBasis)
		}
		rec.Purposes = append(rec.Purposes, pr)
	}
	return rec
}

func (b *builder) purposeIndex(id string) int {
	for i := range b.p.Purposes {
		if b.p.Purposes[i].ID == id {
			return i
		}
	}
	return len(b.p.Purposes)
}

// erasure says what erasure does to a record (Art. 17 GDPR; Z9 anonymises).
func (b *builder) erasure(r *policy.Record) string {
	if r.Erasure == policy.EraseKeep && r.Keep != nil {
		return b.lex.f("erasure.keep", b.keepPeriod(r), b.lex.t("since."+string(r.Keep.Since)))
	}
	return b.lex.t("erasure." + string(r.Erasure))
}

func (b *builder) purposes() []Purpose {
	l := b.lex
	var out []Purpose
	for i := range b.p.Purposes {
		pu := &b.p.Purposes[i]
		v := Purpose{
			Ref:         Ref{Name: b.in(pu.Name), Anchor: purposeAnchor(pu.ID)},
			Description: paragraphs(b.in(pu.Description)),
			Basis:       l.basis(pu.LegalBasis),
			BasisNote:   b.in(pu.BasisNote),
		}
		if pu.NeedsConsent() && pu.Consent != nil {
			var where []string
			for _, ch := range pu.Consent.Channels {
				where = append(where, l.t("channel."+string(ch)))
			}
			v.Consent = l.f("consent.asked", l.list(where, "and"))
			if pu.Consent.Tailored {
				v.Consent += " " + l.t("consent.tailored")
			}
			v.Notice = b.in(pu.Consent.Notice)
		} else {
			v.Consent = l.t("consent.not_needed")
		}
		v.Told = b.in(pu.Notice)
		if u := b.p.UsageCounts; u != nil && u.Purpose == pu.ID {
			v.Counts = l.f("usage_counts.sentence", b.unconfirmed(l.period(u.Keep, false), policy.At("usage_counts", "keep")))
		}
		if pu.Objectable() && b.p.Rights.Honours(policy.RightObjection) {
			v.Objection = l.t("purpose.objection")
		}
		for ri := range b.p.Records {
			r := &b.p.Records[ri]
			g := DataGroup{Record: b.recordRef(r.ID)}
			for _, f := range r.Fields {
				if slices.Contains(f.Purposes, pu.ID) {
					g.Fields = append(g.Fields, b.in(f.Name))
				}
			}
			if len(g.Fields) > 0 {
				v.Data = append(v.Data, g)
			}
		}
		out = append(out, v)
	}
	return out
}

// rule writes an executable retention rule (R9, R10, Z9) in words: the
// record, the condition from the closed vocabulary, the period, its anchor
// and the action.
func (b *builder) rule(i int, ru *policy.Rule) RetentionRule {
	l := b.lex
	at := func(key string) string { return policy.At("retention", i, key) }
	v := RetentionRule{
		Record:      b.recordRef(ru.Record),
		Condition:   b.condition(ru.Where),
		Period:      b.unconfirmed(l.period(ru.Period, false), at("period")),
		Since:       b.unconfirmed(l.t("since."+string(ru.Since)), at("since")),
		Action:      l.t("action." + string(ru.Action)),
		Description: paragraphs(b.in(ru.Description)),
	}
	subject := v.Record.Name
	if v.Condition != "" {
		subject = l.f("retention.subject_where", subject, v.Condition)
	}
	v.Sentence = l.f("retention.sentence", subject, v.Action, v.Period, v.Since)
	if !ru.WarnBefore.IsZero() {
		v.Warning = l.f("retention.warning", b.unconfirmed(l.period(ru.WarnBefore, false), at("warn_before")))
	}
	if ru.ContractOverride {
		v.Override = l.t("retention.override")
	}
	return v
}

// unretained says, for a record kind with retention rules, which of its
// records no rule reaches, so the statement never leaves a record kept
// without end unsaid (issue 20: an IVM account with only a newsletter
// sign-up). It tries every combination of the facts the rules look at —
// confirmed or not, each record kind present or absent — and names each
// combination no rule matches.
func (b *builder) unretained(recordID string) []string {
	var rules []*policy.Rule
	var kinds []string
	confirmed, withdrawn := false, false
	for i := range b.p.Retention {
		ru := &b.p.Retention[i]
		if ru.Record != recordID {
			continue
		}
		rules = append(rules, ru)
		confirmed = confirmed || ru.Where.Confirmed != nil
		withdrawn = withdrawn || ru.Where.Withdrawn != nil
		for _, k := range slices.Concat(ru.Where.HasAny, ru.Where.HasNone) {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	if len(rules) == 0 {
		return nil
	}
	yes, no := true, false
	both := func(used bool) []*bool {
		if used {
			return []*bool{&yes, &no}
		}
		return []*bool{nil}
	}
	holds := func(want, got *bool) bool { return want == nil || (got != nil && *want == *got) }
	var out []string
	for _, conf := range both(confirmed) {
		for _, wd := range both(withdrawn) {
			for mask := 0; mask < 1<<len(kinds); mask++ {
				has := func(k string) bool { return mask&(1<<slices.Index(kinds, k)) != 0 }
				matched := slices.ContainsFunc(rules, func(ru *policy.Rule) bool {
					w := ru.Where
					return holds(w.Confirmed, conf) && holds(w.Withdrawn, wd) &&
						(len(w.HasAny) == 0 || slices.ContainsFunc(w.HasAny, has)) &&
						!slices.ContainsFunc(w.HasNone, has)
				})
				if matched {
					continue
				}
				var c policy.Condition
				c.Confirmed, c.Withdrawn = conf, wd
				for _, k := range kinds {
					if has(k) {
						c.HasAny = append(c.HasAny, k)
					} else {
						c.HasNone = append(c.HasNone, k)
					}
				}
				subject := b.lex.f("retention.subject_where", inSentence(b.recordRef(recordID).Name), b.conditionAll(c))
				out = append(out, b.lex.f("retention.unretained", subject))
			}
		}
	}
	return out
}

// conditionAll is condition for a combination of facts, where every kind
// in HasAny is present (not just one of them).
func (b *builder) conditionAll(c policy.Condition) string {
	var parts []string
	for _, k := range c.HasAny {
		parts = append(parts, b.condition(policy.Condition{HasAny: []string{k}}))
	}
	rest := c
	rest.HasAny = nil
	if s := b.condition(rest); s != "" {
		parts = append(parts, s)
	}
	return b.lex.list(parts, "and")
}

// condition writes a retention condition in words; its parts all hold.
func (b *builder) condition(c policy.Condition) string {
	l := b.lex
	var parts []string
	if c.Confirmed != nil {
		if *c.Confirmed {
			parts = append(parts, l.t("condition.confirmed"))
		} else {
			parts = append(parts, l.t("condition.unconfirmed"))
		}
	}
	if c.Withdrawn != nil {
		if *c.Withdrawn {
			parts = append(parts, l.t("condition.withdrawn"))
		} else {
			parts = append(parts, l.t("condition.not_withdrawn"))
		}
	}
	names := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			out = append(out, inSentence(b.recordRef(id).Name))
		}
		return out
	}
	if len(c.HasAny) > 0 {
		parts = append(parts, l.f("condition.has_any", l.list(names(c.HasAny), "or")))
	}
	if len(c.HasNone) > 0 {
		var none []string
		for _, n := range names(c.HasNone) {
			none = append(none, l.f("condition.has_none_item", n))
		}
		parts = append(parts, l.f("condition.has_none", l.list(none, "and")))
	}
	return l.list(parts, "and")
}

// keepPeriod is how long a record is kept after erasure is asked.
func (b *builder) keepPeriod(r *policy.Record) string {
	i := slices.IndexFunc(b.p.Records, func(x policy.Record) bool { return x.ID == r.ID })
	return b.unconfirmed(b.lex.period(r.Keep.Period, false), policy.At("records", i, "keep", "period"))
}

func (b *builder) kept() []Kept {
	var out []Kept
	for i := range b.p.Records {
		r := &b.p.Records[i]
		if r.Erasure != policy.EraseKeep || r.Keep == nil {
			continue
		}
		out = append(out, Kept{
			Record: b.recordRef(r.ID),
			Period: b.lex.f("kept.until", b.keepPeriod(r), b.lex.t("since."+string(r.Keep.Since))),
			Reason: b.in(r.Keep.Reason),
		})
	}
	return out
}

// statistics says, per field an anonymised account keeps (Z9), in which
// coarse form: the same generalisations' statistics levels erasure.
// Statistics hands the store.
func (b *builder) statistics() []string {
	var out []string
	for _, st := range erasure.Statistics(b.p) {
		name := st.Name()
		var f *policy.Field
		if r := b.p.Record(st.Record); r != nil {
			if f = r.Field(st.Field); f != nil {
				name = strings.ToLower(b.in(f.Name))
			}
		}
		g := b.p.Generalisation(st.Name())
		var lv *policy.GenLevel
		for i := range g.Levels {
			if g.Levels[i].Name == st.Level {
				lv = &g.Levels[i]
			}
		}
		switch {
		case lv == nil:
			out = append(out, b.lex.f("statistics.value", name))
		case lv.Band != 0:
			out = append(out, b.lex.f("statistics.band", name, lv.Band, fmt.Sprintf("%d-%d", 35/lv.Band*lv.Band, 35/lv.Band*lv.Band+lv.Band-1)))
		case lv.Date != "":
			out = append(out, b.lex.f("statistics.date", name, b.lex.t("statistics.unit."+lv.Date)))
		default:
			var vals []string
			for _, r := range lv.Ranges {
				if !slices.Contains(vals, r.Value) {
					vals = append(vals, r.Value)
				}
			}
			for _, gr := range lv.Groups {
				vals = append(vals, gr.Value)
			}
			out = append(out, b.lex.f("statistics.groups", name, strings.Join(vals, ", ")))
		}
	}
	return out
}

func (b *builder) processors(kind policy.ProcessorRole) []Processor {
	var out []Processor
	for i, pr := range b.p.Processors {
		if pr.Kind != kind {
			continue
		}
		at := func(key string) string { return policy.At("processors", i, key) }
		v := Processor{Name: pr.Name, Task: b.in(pr.Task), Location: b.unconfirmed(pr.Location, at("location")), Records: b.recordRefs(pr.Records)}
		if b.p.IsUnconfirmed(at("kind")) {
			v.Role = b.lex.t("recipients.role_unconfirmed." + string(pr.Kind))
		}
		// The export's fields are what leaves. For an anonymised
		// recipient the k and l promised are the policy's min_k and min_l,
		// the values 'steward partners export' enforces (issue 19).
		if pr.Export != nil {
			v.Export = b.exportFields(pr.Export.Fields)
			if pr.Kind == policy.RoleAnonymisedRecipient {
				v.Anonymity = b.anonymity(pr.Export)
			}
		}
		// The claims its OpenID Connect client receives at a sign-in
		// through Steward are a promise 'oidc' keeps (issue 16).
		if len(pr.Claims) > 0 {
			var names []string
			for _, c := range pr.Claims {
				names = append(names, lowerFirst(b.fieldName(c.Field)))
			}
			v.SignIn = b.lex.f("recipients.sign_in", b.lex.list(names, "and"))
		}
		for _, c := range b.p.Cookies {
			if c.Provider == pr.ID && !slices.Contains(v.Cookies, c.Name) {
				v.Cookies = append(v.Cookies, c.Name)
			}
		}
		out = append(out, v)
	}
	return out
}

// anonymity is the promise of an anonymised export: each combination of
// its quasi-identifiers belongs to at least min_k people, and, with min_l,
// each group shows min_l distinct values of the sensitive fields.
func (b *builder) anonymity(e *policy.Export) []string {
	var qis, sens []string
	for _, col := range e.Fields {
		name := col
		rid, fid, _ := strings.Cut(col, ".")
		if r := b.p.Record(rid); r != nil {
			if f := r.Field(fid); f != nil {
				name = strings.ToLower(b.in(f.Name))
			}
		}
		if slices.Contains(e.Sensitive, col) {
			sens = append(sens, name)
		} else {
			qis = append(qis, name)
		}
	}
	out := []string{b.lex.f("recipients.k_anonymity", b.lex.list(qis, "and"), e.MinK)}
	if e.MinL > 0 && len(sens) > 0 {
		out = append(out, b.lex.f("recipients.l_diversity", b.lex.list(sens, "and"), e.MinL))
	}
	return out
}

// exportFields resolves "record.field" export columns to names, grouped by
// record kind in the order they are listed.
// lowerFirst lower-cases a name's first letter for use mid-sentence,
// leaving an abbreviation ("BIG-nummer") as it is.
func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) > 1 && unicode.IsUpper(r[0]) && !unicode.IsUpper(r[1]) {
		r[0] = unicode.ToLower(r[0])
	}
	return string(r)
}

// fieldName is the name of a "record.field" in the statement's language.
func (b *builder) fieldName(col string) string {
	rid, fid, _ := strings.Cut(col, ".")
	if r := b.p.Record(rid); r != nil {
		if f := r.Field(fid); f != nil {
			return b.in(f.Name)
		}
	}
	return col
}

func (b *builder) exportFields(cols []string) []DataGroup {
	var out []DataGroup
	for _, col := range cols {
		rid, fid, _ := strings.Cut(col, ".")
		name := col
		if r := b.p.Record(rid); r != nil {
			if f := r.Field(fid); f != nil {
				name = b.in(f.Name)
			}
		}
		if n := len(out); n > 0 && out[n-1].Record.Anchor == recordAnchor(rid) {
			out[n-1].Fields = append(out[n-1].Fields, name)
			continue
		}
		out = append(out, DataGroup{Record: b.recordRef(rid), Fields: []string{name}})
	}
	return out
}

func (b *builder) disclosures() []Disclosure {
	var out []Disclosure
	for _, d := range b.p.Disclosures {
		out = append(out, Disclosure{Recipient: b.in(d.Recipient), When: b.in(d.When), Basis: b.lex.basis(d.LegalBasis), Records: b.recordRefs(d.Records)})
	}
	return out
}

func (b *builder) cookies() Cookies {
	l := b.lex
	var out Cookies
	anyConsent := false
	for _, cat := range policy.CookieCategories {
		g := CookieGroup{Category: string(cat), Title: l.t("cookies." + string(cat) + ".title"), About: l.t("cookies." + string(cat) + ".about")}
		// Steward's own cookies the policy does not declare are listed in
		// the catalogue's words, from the server's own definitions.
		own := b.p.UndeclaredStewardCookies()
		for i := range own {
			words := l.t("cookies.steward." + own[i].Name)
			own[i].Description = policy.Text{NL: words, EN: words}
		}
		for i, c := range slices.Concat(b.p.Cookies, own) {
			if c.Category != cat {
				continue
			}
			v := Cookie{Name: c.Name, Host: c.Host, Description: b.in(c.Description), Consent: c.Consent,
				Lifetime: b.unconfirmed(l.lifetime(c.Lifetime), policy.At("cookies", i, "lifetime")),
				Provider: CookieProvider(l.lang, b.p, c)}
			if c.Purpose != "" {
				ref := b.purposeRef(c.Purpose)
				v.Purpose = &ref
			}
			anyConsent = anyConsent || c.Consent
			g.Cookies = append(g.Cookies, v)
		}
		if len(g.Cookies) > 0 {
			out.Groups = append(out.Groups, g)
		}
	}
	switch {
	case len(out.Groups) == 0:
		out.Consent = l.t("cookies.none")
	case anyConsent:
		out.Consent = l.t("cookies.consent_some")
	default:
		out.Consent = l.t("cookies.consent_none")
	}
	return out
}

// rights lists the honoured rights in article order and the Art. 12
// handling rules: one month, at most two more, announced within the first.
func (b *builder) rights() Rights {
	l, r := b.lex, b.p.Rights
	out := Rights{HowTo: paragraphs(b.in(r.HowTo)), Contacts: b.contacts(false)}
	for _, right := range policy.AllRights {
		if !r.Honours(right) {
			continue
		}
		key := "right." + string(right)
		out.List = append(out.List, Right{ID: string(right), Name: l.t(key + ".name"), Text: l.t(key + ".text"), Article: l.t(key + ".article")})
	}
	if !r.Response.IsZero() {
		from := l.t("deadline.from." + string(r.DeadlineFrom))
		out.Deadline = l.f("deadline.response", l.period(r.Response, true), from)
		if !r.Extension.IsZero() {
			out.Extension = l.f("deadline.extension", l.period(r.Extension, true), l.period(r.Response, true))
		}
	}
	if r.VerifyIdentity {
		out.Identity = l.t("deadline.identity")
	}
	return out
}

func (b *builder) complaint() Complaint {
	c := b.p.Rights.Complaint
	return Complaint{
		Authority: c.Authority,
		URL:       c.URL,
		Phone:     c.Phone,
		Sentence:  b.lex.f("complaint.sentence", c.Authority),
		Text:      paragraphs(b.in(c.Text)),
	}
}

// history lists the change history newest first, marking the version in
// force (G1).
func (b *builder) history() []Change {
	var out []Change
	for i, c := range b.p.History {
		at := policy.At("history", i, "date")
		out = append(out, Change{
			Version: c.Version,
			Date:    b.date(c.Date, at),
			DateISO: b.dateISO(c.Date, at),
			sortKey: c.Date.String(),
			Summary: b.in(c.Summary),
			Current: c.Version == b.p.Version.Number,
		})
	}
	slices.SortStableFunc(out, func(x, y Change) int { return cmp.Compare(y.sortKey, x.sortKey) })
	return out
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
