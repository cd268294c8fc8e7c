package desk

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"time"

	"steward"
	"steward/account"
	"steward/catalogue"
	"steward/consent"
	"steward/erasure"
	"steward/policy"
	"steward/retention"
	"steward/rights"
	"steward/store"
)

// Opener decrypts a sensitive field's sealed value (R3);
// account.Sealer.OpenField (through account/service) provides it. Nil
// shows sensitive values as sealed-and-masked.
type Opener func(accountID, record, field, sealed string) (string, error)

// CollectOptions say how much of a sensitive value the overview shows.
type CollectOptions struct {
	// Open decrypts sensitive values; with Reveal false they are masked
	// (the page), with Reveal true shown whole (the person's own export).
	Open   Opener
	Reveal bool
}

// Collect gathers everything held about a person (Art. 15, 20 GDPR): one
// category per record kind the policy declares, in policy order, each item
// with the day the retention engine will delete or anonymise it; their
// consents, requests, staff views, disclosures not withheld, and limits.
// Nothing about anyone else is read. An unknown or erased person is
// ENOTFOUND. The page holds it whole; the export streams the same items
// kind by kind instead (see Export).
func (d *Desk) Collect(ctx context.Context, subjectID string, o CollectOptions) (*rights.Overview, error) {
	h, err := d.holdings(ctx, subjectID, o)
	if err != nil {
		return nil, err
	}
	for i := range h.ov.Categories {
		c := &h.ov.Categories[i]
		err := h.eachItem(ctx, c, func(it *rights.Item) error {
			c.Items = append(c.Items, *it)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return h.ov, nil
}

// holdings is one reading of what is held about a person: the overview
// without items, and what is needed to read the items of each kind.
type holdings struct {
	d        *Desk
	a        *account.Account
	ov       *rights.Overview
	sch      *schedule
	o        CollectOptions
	profile  map[string]bool
	consents []store.ConsentRecord
	// courses are the catalogue's titles by slug, read when the policy
	// has a field that references a course.
	courses map[string]policy.Text
	// catalogue are the titles of the functies and opleidingen by
	// "kind/id" (the person's own items only, read as they are shown),
	// when a field references a catalogue item.
	catalogue map[string]policy.Text
}

// holdings reads the person, their consents, requests, staff views,
// disclosures and limits, and the dates of the records other records go
// with; the items of each kind are read by eachItem.
func (d *Desk) holdings(ctx context.Context, subjectID string, o CollectOptions) (*holdings, error) {
	s := d.Store
	a, err := s.AccountByID(ctx, subjectID)
	if err != nil || a.Email == "" {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.no_person")
	}
	now := d.Clock.Now()
	h := &holdings{d: d, a: a, o: o, profile: map[string]bool{}}
	h.ov = &rights.Overview{Schema: rights.ExportSchema, GeneratedAt: now, Site: d.Policy.Site.ID,
		Policy: d.Policy.Version.Number, SubjectID: a.ID}
	for i := range d.Policy.Records {
		h.ov.Categories = append(h.ov.Categories, rights.NewCategory(d.Policy, &d.Policy.Records[i]))
	}
	for _, rec := range account.ProfileRecords(d.Policy) {
		h.profile[rec.ID] = true
	}
	if h.sch, err = d.newSchedule(ctx, a, now); err != nil {
		return nil, err
	}
	if references(d.Policy, policy.ReferenceCatalogueItem) {
		h.catalogue = map[string]policy.Text{}
	}
	if referencesCourse(d.Policy) {
		cs, err := s.Courses(ctx, false)
		if err != nil {
			return nil, err
		}
		h.courses = make(map[string]policy.Text, len(cs))
		for _, c := range cs {
			h.courses[c.Slug] = c.Title
		}
	}
	// Records that go with their system's account record (an enrolment
	// with the LMS account) need that record's date before the first of
	// them is shown: read those account records first.
	for i := range d.Policy.Records {
		rec := &d.Policy.Records[i]
		if rec.ID == account.RecordID || erasure.GoesWith(d.Policy, rec.ID) != rec.ID || len(d.Policy.RulesFor(rec.ID)) == 0 {
			continue
		}
		err := s.EachRecordOfKind(ctx, a.ID, rec.ID, func(r store.Record) error {
			h.sch.target(ctx, rec.ID, strconv.FormatInt(r.ID, 10))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// Consents (Z3, R2): the history, and the items of the consent kind.
	if h.consents, err = s.ConsentHistory(ctx, a.ID); err != nil {
		return nil, err
	}
	h.ov.Consents = []rights.ConsentEntry{}
	for _, c := range h.consents {
		h.ov.Consents = append(h.ov.Consents, rights.ConsentEntry{Purpose: c.Purpose, PurposeName: rights.PurposeName(d.Policy, c.Purpose), Given: c.Given, Channel: c.Channel, At: c.At, Notice: c.NoticeHash})
	}
	if err := d.collectRest(ctx, a, h.ov); err != nil {
		return nil, err
	}
	if err := h.organisations(ctx); err != nil {
		return nil, err
	}
	vs, err := s.VouchersOf(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	h.ov.VoucherNotices = []rights.VoucherNoticeEntry{}
	for _, v := range vs {
		h.ov.VoucherNotices = append(h.ov.VoucherNotices, rights.VoucherNoticeEntry{Item: v.RecordID, Notice: v.NoticeHash,
			Lang: v.NoticeLang, PolicyVersion: v.PolicyVersion, At: v.RedeemedAt})
	}
	return h, nil
}

// eachItem calls fn with each of the person's items of category c, read
// from the database as it goes: profile values (R1, Z2), records of the
// kind (orders, enrolments, saved items, ...), consent records, and a
// newsletter sign-up under the person's address (R2). fn must not keep
// the item after it returns.
func (h *holdings) eachItem(ctx context.Context, c *rights.Category, fn func(*rights.Item) error) error {
	return h.items(ctx, c, true, fn)
}

// items is eachItem, with the kind's rows of the records table only when
// records is true: a page of "My data" reads those a page at a time
// (CollectPage) and everything else whole.
func (h *holdings) items(ctx context.Context, c *rights.Category, records bool, fn func(*rights.Item) error) error {
	d, s, a, rec := h.d, h.d.Store, h.a, c.Record()
	if h.profile[rec.ID] {
		vals, err := s.Profile(ctx, a.ID, rec.ID)
		if err != nil {
			return err
		}
		if rec.ID == account.RecordID {
			if ef := account.EmailField(rec); ef != nil {
				vals[ef.ID] = a.Email
			}
			if f := rec.Field("confirmed_at"); f != nil && !a.ConfirmedAt.IsZero() {
				vals[f.ID] = a.ConfirmedAt.Format(time.RFC3339)
			}
			if f := rec.Field("last_login"); f != nil && !a.LastLoginAt.IsZero() {
				vals[f.ID] = a.LastLoginAt.Format(time.RFC3339)
			}
			if f := rec.Field("last_activity"); f != nil && !a.LastActivityAt.IsZero() {
				vals[f.ID] = a.LastActivityAt.Format(time.RFC3339)
			}
		}
		if len(vals) > 0 {
			it := rights.Item{ID: rec.ID, Values: d.values(a.ID, rec, vals, h.o),
				Deletion: h.sch.forKind(rec, retention.Facts{CreatedAt: a.CreatedAt, LastLoginAt: a.LastLoginAt, LastActivityAt: a.LastActivityAt})}
			if rec.ID == account.RecordID {
				it.CreatedAt = a.CreatedAt
			}
			if err := fn(&it); err != nil {
				return err
			}
		}
	}

	if own, err := h.ownItems(ctx, c, fn); own || err != nil {
		return err
	}
	if records {
		var it rights.Item
		err := s.EachRecordOfKind(ctx, a.ID, rec.ID, func(r store.Record) error {
			it = h.recordItem(ctx, rec, r)
			return fn(&it)
		})
		if err != nil {
			return err
		}
	}

	if rec.ID == "consent" {
		for _, c := range h.consents {
			it := rights.Item{ID: strconv.FormatInt(c.ID, 10), CreatedAt: c.At, Values: map[string]string{
				"purpose": c.Purpose, "given": strconv.FormatBool(c.Given), "notice_hash": c.NoticeHash,
				"channel": c.Channel, "at": c.At.Format(time.RFC3339)}, Deletion: h.sch.forKind(rec, retention.Facts{CreatedAt: c.At})}
			if err := fn(&it); err != nil {
				return err
			}
		}
	}

	// A newsletter sign-up under the same address is theirs too (R2).
	if rec.ID == store.NewsletterRecord {
		ns, err := s.NewsletterByEmail(ctx, a.Email)
		if steward.ErrorCode(err) == steward.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		vals := map[string]string{}
		if ns.Fields != "" {
			if err := json.Unmarshal([]byte(ns.Fields), &vals); err != nil {
				return fmt.Errorf("desk: newsletter sign-up fields: %w", err)
			}
		}
		vals["email"] = ns.Email
		if ns.ConfirmedAt != nil {
			vals["confirmed_at"] = ns.ConfirmedAt.Format(time.RFC3339)
		}
		it := rights.Item{ID: ns.ID, CreatedAt: ns.CreatedAt, Values: d.values(a.ID, rec, vals, h.o)}
		f := retention.Facts{Subject: ns.ID, Kind: rec.ID, Target: ns.ID, CreatedAt: ns.CreatedAt, Confirmed: ns.ConfirmedAt != nil}
		it.Deletion = h.sch.decide(f, "")
		return fn(&it)
	}
	return nil
}

// recordItem is a row of the records table as an item of "My data", with
// the day the retention engine will act on it.
func (h *holdings) recordItem(ctx context.Context, rec *policy.Record, r store.Record) rights.Item {
	vals := r.Values
	// A kind with its own login (the LMS account, signed in to through
	// Steward: issue 16 item 3) shows its last login, the anchor of its
	// retention rule, as the account row shows the website's.
	if f := rec.Field("last_login"); f != nil && !r.LastLoginAt.IsZero() && vals[f.ID] == "" {
		vals = maps.Clone(vals)
		if vals == nil {
			vals = map[string]string{}
		}
		vals[f.ID] = r.LastLoginAt.Format(time.RFC3339)
	}
	it := rights.Item{ID: strconv.FormatInt(r.ID, 10), CreatedAt: r.CreatedAt, Values: h.d.values(h.a.ID, rec, vals, h.o)}
	it.Titles = h.titles(ctx, rec, it.Values)
	if len(h.d.Policy.RulesFor(rec.ID)) > 0 {
		it.Deletion = h.sch.target(ctx, rec.ID, it.ID)
	} else {
		it.Deletion = h.sch.forKind(rec, retention.Facts{CreatedAt: r.CreatedAt, LastLoginAt: r.LastLoginAt, LastActivityAt: r.LastActivityAt})
	}
	return it
}

// titles are the catalogue titles of the values of rec's fields that
// reference a course or a functie or opleiding (policy.Field.References);
// an entry no longer in the catalogue has none, and its stored key shows.
func (h *holdings) titles(ctx context.Context, rec *policy.Record, vals map[string]string) map[string]policy.Text {
	var out map[string]policy.Text
	for i := range rec.Fields {
		f := &rec.Fields[i]
		var t policy.Text
		var ok bool
		switch f.References {
		case policy.ReferenceCourse:
			t, ok = h.courses[vals[f.ID]]
		case policy.ReferenceCatalogueItem:
			t, ok = h.catalogueTitle(ctx, catalogue.Kind(vals["kind"]), vals[f.ID])
		}
		if ok && vals[f.ID] != "" {
			if out == nil {
				out = map[string]policy.Text{}
			}
			out[f.ID] = t
		}
	}
	return out
}

// catalogueTitle is the title of a functie or opleiding, retired ones
// included; an item the catalogue never held has none and its id shows.
func (h *holdings) catalogueTitle(ctx context.Context, kind catalogue.Kind, id string) (policy.Text, bool) {
	key := string(kind) + "/" + id
	if t, ok := h.catalogue[key]; ok {
		return t, !t.IsZero()
	}
	var t policy.Text
	if it, err := h.d.Store.CatalogueItem(ctx, kind, id); err == nil {
		// The catalogue's titles are Dutch content, in both languages.
		t = policy.Text{NL: it.Title, EN: it.Title}
	}
	h.catalogue[key] = t
	return t, !t.IsZero()
}

// references reports whether a field of p references the catalogue ref.
func references(p *policy.Policy, ref string) bool {
	for i := range p.Records {
		for _, f := range p.Records[i].Fields {
			if f.References == ref {
				return true
			}
		}
	}
	return false
}

// referencesCourse reports whether a field of p references a course.
func referencesCourse(p *policy.Policy) bool {
	for i := range p.Records {
		for _, f := range p.Records[i].Fields {
			if f.References == policy.ReferenceCourse {
				return true
			}
		}
	}
	return false
}

// RequestsOf lists the person's own requests as My data and the export
// show them: with their deadlines, never staff's notes.
func (d *Desk) RequestsOf(ctx context.Context, subjectID string) ([]rights.RequestEntry, error) {
	reqs, err := requestsOf(d.Store.RequestsOf(ctx, subjectID))
	if err != nil {
		return nil, err
	}
	out := []rights.RequestEntry{}
	for _, r := range reqs {
		out = append(out, d.Entry(r))
	}
	return out, nil
}

// Entry is request r as the person sees it.
func (d *Desk) Entry(r rights.Request) rights.RequestEntry {
	return rights.RequestEntry{ID: r.ID, Type: string(r.Type), Channel: string(r.Channel),
		Status: string(r.Status), ReceivedOn: r.ReceivedOn, Deadline: r.Deadline(d.DeadlineClock()), ClosedOn: r.ClosedOn,
		Extension: durationString(r.Extension), Reason: r.ExtensionReason}
}

// collectRest adds requests, staff views, disclosures and limits.
func (d *Desk) collectRest(ctx context.Context, a *account.Account, ov *rights.Overview) error {
	s := d.Store
	var err error
	if ov.Requests, err = d.RequestsOf(ctx, a.ID); err != nil {
		return err
	}
	views, err := s.StaffViewsOf(ctx, a.ID)
	if err != nil {
		return err
	}
	ov.StaffViews = []rights.StaffViewEntry{}
	for _, v := range views {
		e := rights.StaffViewEntry{At: v.At, Staff: v.StaffID, Fields: v.Fields}
		if sa, err := s.AccountByID(ctx, v.StaffID); err == nil {
			e.Role = string(sa.Role)
		} else if steward.ErrorCode(err) != steward.ENOTFOUND {
			return err
		}
		for _, f := range v.Fields {
			e.FieldNames = append(e.FieldNames, rights.FieldName(d.Policy, f))
		}
		ov.StaffViews = append(ov.StaffViews, e)
	}
	dis, err := disclosuresOf(s.DisclosuresOf(ctx, a.ID, false))
	if err != nil {
		return err
	}
	ov.Disclosures = []rights.DisclosureItem{}
	for _, x := range dis {
		e := rights.DisclosureItem{ID: x.ID, On: x.DisclosedOn, Recipient: x.Recipient,
			LegalBasis: string(x.LegalBasis), Article: x.LegalBasis.Article(), Categories: x.Categories, Reference: x.Reference}
		for _, k := range x.Categories {
			e.CategoryNames = append(e.CategoryNames, rights.RecordName(d.Policy, k))
		}
		ov.Disclosures = append(ov.Disclosures, e)
	}
	limits, err := s.ProcessingLimits(ctx, a.ID)
	if err != nil {
		return err
	}
	ov.Limits = []rights.LimitEntry{}
	for _, l := range limits {
		e := rights.LimitEntry{Kind: l.Kind, Purpose: l.Purpose, PurposeName: limitPurposeName(d.Policy, l.Purpose), Since: l.Since}
		// A restriction's reason is the person's words; an objection's
		// stored reason is only its kind again, a code nobody needs told.
		if l.Kind != consent.LimitObjection {
			e.Reason = l.Reason
		}
		ov.Limits = append(ov.Limits, e)
	}
	return nil
}

// values keeps the exported fields of a record, sensitive ones opened and
// masked unless the person asked for them whole.
func (d *Desk) values(accountID string, rec *policy.Record, in map[string]string, o CollectOptions) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		f := rec.Field(k)
		if f == nil || !rights.Exported(f) {
			continue
		}
		if f.Sensitive && account.IsSealed(v) {
			plain := ""
			if o.Open != nil {
				if p, err := o.Open(accountID, rec.ID, k, v); err == nil {
					plain = p
				}
			}
			if !o.Reveal || plain == "" {
				plain = account.Mask(plain)
			}
			v = plain
		}
		out[k] = v
	}
	return out
}

func durationString(d policy.Duration) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// limitPurposeName names the purpose an objection stops; a restriction
// (Art. 18) covers all processing and has no purpose.
func limitPurposeName(p *policy.Policy, id string) policy.Text {
	if id == "" {
		return policy.Text{}
	}
	return rights.PurposeName(p, id)
}
