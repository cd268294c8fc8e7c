// Package statement renders a site's privacy statement from its policy
// file (G1, R14, Z10, Z11): a view-model in one language, built from a
// *policy.Policy, and HTML and Markdown renderers over it. Every sentence
// about what Steward does — which data, why, on which legal basis, for how
// long, who receives it — is generated from the executable policy, so the
// statement says what the engine enforces. Fixed wording comes from one
// message catalogue per language (i18n/LANG.json).
//
// The package does no I/O beyond writing to the io.Writer it is given.
package statement

import (
	"fmt"
)

// F formats the catalogue text for key with args, for labels that embed a
// value ("Gegevens in: Account").
func (s *Statement) F(key string, args ...any) (string, error) {
	format, err := s.T(key)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(format, args...), nil
}

// YesNo writes a yes/no answer in the statement's language.
func (s *Statement) YesNo(b bool) (string, error) {
	if b {
		return s.T("yes")
	}
	return s.T("no")
}

// Statement is the privacy statement of one policy in one language, with
// every value already in words. Templates only lay it out.
type Statement struct {
	// Lang is the language of every text in the statement.
	Lang string
	// Title is the page title, e.g. "Privacyverklaring Zorginspirator".
	Title    string
	SiteName string
	URLs     []string
	Version  string
	// Date is the date the version took effect, in words; DateISO is the
	// same date as YYYY-MM-DD for <time datetime>.
	Date    string
	DateISO string
	// Updated is the opening line: "last changed on 8 February 2024 (version 2024.1)".
	Updated    string
	Intro      []string
	Controller Controller
	// Systems groups the records and retention rules by the system they
	// live in (IVM: website and learning environment). A site with one
	// system has one group without a name.
	Systems  []System
	Purposes []Purpose
	// HasRetention is set when any retention rule exists.
	HasRetention bool
	// Kept lists what is kept for a legal obligation after erasure is asked.
	Kept []Kept
	// Statistics lists what an anonymised account still counts with (Z9):
	// each field and the coarse form it is kept in, from the policy's
	// generalisations the erasure applies.
	Statistics  []string
	Processors  []Processor
	Recipients  []Processor
	Anonymised  []Processor
	Disclosures []Disclosure
	Cookies     Cookies
	Security    []string
	ThirdParty  []string
	Rights      Rights
	Complaint   Complaint
	// Changes says how people are told about a new version (Z11).
	Changes []string
	// History is the change history, newest first (G1).
	History []Change

	lex *lexicon
}

// T returns the catalogue text for key in the statement's language. It is
// what templates call for every heading and label; an unknown key is an
// error, so a gap in the catalogue fails the render.
func (s *Statement) T(key string) (string, error) {
	if v, ok := lookup(s.Lang, key); ok {
		return v, nil
	}
	return "", &missingKeyError{lang: s.Lang, key: key}
}

type missingKeyError struct{ lang, key string }

func (e *missingKeyError) Error() string {
	return "statement: catalogue " + e.lang + " has no " + e.key
}

// Ref is a link to another part of the statement: its name and the id of
// its anchor.
type Ref struct {
	Name   string
	Anchor string
}

// System is one part of the site with its own records and retention rules.
type System struct {
	// Name is empty for a site that declares no systems.
	Name      string
	Anchor    string
	URLs      []string
	Records   []Record
	Retention []RetentionRule
	// Unretained names the records no retention rule reaches, so that
	// what is kept without a period is said as well.
	Unretained []string
}

// Controller is "who we are": the controller (Art. 13(1)(a) GDPR) and every
// contact point the policy names (R14, Z10).
type Controller struct {
	Name string
	// Address holds the postal address lines.
	Address  []string
	KvK      string
	Contacts []Contact
}

// Contact is one contact point with its role in words.
type Contact struct {
	Role  string
	Name  string
	Email string
	Phone string
	URL   string
}

// Record is one kind of record the site keeps, with its fields.
type Record struct {
	Ref
	Description []string
	// Subject says whose record it is: with an account or also without.
	Subject string
	Fields  []Field
	// Purposes are the purposes its fields serve, with their legal basis.
	Purposes []PurposeRef
	// Erasure says in words what happens to it when you ask for erasure.
	Erasure string
}

// Field is one item of personal data.
type Field struct {
	Name string
	// Asked is set for a field the person fills in; only then does
	// Required mean anything (Z2: only the e-mail address is required).
	Asked     bool
	Required  bool
	Sensitive bool
	Editable  bool
	Purposes  []Ref
	Source    string
}

