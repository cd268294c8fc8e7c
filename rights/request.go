package rights

import (
	"strings"
	"time"

	"steward"
	"steward/policy"
)

// Type is what a data-subject request asks for (Chapter III GDPR).
type Type string

// The request types the queue handles (R13, Z8).
const (
	TypeAccess        Type = "access"        // Art. 15
	TypeRectification Type = "rectification" // Art. 16
	TypeErasure       Type = "erasure"       // Art. 17
	TypeRestriction   Type = "restriction"   // Art. 18
	TypePortability   Type = "portability"   // Art. 20
	TypeObjection     Type = "objection"     // Art. 21
	TypeWithdraw      Type = "withdraw"      // Art. 7(3)
)

// Types lists the request types in article order.
var Types = []Type{TypeAccess, TypeRectification, TypeErasure, TypeRestriction, TypePortability, TypeObjection, TypeWithdraw}

// Right returns the policy right a request of type t exercises.
func (t Type) Right() policy.Right {
	if t == TypeWithdraw {
		return policy.RightWithdraw
	}
	return policy.Right(t)
}

// ParseType checks a request type given on a form or command line.
func ParseType(s string) (Type, error) {
	for _, t := range Types {
		if string(t) == s {
			return t, nil
		}
	}
	return "", steward.FieldError("type", "error.must_be_one_of", "choices", join(Types))
}

// Channel is how a request reached the controller.
type Channel string

// The channels a request can arrive through.
const (
	ChannelEmail       Channel = "email"
	ChannelLetter      Channel = "letter"
	ChannelPhone       Channel = "phone"
	ChannelSelfService Channel = "self_service"
)

// Channels lists the channels.
var Channels = []Channel{ChannelEmail, ChannelLetter, ChannelPhone, ChannelSelfService}

// ParseChannel checks a channel given on a form or command line.
func ParseChannel(s string) (Channel, error) {
	for _, c := range Channels {
		if string(c) == s {
			return c, nil
		}
	}
	return "", steward.FieldError("channel", "error.must_be_one_of", "choices", join(Channels))
}

// Status is where a request stands.
type Status string

// The states of a request. A request is open until completed or refused.
const (
	// StatusReceived: entered, identity not yet established.
	StatusReceived Status = "received"
	// StatusVerified: identity established; being handled.
	StatusVerified Status = "verified"
	// StatusCompleted: answered; the right was given effect.
	StatusCompleted Status = "completed"
	// StatusRefused: answered with a refusal and its reasons (Art. 12(4)).
	StatusRefused Status = "refused"
)

// Open reports whether a request in status s still needs an answer.
func (s Status) Open() bool { return s == StatusReceived || s == StatusVerified }

// Verification is how a person's identity was established (Art. 12(6)
// GDPR: the controller may ask for information to confirm it).
type Verification string

// The verification methods.
const (
	// VerifySession: the person asked while logged in (self-service).
	VerifySession Verification = "session"
	// VerifyEmailLink: the person followed a confirmation link sent to the
	// account's e-mail address.
	VerifyEmailLink Verification = "email_link"
	// VerifyManual: staff checked identity another way and noted how.
	VerifyManual Verification = "manual"
)

// VerifyLinkLifetime is how long a confirmation link works.
const VerifyLinkLifetime = 7 * 24 * time.Hour

// SubjectKind says whom a request concerns (issue 13 item 5): anyone the
// site holds data on may use their rights, not only account holders.
type SubjectKind string

// The subjects a request can concern.
const (
	// SubjectAccount: a person with an account; SubjectID is its id.
	SubjectAccount SubjectKind = "account"
	// SubjectSignUp: a newsletter sign-up without an account (R2), a
	// subject of its own; SubjectID is the sign-up's id. All it holds is
	// the address, the name where the form asks it, and the newsletter
	// consent with its notice texts.
	SubjectSignUp SubjectKind = "newsletter_signup"
)

