package diff_test

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"steward/policy"
	"steward/policy/diff"
)

func source(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../policies/zorginspirator.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edited parses the Zorginspirator policy with each old→new replacement made.
func edited(t *testing.T, src string, pairs ...string) *policy.Policy {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(src, pairs[i]) {
			t.Fatalf("policy has no %q", pairs[i])
		}
		src = strings.Replace(src, pairs[i], pairs[i+1], 1)
	}
	p, err := policy.Parse("zi.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func describe(cs []diff.Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Text("en"))
	}
	return strings.Join(out, "\n")
}

// TestDiffListsExactlyTheChanges: a longer retention period for one record
// kind and a reworded newsletter notice are exactly two changes of
// substance, naming the record kind and the purpose they touch (issue 20's
// "done when").
func TestDiffListsExactlyTheChanges(t *testing.T) {
	src := source(t)
	old := edited(t, src)
	new := edited(t, src, "    period: P3Y\n", "    period: P4Y\n",
		"Ja, ik wil de nieuwsbrief van Zorginspirator ontvangen", "Ja, ik wil de maandelijkse nieuwsbrief van Zorginspirator ontvangen",
		"Yes, I want to receive the Zorginspirator newsletter", "Yes, I want to receive the monthly Zorginspirator newsletter")
	cs := diff.Between(old, new)
	if len(cs) != 2 {
		t.Fatalf("%d changes, want 2:\n%s", len(cs), describe(cs))
	}
	notice, period := cs[0], cs[1]
	if !period.Substance || period.Area != diff.AreaRetention || period.ID != "inactive_account" || !slices.Equal(period.Records, []string{"account"}) ||
		period.Text("en") != "retention rule inactive_account: period changed from 3 years to 4 years" {
		t.Errorf("period change: %+v %q", period, period.Text("en"))
	}
	if !notice.Substance || notice.ID != "newsletter" || !slices.Equal(notice.Purposes, []string{"newsletter"}) ||
		notice.Text("nl") != "newsletter: toestemmingstekst anders geformuleerd" {
		t.Errorf("notice change: %+v %q", notice, notice.Text("nl"))
	}
	if cs := diff.Between(old, edited(t, src)); len(cs) != 0 {
		t.Errorf("the same policy: %s", describe(cs))
	}
}

// TestDiffSeparatesTextEditsFromSubstance: a typo fixed or punctuation
// changed is a text edit; a new sentence is substance.
func TestDiffSeparatesTextEditsFromSubstance(t *testing.T) {
	src := source(t)
	old := edited(t, src, "Jouw privacy is voor ons heel belangrijk.", "Jouw privacy is voor ons heel belangrjik")
	cs := diff.Between(old, edited(t, src))
	if len(cs) != 1 || cs[0].Substance || cs[0].Area != diff.AreaText || cs[0].Key != "policydiff.text_edited" {
		t.Fatalf("typo fix: %+v\n%s", cs, describe(cs))
	}
	cs = diff.Between(edited(t, src), edited(t, src, "Jouw privacy is voor ons heel belangrijk.", "Jouw privacy is voor ons heel belangrijk. We verkopen niets."))
	if len(cs) != 1 || !cs[0].Substance {
		t.Fatalf("a new sentence: %+v", cs)
	}
}

