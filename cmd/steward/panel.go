package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/url"
	"os"

	"steward"
	"steward/audit"
	"steward/consent"
	"steward/store"
)

// panelPurpose is Zorginspirator's research panel (Z4).
const panelPurpose = consent.PanelPurpose

const panelInviteAbout = `Mails an invitation to the survey at --survey to everyone whose
research-panel consent stands at the moment of sending (Z4): the purpose
gate is asked for each recipient just before the mail is enqueued. Each
mail carries a one-click "stop inviting me" link that withdraws the panel
consent. Every invitation is recorded in the audit log (ids only).
Interrupted? Run the same command again: it resumes, and nobody is invited
to the same survey twice.`

func runPanelInvite(ctx context.Context, a *app, args []string) error {
	fs := a.flags("panel invite", "--survey URL [--lang nl|en]", panelInviteAbout)
	db := a.dbFlag(fs)
	pol := a.policyFlag(fs)
	keyPath := a.consentKeyFlag(fs)
	survey := fs.String("survey", "", "the survey's https address, as it goes into every invitation")
	lang := fs.String("lang", "nl", "language of the invitation: nl or en (it goes to every panel member)")
	baseURL := fs.String("base-url", a.env("STEWARD_BASE_URL", ""), "public URL of the site, for the stop link in every mail (env STEWARD_BASE_URL; required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *survey == "" {
		return a.wrongUsage("panel invite", "cli.survey_required")
	}
	if u, err := url.Parse(*baseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return steward.Errorf(steward.EINVALID, "error.base_url_is_required")
	}
	nl, closeFn, err := openNewsletter(ctx, a, *db, *pol, *keyPath, *baseURL)
	if err != nil {
		return err
	}
	defer closeFn()
	rep, err := nl.InvitePanel(ctx, consent.Invitation{Survey: *survey, Lang: *lang}, 0, func(r consent.SendReport) {
		fmt.Fprintf(a.stdout, "run %d: %d looked at, %d invited, %d skipped (consent no longer stands), %d invited earlier\n",
			r.Send, r.Candidates, r.Enqueued, r.Skipped, r.Already)
	})
	if err != nil {
		return err
	}
	verb := "done"
	if rep.Resumed {
		verb = "resumed and done"
	}
	fmt.Fprintf(a.stdout, "run %d %s: %d invited, %d skipped, %d invited earlier\n", rep.Send, verb, rep.Enqueued, rep.Skipped, rep.Already)
	return nil
}

func runPanelExport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("panel export", "[--out FILE]", "Writes subject,email for everyone whose research-panel consent stands now (Z4),\nasking the purpose gate for each, and records the export in the audit log.")
	db := a.dbFlag(fs)
	pol := a.policyFlag(fs)
	out := fs.String("out", "", "write the CSV here instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	if pu := p.Purpose(panelPurpose); pu == nil || !pu.NeedsConsent() {
		return steward.Errorf(steward.EINVALID, "error.policy_declares_no_consent_based_purpose", "panel_purpose", panelPurpose)
	}
	s, err := a.openStoreToChange(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	gate := consent.NewGate(p, s)
	type row struct{ subject, email string }
	var rows []row
	after := ""
	for {
		cands, err := s.ConsentSubjectsGiven(ctx, panelPurpose, after, 500)
		if err != nil {
			return err
		}
		if len(cands) == 0 {
			break
		}
		after = cands[len(cands)-1]
		addrs, err := s.NewsletterAddresses(ctx, cands)
		if err != nil {
			return err
		}
		for _, c := range cands {
			ok, _, err := gate.Allowed(ctx, c, panelPurpose)
			if err != nil {
				return err
			}
			if ok && addrs[c] != "" {
				rows = append(rows, row{c, addrs[c]})
			}
		}
	}
	// The export is recorded before the file is written: an export that
	// happened is never missing from the log (R12, G2).
	v := p.Version.Number
	log := &audit.Log{Clock: a.clock, PolicyVersion: func() string { return v }}
	if err := s.InTx(ctx, func(tx *store.Tx) error {
		return log.Record(ctx, tx, audit.Entry{Actor: audit.System("panel_export"), Action: audit.ExportDownload,
			ObjectKind: "panel_invitations", ObjectID: fmt.Sprintf("n%d", len(rows)), Fields: []string{"email", "subject"}})
	}); err != nil {
		return err
	}
	var w io.Writer = a.stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return steward.Errorf(steward.EINVALID, "error.cannot_write", "out", *out, "err", err)
		}
		defer f.Close()
		w = f
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"subject", "email"})
	for _, r := range rows {
		cw.Write([]string{r.subject, r.email})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("panel export: %w", err)
	}
	if *out != "" {
		fmt.Fprintf(a.stdout, "wrote %d invitations to %s\n", len(rows), *out)
	}
	return nil
}