// SignUpPurpose is the purpose a newsletter sign-up's consent is for
// (consent.NewsletterPurpose): objecting to it or withdrawing it is
// unsubscribing.
const SignUpPurpose = "newsletter"

// Request is one data-subject request in the queue.
type Request struct {
	// ID is random and opaque ("req_…").
	ID string
	// SubjectKind says what SubjectID names; SubjectAccount for every
	// request made before sign-ups could make one.
	SubjectKind SubjectKind
	// SubjectID is the account or sign-up the request concerns; empty
	// once it is erased, when SubjectPseudonym alone remains (G2). A
	// sign-up has no pseudonym.
	SubjectID        string
	SubjectPseudonym string
	Type             Type
	Channel          Channel
	// ReceivedOn is the day the request arrived; the deadline counts from it.
	ReceivedOn time.Time
	// Details is what the person asked, in staff's words; for an objection
	// or a withdrawal, Purpose names the purpose concerned.
	Details string
	Purpose string
	Status  Status
	// VerifyAskedOn is the day proof of identity was asked for (a link
	// sent); zero when none was needed.
	VerifyAskedOn time.Time
	// VerifiedOn is the day identity was established; zero until then.
	VerifiedOn time.Time
	Verified   Verification
	// Extension is the one extension granted, zero when none (Art. 12(3)).
	Extension       policy.Duration
	ExtensionReason string
	ExtendedOn      time.Time
	// ClosedOn is the day the request was completed or refused.
	ClosedOn time.Time
	// Outcome says what was done, or why the request was refused.
	Outcome   string
	CreatedAt time.Time
	// CreatedBy is the audit actor who entered it ("staff:…", "subject:…").
	CreatedBy string
	// Steps is the timeline, oldest first; filled by readers that ask for it.
	Steps []Step
}

// Start returns the day the request's deadline counts from, and false while
// it does not run yet (see Clock.Start).
func (r *Request) Start(c Clock) (time.Time, bool) {
	return c.Start(r.ReceivedOn, r.VerifyAskedOn, r.VerifiedOn)
}

// Deadline returns the day the request must be answered by, including any
// extension; zero while the deadline does not run yet.
func (r *Request) Deadline(c Clock) time.Time {
	start, ok := r.Start(c)
	if !ok {
		return time.Time{}
	}
	return c.Deadline(start, r.Extension)
}

// Overdue reports whether an open request is past its deadline on today.
func (r *Request) Overdue(c Clock, today time.Time) bool {
	return r.Status.Open() && Overdue(r.Deadline(c), today)
}

// DueSoon reports whether an open request falls due within the window.
func (r *Request) DueSoon(c Clock, today time.Time, within time.Duration) bool {
	return r.Status.Open() && DueSoon(r.Deadline(c), today, within)
}

// StepKind names a step in a request's timeline.
type StepKind string

// The steps of a request's timeline; each is also an audit entry.
const (
	StepReceived     StepKind = "received"
	StepVerifyAsked  StepKind = "verify_asked"
	StepVerified     StepKind = "verified"
	StepExtended     StepKind = "extended"
	StepExtendMailed StepKind = "extension_mailed"
	StepNote         StepKind = "note"
	StepCompleted    StepKind = "completed"
	StepRefused      StepKind = "refused"
	// StepExportProduced: staff produced the person's export for an
	// access or portability request (Art. 15(3), 20).
	StepExportProduced StepKind = "export_produced"
	// StepAnswerMailed: the person was mailed the outcome of their request
	// (Art. 12(4) for a refusal); the note names the outbox mail.
	StepAnswerMailed StepKind = "answer_mailed"
	// StepAnswerNotMailed: the request was closed, but the person has no
	// address to tell them at (their account is erased); the note says so.
	StepAnswerNotMailed StepKind = "answer_not_mailed"
	// StepRectified: a privacy officer corrected the person's record for a
	// rectification request (Art. 16); the note names the fields changed,
	// never their values.
	StepRectified StepKind = "rectified"
)