// TestDiffCoversEveryArea: purposes' legal bases, fields, processors and
// the data they get, cookies and rights, each as a change of substance
// with the record kinds whose holders it concerns.
func TestDiffCoversEveryArea(t *testing.T) {
	src := source(t)
	old := edited(t, src)
	new := edited(t, src,
		"    legal_basis: legitimate_interests\n", "    legal_basis: consent\n    consent:\n      channels: [settings]\n      notice: {nl: Ja, en: Yes}\n",
		"    records: [profile, saved_item]\n    location: !unconfirmed NL\n", "    records: [profile, saved_item, account]\n    location: !unconfirmed NL\n",
		"      - id: work_preferences\n", "      - id: hobby\n        name: {nl: Hobby, en: Hobby}\n        type: text\n        editable: true\n        source: data_subject\n        purposes: [career_profile]\n      - id: work_preferences\n",
		"    lifetime: !unconfirmed P3M", "    lifetime: !unconfirmed P6M",
		"  honoured: [access, rectification, erasure, restriction, portability, objection, withdraw_consent]", "  honoured: [access, rectification, erasure, restriction, objection, withdraw_consent]",
		// Issue 19's anonymised export: Stichting FWG's terms weakened, a
		// field added, MarktMonitor's work preferences made a
		// quasi-identifier, a hierarchy changed and one added.
		"      min_k: 5\n      min_l: 2\n      max_suppressed_percent: 5\n", "      min_k: 2\n      min_l: 1\n      max_suppressed_percent: 10\n",
		"        - saved_item.item\n      sensitive: [profile.work_preferences, saved_item.kind, saved_item.item]\n",
		"        - saved_item.item\n        - saved_item.saved_at\n      sensitive: [profile.work_preferences, saved_item.kind, saved_item.item, saved_item.saved_at]\n",
		"      sensitive: [profile.work_preferences, saved_item.kind, saved_item.item]\n      min_k: 5\n      min_l: 2\n",
		"      sensitive: [saved_item.kind, saved_item.item]\n      min_k: 5\n      min_l: 2\n",
		"generalisations:\n", "generalisations:\n  - field: profile.work_preferences\n    levels: []\n",
		"      - {name: band10, band: 10}\n", "      - {name: band20, band: 20}\n",
		"  keep: !unconfirmed P2Y\n", "  keep: P5Y\n",
	)
	cs := diff.Between(old, new)
	want := map[string][]string{
		"purpose usability: legal basis changed from legitimate interests to consent": {"profile", "saved_item", "job_history", "education_history"},
		"party Stichting FWG receives more kinds of data":                             {"account"},
		"profile: item hobby added":                                                   {"profile"},
		"cookie _fbp: lifetime, category, consent, provider or purpose changed":       nil,
		"right removed: portability":                                                  nil,
		"party Stichting FWG: weaker anonymity — every combination in the file it receives needs only 2 people instead of 5":                              {"profile", "saved_item"},
		"party Stichting FWG: weaker anonymity — every group in the file it receives needs only 1 instead of 2 different values of each sensitive item":   {"profile", "saved_item"},
		"party Stichting FWG: the share of people that may be left out of the file it receives changed from 5% to 10%":                                    nil,
		"party Stichting FWG: saved_item.saved_at added to the file it receives (more data leaves us)":                                                    {"saved_item"},
		"party MarktMonitor B.V.: weaker anonymity — profile.work_preferences no longer needs different values within each group in the file it receives": {"profile"},
		"anonymised exports: a way to make profile.work_preferences coarser added":                                                                        nil,
		"anonymised exports: how profile.age is made coarser changed":                                                                                     {"profile"},
		"purpose usability: what we count ourselves per page and day started, stopped, or is kept for another period":                                     nil,
	}
	for _, c := range cs {
		recs, ok := want[c.Text("en")]
		if !ok {
			continue
		}
		delete(want, c.Text("en"))
		if !c.Substance || !slices.Equal(c.Records, recs) {
			t.Errorf("%q: substance %v records %v, want true %v", c.Text("en"), c.Substance, c.Records, recs)
		}
	}
	for w := range want {
		t.Errorf("missing %q in:\n%s", w, describe(cs))
	}
	for _, c := range cs {
		for _, lang := range policy.Languages {
			if txt := c.Text(lang); strings.Contains(txt, "[") || strings.Contains(txt, "{") {
				t.Errorf("%s: %q has a missing text or argument", lang, txt)
			}
		}
	}
}

// TestDiffCoversEveryExportTerm changes each term of an anonymised export
// (issue 19) and each part of a generalisation hierarchy in turn, found by
// reflection, so a term added to policy.Export or policy.GenLevel later
// that policy/diff does not compare fails here rather than going unsaid:
// each must be a change of substance in words.
func TestDiffCoversEveryExportTerm(t *testing.T) {
	src := source(t)
	old := edited(t, src)
	// change changes v: a number lowered, a text extended, a list's first
	// element left out (or an element added to an empty list).
	change := func(t *testing.T, v reflect.Value) {
		switch v.Kind() {
		case reflect.Int:
			v.SetInt(v.Int() - 1)
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Slice:
			if v.Len() > 0 {
				v.Set(v.Slice(1, v.Len()))
			} else {
				v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
			}
		default:
			t.Fatalf("a %s: teach this test and policy/diff to change and compare it", v.Type())
		}
	}
	check := func(t *testing.T, what string, new *policy.Policy) {
		t.Helper()
		cs := diff.Between(old, new)
		if len(cs) == 0 || !cs[0].Substance {
			t.Fatalf("%s changed: %d changes, none of substance:\n%s", what, len(cs), describe(cs))
		}
		for _, lang := range policy.Languages {
			if txt := cs[0].Text(lang); strings.Contains(txt, "[") || strings.Contains(txt, "{") {
				t.Errorf("%s changed: %s: %q has a missing text or argument", what, lang, txt)
			}
		}
	}
	fwg := func(p *policy.Policy) *policy.Export {
		for i := range p.Processors {
			if p.Processors[i].ID == "fwg" {
				return p.Processors[i].Export
			}
		}
		t.Fatal("no processor fwg")
		return nil
	}
	for i, f := range reflect.VisibleFields(reflect.TypeOf(policy.Export{})) {
		if f.Name == "Pos" {
			continue
		}
		new := edited(t, src)
		change(t, reflect.ValueOf(fwg(new)).Elem().Field(i))
		check(t, "Export."+f.Name, new)
	}
	for i, f := range reflect.VisibleFields(reflect.TypeOf(policy.GenLevel{})) {
		if f.Name == "Pos" {
			continue
		}
		new := edited(t, src)
		if new.Generalisations[1].Field != "profile.age" {
			t.Fatalf("second hierarchy is %s, want profile.age", new.Generalisations[1].Field)
		}
		change(t, reflect.ValueOf(&new.Generalisations[1].Levels[0]).Elem().Field(i))
		check(t, "GenLevel."+f.Name, new)
	}
}

