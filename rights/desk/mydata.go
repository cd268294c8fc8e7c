package desk

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"steward"
	"steward/account"
	"steward/policy"
	"steward/retention"
	"steward/rights"
	"steward/store"
)

// Opener decrypts a sensitive field's sealed value (R3); the web layer's
// sealer provides it. Nil shows sensitive values as sealed-and-masked.
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
// ENOTFOUND.
func (d *Desk) Collect(ctx context.Context, subjectID string, o CollectOptions) (*rights.Overview, error) {
	s := d.Store
	a, err := s.AccountByID(ctx, subjectID)
	if err != nil || a.Email == "" {
		return nil, steward.Errorf(steward.ENOTFOUND, "no such person")
	}
	now := d.Clock.Now()
	ov := &rights.Overview{Schema: rights.ExportSchema, GeneratedAt: now, Site: d.Policy.Site.ID,
		Policy: d.Policy.Version.Number, SubjectID: a.ID}
	cats := map[string]*rights.Category{}
	for i := range d.Policy.Records {
		ov.Categories = append(ov.Categories, rights.NewCategory(d.Policy, &d.Policy.Records[i]))
	}
	for i := range ov.Categories {
		cats[ov.Categories[i].Kind] = &ov.Categories[i]
	}
	sch, err := d.newSchedule(ctx, a, now)
	if err != nil {
		return nil, err
	}
	// Items that go with their system's account record get their date
	// once every such record was seen (the LMS account may come after
	// its enrolments in id order).
	type pending struct {
		kind  string
		index int
		facts retention.Facts
	}
	var later []pending

	// Profile values, per record kind kept with the account (R1, Z2).
	for _, rec := range account.ProfileRecords(d.Policy) {
		vals, err := s.Profile(ctx, a.ID, rec.ID)
		if err != nil {
			return nil, err
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
		if len(vals) == 0 {
			continue
		}
		c := cats[rec.ID]
		it := rights.Item{ID: rec.ID, Values: d.values(a.ID, rec, vals, o)}
		if rec.ID == account.RecordID {
			it.CreatedAt = a.CreatedAt
		}
		later = append(later, pending{rec.ID, len(c.Items), retention.Facts{CreatedAt: a.CreatedAt, LastLoginAt: a.LastLoginAt, LastActivityAt: a.LastActivityAt}})
		c.Items = append(c.Items, it)
	}

	// Records of the other kinds (orders, enrolments, saved items, ...).
	err = s.EachRecordOf(ctx, a.ID, func(r store.Record) error {
		c := cats[r.Kind]
		if c == nil {
			return nil // a kind no longer declared; R4 keeps new ones out
		}
		it := rights.Item{ID: strconv.FormatInt(r.ID, 10), CreatedAt: r.CreatedAt, Values: d.values(a.ID, c.Record(), r.Values, o)}
		if rules := d.Policy.RulesFor(r.Kind); len(rules) > 0 {
			it.Deletion = sch.target(ctx, r.Kind, it.ID)
		} else {
			later = append(later, pending{r.Kind, len(c.Items), retention.Facts{CreatedAt: r.CreatedAt, LastLoginAt: r.LastLoginAt, LastActivityAt: r.LastActivityAt}})
		}
		c.Items = append(c.Items, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range later {
		c := cats[p.kind]
		c.Items[p.index].Deletion = sch.forKind(c.Record(), p.facts)
	}

	// Consents (Z3, R2) and the consent record kind.
	hist, err := store.ConsentHistory(ctx, s.Read(), a.ID)
	if err != nil {
		return nil, err
	}
	ov.Consents = []rights.ConsentEntry{}
	for _, h := range hist {
		ov.Consents = append(ov.Consents, rights.ConsentEntry{Purpose: h.Purpose, Given: h.Given, Channel: h.Channel, At: h.At, Notice: h.NoticeHash})
		if c := cats["consent"]; c != nil {
			c.Items = append(c.Items, rights.Item{ID: strconv.FormatInt(h.ID, 10), CreatedAt: h.At, Values: map[string]string{
				"purpose": h.Purpose, "given": strconv.FormatBool(h.Given), "notice_hash": h.NoticeHash,
				"channel": h.Channel, "at": h.At.Format(time.RFC3339)}, Deletion: sch.forKind(c.Record(), retention.Facts{CreatedAt: h.At})})
		}
	}

	// A newsletter sign-up under the same address is theirs too (R2).
	if c := cats["newsletter_subscription"]; c != nil {
		if ns, err := store.NewsletterByEmail(ctx, s.Read(), a.Email); err == nil {
			vals := map[string]string{}
			if ns.Fields != "" {
				if err := json.Unmarshal([]byte(ns.Fields), &vals); err != nil {
					return nil, fmt.Errorf("desk: newsletter sign-up fields: %w", err)
				}
			}
			vals["email"] = ns.Email
			if ns.ConfirmedAt != nil {
				vals["confirmed_at"] = ns.ConfirmedAt.Format(time.RFC3339)
			}
			it := rights.Item{ID: ns.ID, CreatedAt: ns.CreatedAt, Values: d.values(a.ID, c.Record(), vals, o)}
			f := retention.Facts{Subject: ns.ID, Kind: c.Kind, Target: ns.ID, CreatedAt: ns.CreatedAt, Confirmed: ns.ConfirmedAt != nil}
			it.Deletion = sch.decide(f, "")
			c.Items = append(c.Items, it)
		} else if steward.ErrorCode(err) != steward.ENOTFOUND {
			return nil, err
		}
	}

	if err := d.collectRest(ctx, a, ov); err != nil {
		return nil, err
	}
	return ov, nil
}

// collectRest adds requests, staff views, disclosures and limits.
func (d *Desk) collectRest(ctx context.Context, a *account.Account, ov *rights.Overview) error {
	s := d.Store
	reqs, err := s.RequestsOf(ctx, a.ID)
	if err != nil {
		return err
	}
	c := d.DeadlineClock()
	ov.Requests = []rights.RequestEntry{}
	for _, r := range reqs {
		ov.Requests = append(ov.Requests, rights.RequestEntry{ID: r.ID, Type: string(r.Type), Channel: string(r.Channel),
			Status: string(r.Status), ReceivedOn: r.ReceivedOn, Deadline: r.Deadline(c), ClosedOn: r.ClosedOn,
			Extension: durationString(r.Extension), Reason: r.ExtensionReason})
	}
	views, err := s.StaffViewsOf(ctx, a.ID)
	if err != nil {
		return err
	}
	ov.StaffViews = []rights.StaffViewEntry{}
	for _, v := range views {
		ov.StaffViews = append(ov.StaffViews, rights.StaffViewEntry{At: v.At, Staff: v.StaffID, Fields: v.Fields})
	}
	dis, err := s.DisclosuresOf(ctx, a.ID, false)
	if err != nil {
		return err
	}
	ov.Disclosures = []rights.DisclosureItem{}
	for _, x := range dis {
		ov.Disclosures = append(ov.Disclosures, rights.DisclosureItem{ID: x.ID, On: x.DisclosedOn, Recipient: x.Recipient,
			LegalBasis: string(x.LegalBasis), Categories: x.Categories, Reference: x.Reference})
	}
	limits, err := store.ProcessingLimits(ctx, s.Read(), a.ID)
	if err != nil {
		return err
	}
	ov.Limits = []rights.LimitEntry{}
	for _, l := range limits {
		ov.Limits = append(ov.Limits, rights.LimitEntry{Kind: l.Kind, Purpose: l.Purpose, Since: l.Since, Reason: l.Reason})
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