// StepKinds lists every step kind, for pages that name them in words.
var StepKinds = []StepKind{StepReceived, StepVerifyAsked, StepVerified, StepExtended, StepExtendMailed, StepNote,
	StepCompleted, StepRefused, StepExportProduced, StepAnswerMailed, StepAnswerNotMailed, StepRectified}

// Step is one entry of a request's timeline.
type Step struct {
	At    time.Time
	Kind  StepKind
	Actor string
	// Note is staff's words for the step (how identity was checked, why
	// the request was extended); shown to staff only.
	Note string
}

// NewRequest is what staff (or the person, self-service) enter.
type NewRequest struct {
	// SubjectKind is SubjectAccount when empty.
	SubjectKind SubjectKind
	SubjectID   string
	Type        Type
	Channel     Channel
	ReceivedOn  time.Time
	Details     string
	Purpose     string
}

// maxText bounds free-text fields of a request.
const maxText = 2000

// Check validates a new request against the policy: the right must be
// honoured, the day of receipt may not lie in the future, and an objection
// or withdrawal must name a purpose it can apply to. Nothing is stored when
// it fails (G3).
func (n *NewRequest) Check(p *policy.Policy, today time.Time) error {
	if n.SubjectID == "" {
		return steward.FieldError("subject", "error.is_required")
	}
	if _, err := ParseType(string(n.Type)); err != nil {
		return err
	}
	switch n.SubjectKind {
	case "", SubjectAccount:
		n.SubjectKind = SubjectAccount
	case SubjectSignUp:
		if err := n.checkSignUp(); err != nil {
			return err
		}
	default:
		return steward.FieldError("subject", "error.is_required")
	}
	if _, err := ParseChannel(string(n.Channel)); err != nil {
		return err
	}
	if !p.Rights.Honours(n.Type.Right()) {
		return steward.FieldError("type", "error.policy_does_not_honour_right", "right", n.Type.Right())
	}
	if n.ReceivedOn.IsZero() {
		return steward.FieldError("received", "error.is_required_yyyy_mm")
	}
	if n.ReceivedOn.After(today) {
		return steward.FieldError("received", "error.lies_in_future")
	}
	if len(n.Details) > maxText {
		return steward.FieldError("details", "error.is_longer_than_characters", "max_text", maxText)
	}
	switch {
	case n.SubjectKind == SubjectSignUp:
		// checkSignUp named the purpose: the newsletter's consent is
		// what a sign-up holds; no legitimate interest to weigh.
	case n.Type == TypeObjection, n.Type == TypeWithdraw:
		pu := p.Purpose(n.Purpose)
		if pu == nil {
			return steward.FieldError("purpose", "error.must_name_purpose_policy")
		}
		if n.Type == TypeObjection && !pu.Objectable() {
			return steward.FieldError("purpose", "error.rests_objection_applies_legitimate", "id", pu.ID, "legal_basis", pu.LegalBasis)
		}
		if n.Type == TypeWithdraw && !pu.NeedsConsent() {
			return steward.FieldError("purpose", "error.does_not_rest_consent", "id", pu.ID)
		}
	default:
		if n.Purpose != "" {
			return steward.FieldError("purpose", "error.only_objection_withdrawal")
		}
	}
	return nil
}

// checkSignUp applies what a request about a newsletter sign-up can ask.
// A sign-up is processed for one purpose, the newsletter, on consent: an
// objection (Art. 21(2)-(3), direct marketing) and a withdrawal (Art.
// 7(3)) both end it, so their purpose is the newsletter's, named or not.
func (n *NewRequest) checkSignUp() error {
	switch n.Type {
	case TypeObjection, TypeWithdraw:
		if n.Purpose != "" && n.Purpose != SignUpPurpose {
			return steward.FieldError("purpose", "error.signup_purpose_newsletter")
		}
		n.Purpose = SignUpPurpose
	default:
		if n.Purpose != "" {
			return steward.FieldError("purpose", "error.only_objection_withdrawal")
		}
	}
	return nil
}

