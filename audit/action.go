package audit

import "slices"

// Action is what an entry records, from a closed vocabulary (G2, R12): a
// reader of the log knows every action it can meet, and a typo in a caller
// is an error at append time instead of an entry nobody searches for.
type Action string

// The vocabulary. Add an action here, with the requirement it serves,
// before any code appends it.
const (
	// Accounts (R1, Z2, Z9).
	AccountCreate    Action = "account.create"
	AccountConfirm   Action = "account.confirm"
	AccountErase     Action = "account.erase"
	AccountAnonymise Action = "account.anonymise"
	AccountRestrict  Action = "account.restrict" // Z8: restriction while a dispute runs
	ProfileUpdate    Action = "profile.update"
	SessionRevoke    Action = "session.revoke"
	SessionLogout    Action = "session.logout" // R11, R12: a person ends their own session
	// PasswordLink: an operator issued a fresh one-time set-password link
	// for a staff account ('steward staff link'); older links are void.
	PasswordLink Action = "account.password_link"

	// A second factor (ASVS 2.8, 4.3.1; issue 14, finding 4): enrolled,
	// turned off by its owner, reset by an operator for a lost device, a
	// recovery code spent, and a TOTP code sent twice (refused, ASVS 2.8.5).
	SecondFactorEnrol    Action = "second_factor.enrol"
	SecondFactorDisable  Action = "second_factor.disable"
	SecondFactorReset    Action = "second_factor.reset"
	SecondFactorRecovery Action = "second_factor.recovery_code"
	SecondFactorReplay   Action = "second_factor.replay"

	// Consent (Z3, R2, Z8).
	ConsentGive     Action = "consent.give"
	ConsentWithdraw Action = "consent.withdraw"

	// Data-subject requests (R13, Z8).
	RequestCreate Action = "request.create"
	RequestStep   Action = "request.step"
	RequestExtend Action = "request.extend" // R13: extension announced within the first month
	RequestClose  Action = "request.close"

	// Exports and disclosures (R7, R8, Z6).
	ExportDownload   Action = "export.download"
	ExportAnonymised Action = "export.anonymised" // Z6: anonymised data to analysis partners
	DisclosureRecord Action = "disclosure.record" // R7: every disclosure to a third party

	// Staff access (R12, Z7).
	StaffView Action = "staff.view"

	// Automated retention (R9, R10, Z9, G2).
	RetentionWarn      Action = "retention.warn"
	RetentionDelete    Action = "retention.delete"
	RetentionAnonymise Action = "retention.anonymise"
	RetentionOverride  Action = "retention.override" // R9, R10: a contract override set or removed by staff

	// Organisations and their members (issue 16: R6). Membership needs the
	// person's own acceptance of an invitation.
	OrganisationCreate  Action = "organisation.create"
	OrganisationInvite  Action = "organisation.invite"
	OrganisationJoin    Action = "organisation.join"
	OrganisationDecline Action = "organisation.decline"
	OrganisationRemove  Action = "organisation.remove_member"
	// Courses and enrolments (issue 16: R5).
	CourseImport    Action = "course.import"
	EnrolmentCreate Action = "enrolment.create"
	// Vouchers (issue 17: R6): a batch created, a code redeemed after the
	// notice that the creator sees the redeemer's learning results.
	VoucherCreate Action = "voucher.create"
	VoucherRedeem Action = "voucher.redeem"
	// The shop (issue 17: R5): the product catalogue imported; an order
	// placed; a payment created at the provider; an order paid (from the
	// provider's status, fetched) with its invoice issued; a download.
	ProductImport  Action = "product.import"
	OrderCreate    Action = "order.create"
	PaymentCreate  Action = "payment.create"
	PaymentStatus  Action = "payment.status"
	InvoiceIssue   Action = "invoice.issue"
	DownloadCreate Action = "download.create"
	// A person's own items on the career platform (issue 18: Z2, Z4): a
	// saved functie or opleiding, a line of their job or education
	// history — added, changed or removed by them. The entry names the
	// record kind and id and the fields, never the values.
	RecordCreate Action = "record.create"
	RecordUpdate Action = "record.update"
	RecordDelete Action = "record.delete"
	// The machine API's keys (issue 16 item 4, R8): created, rotated or
	// revoked by staff on the command line; ids only.
	APIKeyCreate Action = "api_key.create"
	APIKeyRotate Action = "api_key.rotate"
	APIKeyRevoke Action = "api_key.revoke"
	// Learning results the LMS reported as xAPI statements, and the
	// accreditation a passed accredited course earns (R8).
	LearningResultCreate Action = "learning_result.create"
	AccreditationCreate  Action = "accreditation.create"
	// AccreditationReport: an accreditation went to PE-online in an
	// export file (R8); the disclosure of the person's register number is
	// a disclosure.record entry beside it.
	AccreditationReport Action = "accreditation.report"
	// The learning environment's sign-in through Steward (issue 16 item 3,
	// R8, R10): a client registered, its secret replaced, revoked; the
	// signing keys rotated; a person signed in (the LMS account's last
	// login), the claims released to the client, and a code used twice
	// (refused, its tokens revoked: RFC 6749 §4.1.2).
	OIDCClientAdd    Action = "oidc.client_add"
	OIDCClientSecret Action = "oidc.client_secret"
	OIDCClientRevoke Action = "oidc.client_revoke"
	OIDCKeyRotate    Action = "oidc.key_rotate"
	OIDCSignIn       Action = "oidc.sign_in"
	OIDCRelease      Action = "oidc.release"
	OIDCCodeReplay   Action = "oidc.code_replay"
	// LMSAccountCreate: a person's learning-environment account record was
	// made at their first sign-in, before any enrolment made one.
	LMSAccountCreate Action = "lms_account.create"

	// The policy in force (G1).
	PolicyLoad Action = "policy.load"
	// PolicyPublish: a changed policy became a new version (G1, issue 20).
	PolicyPublish Action = "policy.publish"
	// PolicyNotify: a person directly affected by a published change was
	// mailed about it (Z11, issue 20).
	PolicyNotify Action = "policy.notify"

	// The learning environment confirmed a deletion, correction or
	// enrolment Steward sent it (issue 16 item 5: Art. 17(2), Art. 19;
	// issue 17 item 4), or Steward gave up sending it. The LMS user by its
	// OIDC subject, the fields by name.
	LMSDelete Action = "lms.delete"
	LMSUpdate Action = "lms.update"
	LMSEnrol  Action = "lms.enrol"
	LMSFail   Action = "lms.fail"

	// The newsletter and the research panel (issue 18 items 6 and 7, Z4).
	// NewsletterPreview: an operator read one recipient's composed issue
	// (steward newsletter send --preview): a view of what is composed from
	// their data, by subject id. PanelInvite: a run of panel invitations,
	// by the survey's fingerprint and the count mailed.
	NewsletterPreview Action = "newsletter.preview"
	PanelInvite       Action = "panel.invite"
)