// PurposeRef is a purpose with its legal basis in words.
type PurposeRef struct {
	Ref
	Basis string
}

// Purpose is one reason for processing, its legal basis with the GDPR
// article, and how consent is asked when it is needed.
type Purpose struct {
	Ref
	Description []string
	Basis       string
	// BasisNote is the policy's note on the basis: where the law gives
	// another basis than the site's own statement, both are said.
	BasisNote string
	// Consent is the sentence on consent: where it is asked, or that none
	// is needed.
	Consent string
	// Notice is the exact text next to the consent checkbox, if any.
	Notice string
	// Objection is set when the person may object (Art. 21 GDPR).
	Objection string
	// Told is what the person is told before the data is collected
	// (Art. 13 GDPR; R6: a voucher's creator sees the learning results).
	Told string
	// Counts says what the site counts itself for this purpose (the
	// policy's usage_counts): per page and day, nothing about a person,
	// kept for the policy's period.
	Counts string
	// Data lists the fields used for the purpose, by record kind.
	Data []DataGroup
}

// DataGroup is the fields of one record kind used for a purpose.
type DataGroup struct {
	Record Ref
	Fields []string
}

// RetentionRule is one executable retention rule in words.
type RetentionRule struct {
	Record Ref
	// Condition is the rule's condition in words ("zonder bestelling en
	// zonder nieuwsbriefaanmelding"); empty when the rule has none.
	Condition string
	// Period and Since say how long and counted from when.
	Period string
	Since  string
	// Action is what happens: deleted or anonymised.
	Action string
	// Sentence is the whole rule in one sentence.
	Sentence string
	// Warning is the sentence on the e-mail sent first (Z9), if any.
	Warning string
	// Override is the sentence on contract overrides (R9, R10), if allowed.
	Override    string
	Description []string
}

// Kept is a record kind kept for a legal obligation after erasure is asked.
type Kept struct {
	Record Ref
	Period string
	Reason string
}

// Processor is a processor or recipient of personal data.
type Processor struct {
	Name     string
	Task     string
	Location string
	Records  []Ref
	// Export lists exactly the fields that leave in the party's export
	// (R8, Z6), when the policy declares one.
	Export []DataGroup
	// Anonymity, for an anonymised recipient, says what the export
	// guarantees: the k (and l) 'steward partners export' enforces, from
	// the same policy values (Z6, issue 19).
	Anonymity []string
	// SignIn, for a party whose OpenID Connect client signs people in
	// through Steward, says which data it receives at a sign-in (issue 16).
	SignIn string
	// Role, when the party's role (processor, recipient) is not yet
	// confirmed, says so (issue 20).
	Role string
	// Cookies names the cookies the party provides, for a party that gets
	// no records but reads cookies (analytics).
	Cookies []string
}

// Disclosure is a ground to hand data to an authority without consent (R7).
type Disclosure struct {
	Recipient string
	When      string
	Basis     string
	Records   []Ref
}

// Cookies is the cookie section.
type Cookies struct {
	Groups []CookieGroup
	// Consent is the sentence on consent for cookies.
	Consent string
}

// CookieGroup is the cookies of one category.
type CookieGroup struct {
	Category string
	Title    string
	About    string
	Cookies  []Cookie
}

// Cookie is one cookie in words.
type Cookie struct {
	Name        string
	Host        string
	Provider    string
	Description string
	Purpose     *Ref
	Lifetime    string
	Consent     bool
}

// Rights is the section on data-subject rights (R13, Z8).
type Rights struct {
	List []Right
	// HowTo says how to exercise them; Contacts where.
	HowTo    []string
	Contacts []Contact
	// Deadline, Extension, Identity are sentences on handling a request
	// (Art. 12(3) and 12(6) GDPR).
	Deadline  string
	Extension string
	Identity  string
}

// Right is one honoured right, in words, with its article.
type Right struct {
	ID      string
	Name    string
	Text    string
	Article string
}

// Complaint is the complaint route (Art. 77 GDPR, R14).
type Complaint struct {
	Authority string
	URL       string
	Phone     string
	Sentence  string
	Text      []string
}

// Change is one entry of the change history.
type Change struct {
	Version string
	Date    string
	DateISO string
	Summary string
	Current bool

	sortKey string
}