// CanVerify says whether identity can be marked established now.
func (r *Request) CanVerify() error {
	switch {
	case !r.Status.Open():
		return steward.Errorf(steward.ECONFLICT, "error.request_has_status", "id", r.ID, "status", r.Status)
	case r.Status == StatusVerified:
		return steward.Errorf(steward.ECONFLICT, "error.request_is_already_verified", "id", r.ID)
	}
	return nil
}

// CanClose says whether the request may be completed or refused now: only
// open requests whose requester's identity is established (Art. 12(6)),
// except that a refusal may close an unverified request (Art. 12(2): the
// controller could not identify the person).
func (r *Request) CanClose(refuse bool) error {
	switch {
	case !r.Status.Open():
		return steward.Errorf(steward.ECONFLICT, "error.request_is_already", "id", r.ID, "status", r.Status)
	case r.Status != StatusVerified && !refuse:
		return steward.Errorf(steward.ECONFLICT, "error.request_identity_not_verified", "id", r.ID)
	}
	return nil
}

// CanComplete says whether the request may be completed as done, given
// whether the person's record was corrected for it: a rectification is
// done only once something was corrected (Art. 16) — the answer mail says
// "we have corrected your data". With nothing to correct, staff refuse it
// with the reason instead (Art. 12(4)).
func (r *Request) CanComplete(rectified bool) error {
	if err := r.CanClose(false); err != nil {
		return err
	}
	if r.Type == TypeRectification && !rectified {
		return steward.Errorf(steward.ECONFLICT, "error.rectification_not_edited")
	}
	return nil
}

// CanRectify says whether the person's record may be corrected for the
// request now: an open, verified rectification request (Art. 12(6), 16)
// whose person is still held (an account, or a newsletter sign-up).
func (r *Request) CanRectify() error {
	switch {
	case r.Type != TypeRectification:
		return steward.Errorf(steward.ECONFLICT, "error.only_rectification")
	case !r.Status.Open():
		return steward.Errorf(steward.ECONFLICT, "error.request_closed_no_rectify")
	case r.Status != StatusVerified:
		return steward.Errorf(steward.ECONFLICT, "error.rectify_identity_not_verified")
	case r.SubjectID == "":
		return steward.Errorf(steward.ECONFLICT, "error.person_account_is_erased")
	}
	return nil
}

// Exportable reports whether a request of type t is answered with the
// person's export: access (Art. 15(3)) and portability (Art. 20).
func (t Type) Exportable() bool { return t == TypeAccess || t == TypePortability }

// CanExport says whether staff may produce the person's export for the
// request now: only for an open access or portability request whose
// requester's identity is established (Art. 12(6)). The messages name no
// request, so a page can show them in its own language.
func (r *Request) CanExport() error {
	switch {
	case !r.Type.Exportable():
		return steward.Errorf(steward.ECONFLICT, "error.only_access_or_portability")
	case r.SubjectKind == SubjectSignUp:
		// A sign-up holds a handful of values: the answer mail carries
		// them all (see desk: completing the request).
		return steward.Errorf(steward.ECONFLICT, "error.signup_held_in_answer")
	case !r.Status.Open():
		return steward.Errorf(steward.ECONFLICT, "error.request_closed_no_export")
	case r.Status != StatusVerified:
		return steward.Errorf(steward.ECONFLICT, "error.export_identity_not_verified")
	case r.SubjectID == "":
		return steward.Errorf(steward.ECONFLICT, "error.person_account_is_erased")
	}
	return nil
}

// CanExtend says whether the request may be extended by ext on today.
func (r *Request) CanExtend(c Clock, today time.Time, ext policy.Duration, reason string) error {
	if !r.Status.Open() {
		return steward.Errorf(steward.ECONFLICT, "error.request_is_already", "id", r.ID, "status", r.Status)
	}
	start, ok := r.Start(c)
	if !ok {
		return steward.Errorf(steward.ECONFLICT, "error.request_deadline_not_running", "id", r.ID)
	}
	return c.CheckExtension(start, today, r.Extension, ext, strings.TrimSpace(reason))
}

func join[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
