// Package diff compares two versions of a site's policy structurally
// (G1, Z11; issue 20): purposes added, removed or reworded, legal bases
// changed, fields added or removed, retention periods changed, processors
// and recipients added or removed or given other data, the anonymity terms
// of an anonymised export and the generalisations it uses, cookies, rights.
// Each change is one of substance or a text edit that changes no meaning
// (a typo fix), so the privacy officer sees what matters first, and the
// changes of substance say which record kinds and purposes they touch, so
// who is affected can be computed from them rather than guessed.
//
// The package is pure: it reads two *policy.Policy values.
package diff

import (
	"bytes"
	"slices"
	"strings"
	"unicode"

	"steward/message"
	"steward/policy"
	"steward/statement"

	"go.yaml.in/yaml/v3"
)

// Area is the part of the policy a change is in.
type Area string

// The areas of a policy a change can be in.
const (
	AreaController Area = "controller"
	AreaPurpose    Area = "purpose"
	AreaRecord     Area = "record"
	AreaRetention  Area = "retention"
	AreaProcessor  Area = "processor"
	AreaDisclosure Area = "disclosure"
	// AreaGeneralisation is the hierarchies by which anonymised exports
	// coarsen a field (Z6).
	AreaGeneralisation Area = "generalisation"
	AreaCookie         Area = "cookie"
	AreaRights         Area = "rights"
	AreaText           Area = "text"
)

// Change is one difference between two policies.
type Change struct {
	// Substance is false for a text edit that changes no meaning.
	Substance bool
	Area      Area
	// ID is the purpose, record kind, rule, processor, disclosure or
	// cookie the change is about.
	ID string
	// Records are the record kinds whose holders the change is about;
	// Purposes the purposes (consent notices) it is about.
	Records  []string
	Purposes []string
	// Notice is set when a purpose's consent notice was reworded in
	// substance: consent given with the old words is asked again (Z11).
	Notice bool
	// Key is the catalogue key that says the change in words; Args its
	// named arguments.
	Key  string
	Args []any
}

// Text is the change in words in lang; periods are written in words.
func (c Change) Text(lang string) string {
	args := slices.Clone(c.Args)
	for i, a := range args {
		if d, ok := a.(policy.Duration); ok {
			args[i] = message.Key("policydiff.none_period")
			if !d.IsZero() {
				if w, err := statement.PeriodInWords(lang, d); err == nil {
					args[i] = w
				}
			}
		}
	}
	return message.Format(lang, c.Key, args...)
}

// Between lists the changes from old to new: changes of substance first,
// then text edits, each in the policy's order.
func Between(old, new *policy.Policy) []Change {
	d := &differ{old: old, new: new}
	d.controller()
	d.purposes()
	d.records()
	d.retention()
	d.processors()
	d.generalisations()
	d.disclosures()
	d.cookies()
	d.usageCounts()
	d.rights()
	d.texts()
	slices.SortStableFunc(d.out, func(a, b Change) int {
		switch {
		case a.Substance == b.Substance:
			return 0
		case a.Substance:
			return -1
		default:
			return 1
		}
	})
	return d.out
}

type differ struct {
	old, new *policy.Policy
	out      []Change
}

func (d *differ) add(c Change) { d.out = append(d.out, c) }

// text compares a text in every language: no change, a text edit, or a
// rewording of substance.
func (d *differ) text(area Area, id, what string, old, new policy.Text, records, purposes []string) {
	changed, substance := false, false
	for _, lang := range policy.Languages {
		o, n := old.In(lang), new.In(lang)
		if o == n {
			continue
		}
		changed = true
		substance = substance || !typo(o, n)
	}
	if !changed {
		return
	}
	key := "policydiff.text_edited"
	if substance {
		key = "policydiff.reworded"
	}
	d.add(Change{Substance: substance, Area: area, ID: id, Records: records, Purposes: purposes, Key: key,
		Notice: substance && what == "consent_notice",
		Args:   []any{"what", message.Key("policydiff.what." + what), "id", id}})
}

// typo reports whether b differs from a only in white space, case,
// punctuation, or in at most a few letters of a long text: an edit that
// changes no meaning.
func typo(a, b string) bool {
	na, nb := normal(a), normal(b)
	if na == nb {
		return true
	}
	dist := editDistance(na, nb)
	return dist <= 2 && dist*20 <= max(len(na), len(nb))
}