// TestDiffCoversEveryFieldAttribute changes each attribute of a declared
// field in turn and expects a change of substance (the name, a text edit,
// has its own test): a new attribute of policy.Field fails here until the
// diff compares it.
func TestDiffCoversEveryFieldAttribute(t *testing.T) {
	src := source(t)
	old := edited(t, src)
	for i, f := range reflect.VisibleFields(reflect.TypeOf(policy.Field{})) {
		switch f.Name {
		case "Pos", "ID", "Name":
			continue
		}
		new := edited(t, src)
		v := reflect.ValueOf(&new.Records[0].Fields[0]).Elem().Field(i)
		switch v.Kind() {
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Int:
			v.SetInt(v.Int() + 1)
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Pointer:
			n := 1
			if !v.IsNil() {
				n = int(v.Elem().Int()) + 1
			}
			v.Set(reflect.ValueOf(&n))
		case reflect.Slice:
			if v.Len() > 0 {
				v.Set(v.Slice(1, v.Len()))
			} else {
				v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
			}
		default:
			t.Fatalf("Field.%s is a %s: teach this test and policy/diff to change and compare it", f.Name, v.Type())
		}
		cs := diff.Between(old, new)
		if len(cs) == 0 || !cs[0].Substance {
			t.Errorf("Field.%s changed: %d changes, none of substance:\n%s", f.Name, len(cs), describe(cs))
			continue
		}
		if txt := cs[0].Text("nl"); strings.Contains(txt, "[") || strings.Contains(txt, "{") {
			t.Errorf("Field.%s changed: %q has a missing text or argument", f.Name, txt)
		}
	}
}

// TestDiffChoiceLabelIsATextEdit: relabelling a choice keeps its value, so
// nothing is kept differently; the diff says the text changed.
func TestDiffChoiceLabelIsATextEdit(t *testing.T) {
	src := source(t)
	old := edited(t, src)
	new := edited(t, src)
	var f *policy.Field
	for ri := range new.Records {
		for fi := range new.Records[ri].Fields {
			if len(new.Records[ri].Fields[fi].Choices) > 0 && f == nil {
				f = &new.Records[ri].Fields[fi]
			}
		}
	}
	if f == nil {
		t.Fatal("the policy declares no field with choices")
	}
	f.Choices[0].Label.EN = "A wholly different label for this choice"
	cs := diff.Between(old, new)
	if len(cs) != 1 || cs[0].Key != "policydiff.reworded" {
		t.Fatalf("want one rewording, got:\n%s", describe(cs))
	}
}

// TestDiffTailoredIsSubstance: a newsletter that stops (or starts) being
// tailored to the person is a change of substance about the purpose,
// even with its notice unchanged (issue 18 item 6).
func TestDiffTailoredIsSubstance(t *testing.T) {
	src := source(t)
	old := edited(t, src)
	new := edited(t, src, "      tailored: true\n", "")
	cs := diff.Between(old, new)
	if len(cs) != 1 || !cs[0].Substance || cs[0].ID != "newsletter" || !slices.Equal(cs[0].Purposes, []string{"newsletter"}) ||
		cs[0].Text("en") != "purpose newsletter: whether mailings are tailored to the person changed" {
		t.Fatalf("changes:\n%s", describe(cs))
	}
}
