package consent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"steward"
	"steward/audit"
	mailer "steward/mail"
	"steward/store"
)

// PanelPurpose is Zorginspirator's research panel (Z4): people who
// consented may be invited to take part in research.
const PanelPurpose = "research_panel"

// MaxSurveyURL is the longest survey address accepted.
const MaxSurveyURL = 2000

// Invitation is an invitation of the research panel to one survey.
type Invitation struct {
	// Survey is the survey's address, as it goes into every mail.
	Survey string
	Lang   string
}

// checkInvitation returns the survey's address cleaned, or why it cannot
// be sent: the policy must declare the panel as a consent purpose, the
// address must be an absolute https address (http only on the loopback
// interface, for trying it out) with a host, no credentials, no white
// space or control characters, at most MaxSurveyURL long.
func (n *Newsletter) checkInvitation(inv Invitation) (Invitation, error) {
	p := n.Consent.Policy.Purpose(PanelPurpose)
	if p == nil || !p.NeedsConsent() || p.Consent == nil {
		return inv, steward.Errorf(steward.EINVALID, "error.policy_declares_no_consent_based_purpose", "panel_purpose", PanelPurpose)
	}
	if inv.Lang != "nl" && inv.Lang != "en" {
		return inv, steward.FieldError("lang", "error.must_be_nl_or_en")
	}
	bad := steward.Errorf(steward.EINVALID, "error.survey_url_invalid", "max", MaxSurveyURL)
	if inv.Survey == "" || len(inv.Survey) > MaxSurveyURL || strings.IndexFunc(inv.Survey, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return inv, bad
	}
	u, err := url.Parse(inv.Survey)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return inv, bad
	}
	loopback := u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
		return inv, bad
	}
	inv.Survey = u.String()
	return inv, nil
}

// InvitePanel mails an invitation to the survey to everyone whose
// research-panel consent stands at the moment of sending (issue 18 item 7,
// Z4), the same way newsletter issues go (mailing): the gate's rule asked
// per recipient in the batch's transaction, resumable, and nobody invited
// to the same survey twice, however often it is run. Each mail carries a
// one-click "stop inviting me" link that withdraws the panel consent
// (StopURL). Each invitation is audited as panel.invite: the survey's
// fingerprint, the person's pseudonym, the field mailed to — never the
// address. Bad input is an error and nothing is written.
func (n *Newsletter) InvitePanel(ctx context.Context, inv Invitation, batch int, progress func(SendReport)) (SendReport, error) {
	var rep SendReport
	inv, err := n.checkInvitation(inv)
	if err != nil {
		return rep, err
	}
	if batch <= 0 {
		batch = DefaultBatch
	}
	p := n.Consent.Policy.Purpose(PanelPurpose)
	h := sha256.Sum256([]byte("panel\x00" + inv.Survey))
	hash := hex.EncodeToString(h[:])
	subject := n.text(inv.Lang, "mail.panel.subject")
	var run store.NewsletterSend
	err = n.Consent.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		run, err = tx.StartNewsletterSend(ctx, store.NewsletterSend{Purpose: p.ID, ContentHash: hash, SubjectLine: subject,
			Lang: inv.Lang, CreatedAt: n.Clock.Now()})
		return err
	})
	if err != nil {
		return rep, fmt.Errorf("consent: panel invite: %w", err)
	}
	log := n.Consent.auditLog()
	return n.run(ctx, mailing{run: run, purpose: p,
		message: func(subj, addr, _ string) mailer.Message {
			stop := n.StopURL(PanelPurpose, subj)
			if inv.Lang != "nl" {
				stop += "&lang=" + inv.Lang
			}
			return mailer.Message{Kind: mailer.KindPanelInvitation, SubjectID: subj, To: addr, Subject: subject,
				Text: n.text(inv.Lang, "mail.panel.body", "survey", inv.Survey, "stop", stop), Headers: oneClick(stop), Bulk: true}
		},
		audit: func(ctx context.Context, tx *store.Tx, subj string) error {
			ps, err := tx.AccountPseudonym(ctx, subj)
			if err != nil {
				return err
			}
			e := audit.Entry{Actor: audit.System("panel_invite"), Action: audit.PanelInvite, ObjectKind: "panel_survey",
				ObjectID: hash[:16], Fields: []string{"account.email"}}
			if ps != "" {
				e.Subject = audit.Pseudonym(ps)
			}
			return log.Record(ctx, tx, e)
		}}, batch, progress)
}