var actions = []Action{
	AccountCreate, AccountConfirm, AccountErase, AccountAnonymise, AccountRestrict,
	ProfileUpdate, SessionRevoke, SessionLogout, PasswordLink,
	SecondFactorEnrol, SecondFactorDisable, SecondFactorReset, SecondFactorRecovery, SecondFactorReplay,
	ConsentGive, ConsentWithdraw,
	RequestCreate, RequestStep, RequestExtend, RequestClose,
	ExportDownload, ExportAnonymised, DisclosureRecord,
	StaffView,
	RetentionWarn, RetentionDelete, RetentionAnonymise, RetentionOverride,
	PolicyLoad, PolicyPublish, PolicyNotify,
	OrganisationCreate, OrganisationInvite, OrganisationJoin, OrganisationDecline, OrganisationRemove,
	CourseImport, EnrolmentCreate,
	VoucherCreate, VoucherRedeem,
	ProductImport, OrderCreate, PaymentCreate, PaymentStatus, InvoiceIssue, DownloadCreate,
	RecordCreate, RecordUpdate, RecordDelete,
	LMSDelete, LMSUpdate, LMSEnrol, LMSFail,
	NewsletterPreview, PanelInvite,
	APIKeyCreate, APIKeyRotate, APIKeyRevoke,
	LearningResultCreate, AccreditationCreate, AccreditationReport,
	OIDCClientAdd, OIDCClientSecret, OIDCClientRevoke, OIDCKeyRotate, OIDCSignIn, OIDCRelease, OIDCCodeReplay, LMSAccountCreate,
}

// Actions returns the whole vocabulary, for help texts and filter menus.
func Actions() []Action { return slices.Clone(actions) }

// Valid reports whether a is in the vocabulary.
func (a Action) Valid() bool { return slices.Contains(actions, a) }
