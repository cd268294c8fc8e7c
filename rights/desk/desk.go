// Package desk is the privacy desk: it carries out data-subject requests
// and disclosures against the store (R7, R13, Z8). Where package rights
// says what is allowed — deadlines, extensions, who may close what — desk
// does it: in one transaction per step, with the step on the request's
// timeline, its audit entry and any mail to the person, so each step happens
// whole or not at all (G2, G3).
//
// The web pages (/staff/requests, /account/data) and the command line
// (steward requests, steward disclosures) both go through a Desk, so a
// request completed by staff runs exactly the code the person's own
// self-service action runs.
package desk

import (
	"context"
	"log/slog"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/consent"
	"steward/policy"
	"steward/rights"
	"steward/store"
)

// Desk handles requests and disclosures for one site.
type Desk struct {
	Store  *store.Store
	Policy *policy.Policy
	Clock  clock.Clock
	// Zone is the site's time zone: the day a request arrives on is the
	// day there. Nil means Europe/Amsterdam, or UTC without zone data.
	Zone  *time.Location
	Audit *audit.Log
	Log   *slog.Logger
	// BaseURL is the site's address for links in mails, without a
	// trailing slash ("https://www.medicijngebruik.nl").
	BaseURL string
	// Consent records withdrawals (Art. 7(3)) through the consent
	// domain's one code path; nil refuses withdraw requests.
	Consent *consent.Service
	// Profiles validates and seals a rectification's edit by the rules of
	// the person's own (account/service); nil refuses rectification.
	Profiles ProfileEditor
}

// amsterdam is the default zone of both Dutch sites.
var amsterdam = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		return loc
	}
	return time.UTC
}()

func (d *Desk) zone() *time.Location {
	if d.Zone != nil {
		return d.Zone
	}
	return amsterdam
}

// Location is the site's time zone, in which pages show times.
func (d *Desk) Location() *time.Location { return d.zone() }

// Today returns the current day in the site's zone.
func (d *Desk) Today() time.Time { return rights.Day(d.Clock.Now(), d.zone()) }

// DeadlineClock returns the deadline rules of the site's policy.
func (d *Desk) DeadlineClock() rights.Clock { return rights.ClockFor(d.Policy.Rights) }

func (d *Desk) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (d *Desk) record(ctx context.Context, tx *store.Tx, entries ...audit.Entry) error {
	if d.Audit == nil {
		return tx.AppendAudit(stamp(d.Clock.Now(), entries)...)
	}
	return d.Audit.Record(ctx, tx, entries...)
}

func stamp(now time.Time, entries []audit.Entry) []audit.Entry {
	for i := range entries {
		if entries[i].Time.IsZero() {
			entries[i].Time = now
		}
	}
	return entries
}