// normal keeps letters and digits, lower-cased, single-spaced.
func normal(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// editDistance is the Levenshtein distance of a and b in runes, stopping
// early once it exceeds 3 (only small distances matter).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > 3 || d < -3 {
		return 4
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > 3 {
			return 4
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// substance adds a change of substance.
func (d *differ) substance(area Area, id, key string, records, purposes []string, args ...any) {
	d.add(Change{Substance: true, Area: area, ID: id, Records: records, Purposes: purposes, Key: key, Args: append([]any{"id", id}, args...)})
}

// added and removed list the ids only in new and only in old.
func added[T any](old, new []T, id func(T) string) (plus, minus []string) {
	in := func(list []T, x string) bool { return slices.ContainsFunc(list, func(t T) bool { return id(t) == x }) }
	for _, n := range new {
		if !in(old, id(n)) {
			plus = append(plus, id(n))
		}
	}
	for _, o := range old {
		if !in(new, id(o)) {
			minus = append(minus, id(o))
		}
	}
	return plus, minus
}

func (d *differ) controller() {
	o, n := d.old.Controller, d.new.Controller
	if o.Name != n.Name || o.Address != n.Address || o.KvK != n.KvK {
		d.substance(AreaController, "controller", "policydiff.controller_changed", nil, nil)
	}
	for what, pair := range map[string][2]policy.Contact{"contact": {o.Contact, n.Contact}, "privacy_contact": {o.PrivacyContact, n.PrivacyContact},
		"dpo": {o.DPO, n.DPO}, "helpdesk": {o.Helpdesk, n.Helpdesk}} {
		a, b := pair[0], pair[1]
		if a.Email != b.Email || a.Phone != b.Phone || a.URL != b.URL || a.Name != b.Name {
			d.substance(AreaController, what, "policydiff.contact_changed", nil, nil, "what", message.Key("policydiff.what."+what))
		}
	}
}

// recordsOf lists the record kinds holding data for purpose id in p.
func recordsOf(p *policy.Policy, id string) []string {
	var out []string
	for _, r := range p.Records {
		for _, f := range r.Fields {
			if slices.Contains(f.Purposes, id) && !slices.Contains(out, r.ID) {
				out = append(out, r.ID)
			}
		}
	}
	return out
}

func (d *differ) purposes() {
	plus, minus := added(d.old.Purposes, d.new.Purposes, func(p policy.Purpose) string { return p.ID })
	for _, id := range plus {
		d.substance(AreaPurpose, id, "policydiff.purpose_added", recordsOf(d.new, id), []string{id})
	}
	for _, id := range minus {
		d.substance(AreaPurpose, id, "policydiff.purpose_removed", recordsOf(d.old, id), []string{id})
	}
	for _, n := range d.new.Purposes {
		o := d.old.Purpose(n.ID)
		if o == nil {
			continue
		}
		recs := recordsOf(d.new, n.ID)
		if o.LegalBasis != n.LegalBasis {
			d.substance(AreaPurpose, n.ID, "policydiff.basis_changed", recs, []string{n.ID},
				"old", message.Key("policydiff.basis."+string(o.LegalBasis)), "new", message.Key("policydiff.basis."+string(n.LegalBasis)))
		}
		d.text(AreaPurpose, n.ID, "purpose_name", o.Name, n.Name, nil, nil)
		d.text(AreaPurpose, n.ID, "purpose_description", o.Description, n.Description, recs, nil)
		d.text(AreaPurpose, n.ID, "basis_note", o.BasisNote, n.BasisNote, recs, nil)
		d.text(AreaPurpose, n.ID, "purpose_notice", o.Notice, n.Notice, recs, nil)
		var on, nn policy.Text
		var oc, nc []policy.Channel
		if o.Consent != nil {
			on, oc = o.Consent.Notice, o.Consent.Channels
		}
		if n.Consent != nil {
			nn, nc = n.Consent.Notice, n.Consent.Channels
		}
		// A consent notice reworded in substance is the one change that
		// makes consent given under the old words ask to be renewed (Z11).
		d.text(AreaPurpose, n.ID, "consent_notice", on, nn, nil, []string{n.ID})
		if !slices.Equal(oc, nc) {
			d.substance(AreaPurpose, n.ID, "policydiff.channels_changed", nil, []string{n.ID})
		}
		if (o.Consent != nil && o.Consent.Tailored) != (n.Consent != nil && n.Consent.Tailored) {
			d.substance(AreaPurpose, n.ID, "policydiff.tailored_changed", recs, []string{n.ID})
		}
	}
}

func (d *differ) records() {
	plus, minus := added(d.old.Records, d.new.Records, func(r policy.Record) string { return r.ID })
	for _, id := range plus {
		d.substance(AreaRecord, id, "policydiff.record_added", nil, nil)
	}
	for _, id := range minus {
		d.substance(AreaRecord, id, "policydiff.record_removed", []string{id}, nil)
	}
	for _, n := range d.new.Records {
		o := d.old.Record(n.ID)
		if o == nil {
			continue
		}
		rec := []string{n.ID}
		fplus, fminus := added(o.Fields, n.Fields, func(f policy.Field) string { return f.ID })
		for _, f := range fplus {
			d.substance(AreaRecord, n.ID, "policydiff.field_added", rec, nil, "field", f)
		}
		for _, f := range fminus {
			d.substance(AreaRecord, n.ID, "policydiff.field_removed", rec, nil, "field", f)
		}
		for _, nf := range n.Fields {
			of := o.Field(nf.ID)
			if of == nil {
				continue
			}
			if !slices.Equal(slices.Sorted(slices.Values(of.Purposes)), slices.Sorted(slices.Values(nf.Purposes))) {
				d.substance(AreaRecord, n.ID, "policydiff.field_purposes_changed", rec, nil, "field", nf.ID)
			}
			if !sameKept(of, &nf) {
				d.substance(AreaRecord, n.ID, "policydiff.field_changed", rec, nil, "field", nf.ID)
			}
			d.text(AreaRecord, n.ID, "field_name", of.Name, nf.Name, nil, nil)
			for _, nc := range nf.Choices {
				for _, oc := range of.Choices {
					if oc.Value == nc.Value {
						d.text(AreaRecord, n.ID, "choice_label", oc.Label, nc.Label, nil, nil)
					}
				}
			}
		}
		if o.Repeatable != n.Repeatable {
			d.substance(AreaRecord, n.ID, "policydiff.repeatable_changed", rec, nil)
		}
		if o.Erasure != n.Erasure || !sameKeep(o.Keep, n.Keep) {
			d.substance(AreaRecord, n.ID, "policydiff.erasure_changed", rec, nil)
		}
		d.text(AreaRecord, n.ID, "record_name", o.Name, n.Name, nil, nil)
		d.text(AreaRecord, n.ID, "record_description", o.Description, n.Description, nil, nil)
	}
}

// sameKept reports whether two versions of a field are kept alike: every
// attribute but its id, its name and its purposes (compared on their own)
// and its choices' labels (a text edit). TestDiffCoversEveryFieldAttribute
// fails when policy.Field gains an attribute this does not compare.
func sameKept(a, b *policy.Field) bool {
	return a.Type == b.Type && a.Required == b.Required && a.Sensitive == b.Sensitive &&
		a.Source == b.Source && a.Editable == b.Editable && a.MaxLength == b.MaxLength &&
		sameBound(a.Min, b.Min) && sameBound(a.Max, b.Max) && a.References == b.References &&
		slices.EqualFunc(a.Choices, b.Choices, func(x, y policy.Choice) bool { return x.Value == y.Value })
}

func sameBound(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func sameKeep(a, b *policy.Keep) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Period == b.Period && a.Since == b.Since
}

func (d *differ) retention() {
	plus, minus := added(d.old.Retention, d.new.Retention, func(r policy.Rule) string { return r.ID })
	for _, id := range plus {
		d.substance(AreaRetention, id, "policydiff.rule_added", []string{d.new.Rule(id).Record}, nil)
	}
	for _, id := range minus {
		d.substance(AreaRetention, id, "policydiff.rule_removed", []string{d.old.Rule(id).Record}, nil)
	}
	for _, n := range d.new.Retention {
		o := d.old.Rule(n.ID)
		if o == nil {
			continue
		}
		rec := []string{n.Record}
		if o.Period != n.Period {
			d.substance(AreaRetention, n.ID, "policydiff.period_changed", rec, nil, "old", o.Period, "new", n.Period)
		}
		if o.WarnBefore != n.WarnBefore {
			d.substance(AreaRetention, n.ID, "policydiff.warning_changed", rec, nil, "old", o.WarnBefore, "new", n.WarnBefore)
		}
		if o.Since != n.Since || o.Action != n.Action || o.Record != n.Record || !sameCondition(o.Where, n.Where) || o.ContractOverride != n.ContractOverride {
			d.substance(AreaRetention, n.ID, "policydiff.rule_changed", slices.Compact([]string{o.Record, n.Record}), nil)
		}
		d.text(AreaRetention, n.ID, "rule_description", o.Description, n.Description, nil, nil)
	}
}

func sameCondition(a, b policy.Condition) bool {
	return ((a.Confirmed == nil) == (b.Confirmed == nil)) && (a.Confirmed == nil || *a.Confirmed == *b.Confirmed) &&
		slices.Equal(a.HasAny, b.HasAny) && slices.Equal(a.HasNone, b.HasNone)
}

func (d *differ) processors() {
	find := func(p *policy.Policy, id string) *policy.Processor {
		for i := range p.Processors {
			if p.Processors[i].ID == id {
				return &p.Processors[i]
			}
		}
		return nil
	}
	plus, minus := added(d.old.Processors, d.new.Processors, func(p policy.Processor) string { return p.ID })
	for _, id := range plus {
		d.substance(AreaProcessor, id, "policydiff.processor_added", find(d.new, id).Records, nil, "name", find(d.new, id).Name)
	}
	for _, id := range minus {
		d.substance(AreaProcessor, id, "policydiff.processor_removed", nil, nil, "name", find(d.old, id).Name)
	}
	for _, n := range d.new.Processors {
		o := find(d.old, n.ID)
		if o == nil {
			continue
		}
		rplus, _ := added(o.Records, n.Records, func(s string) string { return s })
		if len(rplus) > 0 {
			// A category newly shared: its holders are told (Z11).
			d.substance(AreaProcessor, n.ID, "policydiff.processor_gets_more", rplus, nil, "name", n.Name)
		}
		if _, rminus := added(o.Records, n.Records, func(s string) string { return s }); len(rminus) > 0 {
			d.substance(AreaProcessor, n.ID, "policydiff.processor_gets_less", nil, nil, "name", n.Name)
		}
		if o.Kind != n.Kind || o.Location != n.Location {
			d.substance(AreaProcessor, n.ID, "policydiff.processor_changed", n.Records, nil, "name", n.Name)
		}
		d.export(n.ID, n.Name, o.Export, n.Export)
		d.claims(n.ID, n.Name, o.Claims, n.Claims)
		d.text(AreaProcessor, n.ID, "processor_task", o.Task, n.Task, nil, nil)
	}
}

// claims compares what a party's OpenID Connect client receives at a
// sign-in (issue 16): a claim added, or mapped to another field, shares
// more and concerns the people whose field it is; one removed shares less.
func (d *differ) claims(id, name string, o, n []policy.Claim) {
	key := func(c policy.Claim) string { return c.Name + "=" + c.Field }
	plus, minus := added(o, n, key)
	for _, k := range plus {
		claim, field, _ := strings.Cut(k, "=")
		d.substance(AreaProcessor, id, "policydiff.claim_added", []string{recordOf(field)}, nil, "name", name, "claim", claim, "field", field)
	}
	for _, k := range minus {
		claim, field, _ := strings.Cut(k, "=")
		d.substance(AreaProcessor, id, "policydiff.claim_removed", nil, nil, "name", name, "claim", claim, "field", field)
	}
}

// recordOf is the record kind of an exported "record.field".
func recordOf(field string) string {
	rec, _, _ := strings.Cut(field, ".")
	return rec
}

// exportRecords lists the record kinds of the fields in either export: the
// people whose data is in the file.
func exportRecords(o, n *policy.Export) []string {
	var out []string
	for _, e := range []*policy.Export{o, n} {
		if e == nil {
			continue
		}
		for _, f := range e.Fields {
			if r := recordOf(f); !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// export compares the file a party receives (Z6, issue 19): the fields,
// and for an anonymised export its anonymity terms. What shares more or
// weakens the anonymity promise concerns the people whose data is in the
// file (their record kinds); what shares less or strengthens it concerns
// nobody directly, as for a party that receives fewer kinds of data.
func (d *differ) export(id, name string, o, n *policy.Export) {
	if o == nil && n == nil {
		return
	}
	var zero policy.Export
	if o == nil {
		o = &zero
	}
	if n == nil {
		n = &zero
	}
	recs := exportRecords(o, n)
	fplus, fminus := added(o.Fields, n.Fields, func(s string) string { return s })
	for _, f := range fplus {
		d.substance(AreaProcessor, id, "policydiff.export_field_added", []string{recordOf(f)}, nil, "name", name, "field", f)
	}
	for _, f := range fminus {
		d.substance(AreaProcessor, id, "policydiff.export_field_removed", nil, nil, "name", name, "field", f)
	}
	if o.Format != n.Format && o.Format != "" && n.Format != "" {
		d.substance(AreaProcessor, id, "policydiff.export_format_changed", nil, nil, "name", name, "old", string(o.Format), "new", string(n.Format))
	}
	switch {
	case n.MinK < o.MinK:
		d.substance(AreaProcessor, id, "policydiff.min_k_lowered", recs, nil, "name", name, "old", o.MinK, "new", n.MinK)
	case n.MinK > o.MinK:
		d.substance(AreaProcessor, id, "policydiff.min_k_raised", nil, nil, "name", name, "old", o.MinK, "new", n.MinK)
	}
	switch {
	case n.MinL < o.MinL && n.MinL == 0:
		d.substance(AreaProcessor, id, "policydiff.min_l_dropped", recs, nil, "name", name, "old", o.MinL)
	case n.MinL < o.MinL:
		d.substance(AreaProcessor, id, "policydiff.min_l_lowered", recs, nil, "name", name, "old", o.MinL, "new", n.MinL)
	case n.MinL > o.MinL:
		d.substance(AreaProcessor, id, "policydiff.min_l_raised", nil, nil, "name", name, "old", o.MinL, "new", n.MinL)
	}
	if o.Purpose != n.Purpose {
		d.substance(AreaProcessor, id, "policydiff.export_purpose_changed", recs, nil, "name", name, "old", none(o.Purpose), "new", none(n.Purpose))
	}
	// A field that only now leaves, or no longer leaves, is said above.
	splus, sminus := added(o.Sensitive, n.Sensitive, func(s string) string { return s })
	for _, f := range splus {
		if slices.Contains(o.Fields, f) {
			d.substance(AreaProcessor, id, "policydiff.sensitive_added", []string{recordOf(f)}, nil, "name", name, "field", f)
		}
	}
	for _, f := range sminus {
		if slices.Contains(n.Fields, f) {
			d.substance(AreaProcessor, id, "policydiff.sensitive_removed", []string{recordOf(f)}, nil, "name", name, "field", f)
		}
	}
	if o.MaxSuppressedPercent != n.MaxSuppressedPercent {
		d.substance(AreaProcessor, id, "policydiff.suppression_changed", nil, nil, "name", name, "old", o.MaxSuppressedPercent, "new", n.MaxSuppressedPercent)
	}
}

// none is s, or the word for none when s is empty.
func none(s string) any {
	if s == "" {
		return message.Key("policydiff.none_period")
	}
	return s
}

// generalisations compares the hierarchies by which anonymised exports
// coarsen a field (Z6): a hierarchy changed concerns the people whose data
// the field holds; one added or removed changes no export by itself (a
// field exported without one is refused by validation).
func (d *differ) generalisations() {
	find := func(p *policy.Policy, f string) *policy.Generalisation {
		for i := range p.Generalisations {
			if p.Generalisations[i].Field == f {
				return &p.Generalisations[i]
			}
		}
		return nil
	}
	plus, minus := added(d.old.Generalisations, d.new.Generalisations, func(g policy.Generalisation) string { return g.Field })
	for _, f := range plus {
		d.substance(AreaGeneralisation, f, "policydiff.generalisation_added", nil, nil)
	}
	for _, f := range minus {
		d.substance(AreaGeneralisation, f, "policydiff.generalisation_removed", nil, nil)
	}
	for _, n := range d.new.Generalisations {
		o := find(d.old, n.Field)
		if o == nil {
			continue
		}
		if !sameLevels(o.Levels, n.Levels) {
			d.substance(AreaGeneralisation, n.Field, "policydiff.generalisation_changed", []string{recordOf(n.Field)}, nil)
		}
	}
}

// sameLevels compares two hierarchies as written, ignoring where in the
// file they stand.
func sameLevels(a, b []policy.GenLevel) bool {
	ya, erra := yaml.Marshal(a)
	yb, errb := yaml.Marshal(b)
	return erra == nil && errb == nil && bytes.Equal(ya, yb)
}

func (d *differ) disclosures() {
	find := func(p *policy.Policy, id string) *policy.Disclosure {
		for i := range p.Disclosures {
			if p.Disclosures[i].ID == id {
				return &p.Disclosures[i]
			}
		}
		return nil
	}
	plus, minus := added(d.old.Disclosures, d.new.Disclosures, func(x policy.Disclosure) string { return x.ID })
	for _, id := range plus {
		d.substance(AreaDisclosure, id, "policydiff.disclosure_added", find(d.new, id).Records, nil)
	}
	for _, id := range minus {
		d.substance(AreaDisclosure, id, "policydiff.disclosure_removed", nil, nil)
	}
	for _, n := range d.new.Disclosures {
		o := find(d.old, n.ID)
		if o == nil {
			continue
		}
		if o.LegalBasis != n.LegalBasis || !slices.Equal(o.Records, n.Records) {
			d.substance(AreaDisclosure, n.ID, "policydiff.disclosure_changed", n.Records, nil)
		}
		d.text(AreaDisclosure, n.ID, "disclosure_when", o.When, n.When, nil, nil)
	}
}

func (d *differ) cookies() {
	key := func(c policy.Cookie) string {
		if c.Host == "" {
			return c.Name
		}
		return c.Name + "@" + c.Host
	}
	plus, minus := added(d.old.Cookies, d.new.Cookies, key)
	for _, id := range plus {
		d.substance(AreaCookie, id, "policydiff.cookie_added", nil, nil)
	}
	for _, id := range minus {
		d.substance(AreaCookie, id, "policydiff.cookie_removed", nil, nil)
	}
	for _, n := range d.new.Cookies {
		i := slices.IndexFunc(d.old.Cookies, func(c policy.Cookie) bool { return key(c) == key(n) })
		if i < 0 {
			continue
		}
		o := d.old.Cookies[i]
		if o.Lifetime != n.Lifetime || o.Category != n.Category || o.Consent != n.Consent || o.Provider != n.Provider || o.Purpose != n.Purpose {
			d.substance(AreaCookie, key(n), "policydiff.cookie_changed", nil, nil)
		}
		d.text(AreaCookie, key(n), "cookie_description", o.Description, n.Description, nil, nil)
	}
}

// usageCounts compares what the site counts itself (issue 18 item 8):
// counting started or stopped, for another purpose, or kept longer or
// shorter.
func (d *differ) usageCounts() {
	o, n := d.old.UsageCounts, d.new.UsageCounts
	switch {
	case o == nil && n == nil:
	case o == nil || n == nil || o.Purpose != n.Purpose || o.Keep != n.Keep:
		var purposes []string
		for _, u := range []*policy.UsageCounts{o, n} {
			if u != nil && !slices.Contains(purposes, u.Purpose) {
				purposes = append(purposes, u.Purpose)
			}
		}
		d.substance(AreaPurpose, purposes[0], "policydiff.usage_counts_changed", nil, purposes)
	}
}

func (d *differ) rights() {
	o, n := d.old.Rights, d.new.Rights
	for _, r := range policy.AllRights {
		switch {
		case !o.Honours(r) && n.Honours(r):
			d.substance(AreaRights, string(r), "policydiff.right_added", nil, nil, "right", message.Key("policydiff.right."+string(r)))
		case o.Honours(r) && !n.Honours(r):
			d.substance(AreaRights, string(r), "policydiff.right_removed", nil, nil, "right", message.Key("policydiff.right."+string(r)))
		}
	}
	if o.Response != n.Response || o.Extension != n.Extension || o.VerifyIdentity != n.VerifyIdentity || o.DeadlineFrom != n.DeadlineFrom {
		d.substance(AreaRights, "rights", "policydiff.deadline_changed", nil, nil)
	}
	d.text(AreaRights, "rights", "how_to", o.HowTo, n.HowTo, nil, nil)
	d.text(AreaRights, "rights", "complaint", o.Complaint.Text, n.Complaint.Text, nil, nil)
}

func (d *differ) texts() {
	d.text(AreaText, "intro", "intro", d.old.Intro, d.new.Intro, nil, nil)
	d.text(AreaText, "changes", "changes", d.old.Changes, d.new.Changes, nil, nil)
	d.text(AreaText, "third_party_sites", "third_party_sites", d.old.ThirdPartySites, d.new.ThirdPartySites, nil, nil)
	join := func(ts []policy.Text) policy.Text {
		var out policy.Text
		for _, t := range ts {
			out.NL += t.NL + "\n"
			out.EN += t.EN + "\n"
		}
		return out
	}
	d.text(AreaText, "security", "security", join(d.old.Security), join(d.new.Security), nil, nil)
}
