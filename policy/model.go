// Package policy is the privacy statement as code: the model of a site's
// policy file, its strict loader and its validator. Everything Steward does
// with personal data reads its rules from a *Policy, and the statement a
// person reads is rendered from the same value, so the two cannot drift.
//
// The package does no I/O beyond reading the file it is asked to load.
package policy

import "time"

// FormatVersion is the version of the policy file format this package reads.
// A file declares it in its top-level "format" key.
const FormatVersion = 1

// Policy is one site's privacy policy.
type Policy struct {
	Format     int         `yaml:"format"`
	Site       Site        `yaml:"site"`
	Version    Version     `yaml:"version"`
	History    []Change    `yaml:"history"`
	Controller Controller  `yaml:"controller"`
	Intro      Text        `yaml:"intro"`
	Purposes   []Purpose   `yaml:"purposes"`
	Records    []Record    `yaml:"records"`
	Retention  []Rule      `yaml:"retention"`
	Processors []Processor `yaml:"processors"`
	// Generalisations are the hierarchies by which an anonymised export
	// coarsens its quasi-identifiers (Z6, issue 19), one per field.
	Generalisations []Generalisation `yaml:"generalisations"`
	Disclosures     []Disclosure     `yaml:"disclosures"`
	Cookies         []Cookie         `yaml:"cookies"`
	Rights          Rights           `yaml:"rights"`
	Security        []Text           `yaml:"security"`
	// ThirdPartySites is the note that the statement does not cover linked sites.
	ThirdPartySites Text `yaml:"third_party_sites"`
	// Changes says how people are told about a new version of the policy (Z11).
	Changes Text `yaml:"changes"`
	// Notices says how long a published change is announced on every page
	// (Z11; issue 20).
	Notices Notices `yaml:"notices"`
	// UsageCounts, when declared, is what the site counts itself to
	// improve usability (Z4, Z5; issue 18 item 8): per page and per day,
	// how often it was opened — no identifier, no address, no cookie.
	// Nil counts nothing.
	UsageCounts *UsageCounts `yaml:"usage_counts"`

	// SHA256 is the hex SHA-256 of the bytes the policy was parsed from;
	// set by the loader. A published version is known by it (issue 20).
	SHA256 string `yaml:"-"`
	// Unconfirmed lists the values marked !unconfirmed; set by the loader.
	Unconfirmed []Unconfirmed `yaml:"-"`

	// File is the path the policy was loaded from; set by the loader.
	File string `yaml:"-"`
	Pos  Pos    `yaml:"-"`

	purposes map[string]*Purpose
	records  map[string]*Record
}

// Notices is how a published change of the policy is announced.
type Notices struct {
	// BannerDays is how many days after a change takes effect the banner
	// about it shows on every page: 1 to MaxBannerDays, DefaultBannerDays
	// when left out.
	BannerDays int `yaml:"banner_days"`
	Pos        Pos `yaml:"-"`
}

// UsageCounts declares the site's own usage counts: the purpose they
// serve and how long a day's counts are kept.
type UsageCounts struct {
	// Purpose is the declared purpose the counts serve (Zorginspirator:
	// usability).
	Purpose string `yaml:"purpose"`
	// Keep is how long a day's counts are kept after that day.
	Keep Duration `yaml:"keep"`
	Pos  Pos      `yaml:"-"`
}

// The banner's period in days: the default, and the most it may be (the
// lifetime of the cookie that remembers a visitor's dismissal).
const (
	DefaultBannerDays = 30
	MaxBannerDays     = 90
)

// BannerPeriod is how long the banner about a change shows after the
// change takes effect.
func (p *Policy) BannerPeriod() time.Duration {
	d := p.Notices.BannerDays
	if d == 0 {
		d = DefaultBannerDays
	}
	return time.Duration(d) * 24 * time.Hour
}

// Site names the website the policy governs.
type Site struct {
	ID   string   `yaml:"id"`
	Name string   `yaml:"name"`
	URLs []string `yaml:"urls"`
	// Systems lists the separate systems of a site that keeps personal data
	// in more than one place (IVM: the website and the learning environment),
	// so the statement can say what is kept where. Record.System and
	// Cookie.Host refer to them. A site with one system leaves it empty.
	Systems []System `yaml:"systems"`
	// Home is what the site's start page says it offers (issue 13): the
	// site's own words, kept with its policy so that no content lives in
	// code. Optional; without it the start page names the site only.
	Home Home `yaml:"home"`
	// Catalogue turns on the site's catalogue of functies and opleidingen
	// (issue 18): the /functies and /opleidingen pages. It is site
	// content, not personal data; a site without it has no such pages.
	Catalogue bool `yaml:"catalogue"`
	Pos       Pos  `yaml:"-"`
}

// Home is the start page's content: a sentence on what the site is, and
// what it offers, each with where to find it.
type Home struct {
	Intro  Text    `yaml:"intro"`
	Offers []Offer `yaml:"offers"`
	Pos    Pos     `yaml:"-"`
}

// Offer is one thing the site offers: a title, a sentence, and a link to
// it — a path on the site ("/signup") or an https address.
type Offer struct {
	Title Text   `yaml:"title"`
	Text  Text   `yaml:"text"`
	Link  string `yaml:"link"`
	// LinkText is the link's words.
	LinkText Text `yaml:"link_text"`
	Pos      Pos  `yaml:"-"`
}

// System is one part of a site with its own data and its own hosts.
type System struct {
	ID   string `yaml:"id"`
	Name Text   `yaml:"name"`
	// URLs are the addresses the system answers on; their host names are
	// the hosts a cookie may be limited to.
	URLs []string `yaml:"urls"`
	Pos  Pos      `yaml:"-"`
}

// Version identifies the policy text in force.
type Version struct {
	Number string `yaml:"number"`
	Date   Date   `yaml:"date"`
	Pos    Pos    `yaml:"-"`
}

// Change is one entry of the policy's change history (G1).
type Change struct {
	Version string `yaml:"version"`
	Date    Date   `yaml:"date"`
	Summary Text   `yaml:"summary"`
	Pos     Pos    `yaml:"-"`
}

// Controller is the organisation responsible for the processing (Art. 4(7) GDPR).
type Controller struct {
	Name    string  `yaml:"name"`
	Address Address `yaml:"address"`
	// KvK is the Dutch chamber-of-commerce number, when the site states it.
	KvK            string  `yaml:"kvk"`
	Contact        Contact `yaml:"contact"`
	PrivacyContact Contact `yaml:"privacy_contact"`
	// DPO is the data-protection officer (functionaris gegevensbescherming).
	DPO      Contact `yaml:"dpo"`
	Helpdesk Contact `yaml:"helpdesk"`
	Pos      Pos     `yaml:"-"`
}

// Address is a postal address.
type Address struct {
	Street   string `yaml:"street"`
	Postcode string `yaml:"postcode"`
	City     string `yaml:"city"`
	Country  string `yaml:"country"`
}

// IsZero reports whether no part of the address is given.
func (a Address) IsZero() bool { return a == Address{} }

// Contact is a way to reach a person or desk.
type Contact struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
	Phone string `yaml:"phone"`
	URL   string `yaml:"url"`
	Pos   Pos    `yaml:"-"`
}

// IsZero reports whether the contact gives no way to reach anyone.
func (c Contact) IsZero() bool { return c.Email == "" && c.Phone == "" && c.URL == "" }

// LegalBasis is one of the six grounds of Art. 6(1) GDPR.
type LegalBasis string

// The legal bases of Art. 6(1)(a)–(f) GDPR.
const (
	Consent             LegalBasis = "consent"              // (a)
	Contract            LegalBasis = "contract"             // (b)
	LegalObligation     LegalBasis = "legal_obligation"     // (c)
	VitalInterests      LegalBasis = "vital_interests"      // (d)
	PublicTask          LegalBasis = "public_task"          // (e)
	LegitimateInterests LegalBasis = "legitimate_interests" // (f)
)

// LegalBases lists every legal basis in the order of Art. 6(1).
var LegalBases = []LegalBasis{Consent, Contract, LegalObligation, VitalInterests, PublicTask, LegitimateInterests}

// Article returns the article reference, e.g. "6(1)(a)".
func (b LegalBasis) Article() string {
	for i, l := range LegalBases {
		if l == b {
			return "6(1)(" + string(rune('a'+i)) + ")"
		}
	}
	return ""
}

// Valid reports whether b is one of the six legal bases.
func (b LegalBasis) Valid() bool { return b.Article() != "" }

// Channel is a place where a person can give or withdraw consent.
type Channel string

// The consent channels Steward offers.
const (
	ChannelSignup       Channel = "signup"
	ChannelSettings     Channel = "settings"
	ChannelCookieNotice Channel = "cookie_notice"
	ChannelNewsletter   Channel = "newsletter_form"
	ChannelAPI          Channel = "api"
)

// Channels lists the valid consent channels.
var Channels = []Channel{ChannelSignup, ChannelSettings, ChannelCookieNotice, ChannelNewsletter, ChannelAPI}

// Purpose is one reason for processing personal data.
type Purpose struct {
	ID          string     `yaml:"id"`
	Name        Text       `yaml:"name"`
	Description Text       `yaml:"description"`
	LegalBasis  LegalBasis `yaml:"legal_basis"`
	// BasisNote says, where the site's own statement gives another basis
	// than the law allows or requires, what it promised as well, so that
	// the statement says both (issue 20).
	BasisNote Text `yaml:"basis_note"`
	// Consent is required when LegalBasis is consent: where consent is asked
	// and the exact notice text the person agrees to.
	Consent *ConsentSpec `yaml:"consent"`
	// Notice, when given, is shown where data for this purpose is first
	// collected, before the person confirms (Art. 13 GDPR). R6: whoever
	// redeems a voucher is told that its creator will see their learning
	// results. Consent purposes use Consent.Notice instead.
	Notice Text `yaml:"notice"`
	Pos    Pos  `yaml:"-"`
}

// NeedsConsent reports whether processing for p is allowed only while the
// person's consent stands.
func (p *Purpose) NeedsConsent() bool { return p.LegalBasis == Consent }

// Objectable reports whether a person may object to p (Art. 21 GDPR applies
// to processing based on public task or legitimate interests).
func (p *Purpose) Objectable() bool {
	return p.LegalBasis == LegitimateInterests || p.LegalBasis == PublicTask
}

// ConsentSpec says how consent for a purpose is asked.
type ConsentSpec struct {
	Channels []Channel `yaml:"channels"`
	// Notice is the text shown next to the checkbox; its hash is stored with
	// every consent record so the words agreed to can always be shown.
	Notice Text `yaml:"notice"`
	// Tailored says that the notice asks consent for news tailored to the
	// person (Z4, issue 18 item 6): a mailing for the purpose may then be
	// composed per recipient from the data the policy declares for the
	// purpose, for those whose consent was given with these words. The
	// statement says so beside the notice.
	Tailored bool `yaml:"tailored"`
	Pos      Pos  `yaml:"-"`
}

// Subject says whose data a record kind holds.
type Subject string

// Record subjects.
const (
	// SubjectAccount records belong to a person with an account.
	SubjectAccount Subject = "account"
	// SubjectVisitor records belong to someone without an account (newsletter
	// sign-up, a visitor's cookie choice, saved items in a session).
	SubjectVisitor Subject = "visitor"
)

// Erasure says what happens to a record when its subject is erased.
type Erasure string

// Erasure actions.
const (
	EraseDelete    Erasure = "delete"
	EraseAnonymise Erasure = "anonymise"
	// EraseKeep keeps the record for a legal obligation (for example orders
	// for bookkeeping), for the period in Keep.
	EraseKeep Erasure = "keep"
)

// Record is a kind of record Steward keeps (a data category): its fields,
// whose it is and what erasure does to it.
type Record struct {
	ID          string  `yaml:"id"`
	Name        Text    `yaml:"name"`
	Description Text    `yaml:"description"`
	Subject     Subject `yaml:"subject"`
	// System is the id of the Site.Systems entry the record lives in, for
	// sites with more than one (IVM's website and its learning environment).
	System  string  `yaml:"system"`
	Fields  []Field `yaml:"fields"`
	Erasure Erasure `yaml:"erasure"`
	Keep    *Keep   `yaml:"keep"`
	// Repeatable kinds are kept as any number of items a person adds,
	// changes and removes themselves, each its own record with its own
	// deletion date (Zorginspirator's job and education history, Z2); the
	// profile page does not edit them as one set of values.
	Repeatable bool `yaml:"repeatable"`
	Pos        Pos  `yaml:"-"`
}

// Field returns the field with the given id, or nil.
func (r *Record) Field(id string) *Field {
	for i := range r.Fields {
		if r.Fields[i].ID == id {
			return &r.Fields[i]
		}
	}
	return nil
}

// Keep is a legal obligation to keep a record after erasure is asked.
type Keep struct {
	Period Duration `yaml:"period"`
	Since  Anchor   `yaml:"since"`
	Reason Text     `yaml:"reason"`
	Pos    Pos      `yaml:"-"`
}

// FieldType is the type of a field, which decides its validation.
type FieldType string

// Field types.
const (
	TypeText     FieldType = "text"
	TypeLongText FieldType = "longtext"
	TypeEmail    FieldType = "email"
	TypePostcode FieldType = "postcode_nl"
	TypeInteger  FieldType = "integer"
	TypeChoice   FieldType = "choice"
	TypeBIG      FieldType = "big_number"
	TypeDate     FieldType = "date"
	TypeBool     FieldType = "bool"
	TypeList     FieldType = "list"
)

// FieldTypes lists the valid field types.
var FieldTypes = []FieldType{TypeText, TypeLongText, TypeEmail, TypePostcode, TypeInteger, TypeChoice, TypeBIG, TypeDate, TypeBool, TypeList}

// Source says where a field's value comes from.
type Source string

// Sources of personal data (Art. 13/14 GDPR).
const (
	SourceSubject    Source = "data_subject"
	SourceSystem     Source = "system"
	SourceThirdParty Source = "third_party"
)

// Field is one item of personal data.
type Field struct {
	ID       string    `yaml:"id"`
	Name     Text      `yaml:"name"`
	Type     FieldType `yaml:"type"`
	Required bool      `yaml:"required"`
	// Sensitive fields are encrypted at rest and shown masked (R3).
	Sensitive bool     `yaml:"sensitive"`
	Purposes  []string `yaml:"purposes"`
	Source    Source   `yaml:"source"`
	// Editable fields can be changed by the person themselves (rectification).
	Editable bool `yaml:"editable"`
	// Validation limits, by type.
	MaxLength int      `yaml:"max_length"`
	Min       *int     `yaml:"min"`
	Max       *int     `yaml:"max"`
	Choices   []Choice `yaml:"choices"`
	// References names the catalogue a text field's stored value is a
	// key of ("course": a course's slug; "catalogue_item": a functie's or
	// opleiding's id); "My data" shows the entry's title instead of the
	// key, the export the stored value.
	References string `yaml:"references"`
	Pos        Pos    `yaml:"-"`
}

// ReferenceCourse is the References value of a field holding a course's
// slug.
const ReferenceCourse = "course"

// ReferenceCatalogueItem is the References value of a field holding the
// id of one of Zorginspirator's functies or opleidingen (issue 18); the
// record's "kind" field says which of the two.
const ReferenceCatalogueItem = "catalogue_item"

// References lists the valid values of Field.References.
var References = []string{ReferenceCourse, ReferenceCatalogueItem}

// Choice is one allowed value of a choice field.
type Choice struct {
	Value string `yaml:"value"`
	Label Text   `yaml:"label"`
}

// Anchor is the moment a retention period counts from.
type Anchor string

// Retention anchors.
const (
	SinceCreated      Anchor = "created"
	SinceLastLogin    Anchor = "last_login"
	SinceLastActivity Anchor = "last_activity"
	// SinceWithdrawn is when the subject withdrew the consent the record
	// rests on (a newsletter sign-up's unsubscribe); only for a rule with
	// where.withdrawn: true.
	SinceWithdrawn Anchor = "withdrawn"
)

// Anchors lists the valid anchors of a record's erasure keep period.
var Anchors = []Anchor{SinceCreated, SinceLastLogin, SinceLastActivity}

// RuleAnchors lists the valid anchors of a retention rule: Anchors, and
// the withdrawal of consent.
var RuleAnchors = []Anchor{SinceCreated, SinceLastLogin, SinceLastActivity, SinceWithdrawn}

// Action is what a retention rule does to the records it matches.
type Action string

// Retention actions.
const (
	ActionDelete    Action = "delete"
	ActionAnonymise Action = "anonymise"
)

// Rule is an executable retention rule (R9, R10, Z9): records of kind Record
// that satisfy Where are deleted or anonymised once Period has fully passed
// since Since, that is when Period.AddTo(anchor) is not after the moment of
// the run. Acting on a record of a subject's account kind erases that
// subject in the record's system: each of their other records there gets
// its own Record.Erasure (delete, anonymise or keep), exactly as an erasure
// request would, so a rule never leaves orphaned data behind.
type Rule struct {
	ID          string    `yaml:"id"`
	Description Text      `yaml:"description"`
	Record      string    `yaml:"record"`
	Where       Condition `yaml:"where"`
	Since       Anchor    `yaml:"since"`
	Period      Duration  `yaml:"period"`
	Action      Action    `yaml:"action"`
	// WarnBefore, when set, sends the person an e-mail this long before the
	// action; the action waits until the warning has gone out (Z9).
	WarnBefore Duration `yaml:"warn_before"`
	// ContractOverride allows a per-organisation contract to set another period.
	ContractOverride bool `yaml:"contract_override"`
	Pos              Pos  `yaml:"-"`
}

// Condition is the small, closed vocabulary a retention rule selects
// records with; the retention engine evaluates it, so every part must stay
// executable as a query. All given parts must hold; an empty condition
// matches every record of the rule's kind.
type Condition struct {
	// Confirmed, when set, requires the matched record to have been
	// confirmed by its subject (true) or never confirmed (false): an
	// account's e-mail address, a newsletter sign-up's double opt-in (R2).
	Confirmed *bool `yaml:"confirmed"`
	// Withdrawn, when set, requires the subject to have withdrawn (true)
	// or not withdrawn (false) the consent the record rests on: an
	// unsubscribed newsletter sign-up (R2). Only for a record kind whose
	// fields serve a purpose resting on consent.
	Withdrawn *bool `yaml:"withdrawn"`
	// HasAny requires the matched record's subject to have at least one
	// record of one of these kinds (R9: accounts with orders or downloads).
	HasAny []string `yaml:"has_any"`
	// HasNone requires the matched record's subject to have no record of any
	// of these kinds (R10: LMS accounts not linked to any course).
	HasNone []string `yaml:"has_none"`
	Pos     Pos      `yaml:"-"`
}

// ProcessorRole distinguishes processors from other recipients.
type ProcessorRole string

// Recipient kinds.
const (
	// RoleProcessor processes on the controller's behalf (Art. 28 GDPR).
	RoleProcessor ProcessorRole = "processor"
	// RoleRecipient receives data for its own use as well (the statement
	// promises no record of each disclosure: nothing records them yet).
	RoleRecipient ProcessorRole = "recipient"
	// RoleAnonymisedRecipient receives only anonymised data (Z6).
	RoleAnonymisedRecipient ProcessorRole = "anonymised_recipient"
)

// Processor is a party that processes or receives data.
type Processor struct {
	ID       string        `yaml:"id"`
	Name     string        `yaml:"name"`
	Kind     ProcessorRole `yaml:"kind"`
	Task     Text          `yaml:"task"`
	Records  []string      `yaml:"records"`
	Location string        `yaml:"location"`
	// Export, when given, is the file Steward hands this party (R8: the
	// accreditation export for PE-online; Z6: the anonymised partner
	// export). Only the fields it lists ever leave.
	Export *Export `yaml:"export"`
	// Claims, when given, are what the party's OpenID Connect client
	// receives when a person signs in to it through Steward (issue 16: the
	// learning environment's sign-in). Only these claims are released,
	// each from the one declared field it names.
	Claims []Claim `yaml:"claims"`
	Pos    Pos     `yaml:"-"`
}

// Claim maps an OpenID Connect claim name to the declared field whose
// value it carries ("email" from "lms_account.email"). The record kind
// must be one the party receives (Processor.Records).
type Claim struct {
	// Name is the claim's name: a standard one (email, given_name,
	// family_name, ...) or the site's own (register_number).
	Name string `yaml:"claim"`
	// Field is the "record.field" the claim's value comes from.
	Field string `yaml:"field"`
	Pos   Pos    `yaml:"-"`
}

// ReservedClaims are the claim names the protocol itself sets (OpenID
// Connect Core 1.0 §2 and §5.1; RFC 9068): a policy cannot map a field
// onto them.
var ReservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr",
	"azp", "at_hash", "c_hash", "sid", "client_id", "scope", "cnf", "act", "email_verified", "phone_number_verified", "updated_at"}

// ExportFormat is the file format of an export to a processor or recipient.
type ExportFormat string

// Export formats.
const (
	ExportCSV  ExportFormat = "csv"
	ExportJSON ExportFormat = "json"
)

// ExportFormats lists the valid export formats.
var ExportFormats = []ExportFormat{ExportCSV, ExportJSON}

// Export describes the file a processor or recipient receives. Listing the
// columns in the policy keeps the export as small as the purpose allows
// (Art. 5(1)(c) GDPR) and lets the statement say exactly what is shared.
type Export struct {
	Format ExportFormat `yaml:"format"`
	// Fields are the exported columns as "record.field"; each record kind
	// must be one the party is declared to receive (Processor.Records).
	Fields []string `yaml:"fields"`
	// MinK is, for an anonymised_recipient, the least k every export must
	// reach: each combination of the exported values is shared by at least
	// MinK people, after generalisation (Z6: the export must withstand
	// re-identification). Required, at least 2, for anonymised recipients;
	// not allowed for others, whose exports are not anonymous.
	MinK int `yaml:"min_k"`
	// MinL is, for an anonymised_recipient, the least number of distinct
	// values a sensitive column must show within each group of MinK
	// (l-diversity); 0 means not required.
	MinL int `yaml:"min_l"`
	// Purpose is, for an anonymised_recipient, the purpose the export
	// serves: only people whose processing for it is allowed (no
	// restriction or objection, consent where it rests on consent) are in
	// it, and every exported field must serve it.
	Purpose string `yaml:"purpose"`
	// Sensitive lists the exported fields that are not quasi-identifiers:
	// they are not generalised, and when MinL is set every group shows at
	// least MinL distinct values of each (l-diversity). Every other
	// exported field is a quasi-identifier and needs a Generalisation.
	Sensitive []string `yaml:"sensitive"`
	// MaxSuppressedPercent is the most records (percent of the dataset) the
	// exporter may leave out because their group is too small; 0 allows
	// none.
	MaxSuppressedPercent int `yaml:"max_suppressed_percent"`
	Pos                  Pos `yaml:"-"`
}

// Generalisation is the hierarchy of one quasi-identifier "record.field":
// from the stored value (level 0) through Levels, each coarser than the one
// before, to "*" (any value), which is always the last level (Z6).
type Generalisation struct {
	Field  string     `yaml:"field"`
	Levels []GenLevel `yaml:"levels"`
	// Statistics names the level at which an anonymised account keeps
	// this field in the statistics table (Z9: it still counts in
	// statistics, nothing links it to the person): one of Levels' names,
	// or "value" for a choice field, whose values are a closed list. Empty:
	// the field does not survive anonymisation.
	Statistics string `yaml:"statistics"`
	Pos        Pos    `yaml:"-"`
}

// StatisticsValue is the Statistics level that keeps a choice field's
// value as it is.
const StatisticsValue = "value"

// GenLevel is one level of a hierarchy; exactly one of Band, Date, Ranges
// and Groups is given.
type GenLevel struct {
	Name string `yaml:"name"`
	// Band, for an integer field, groups values in bands this wide
	// (5: 30–34); a later band must be a multiple of an earlier one.
	Band int `yaml:"band"`
	// Date, for a date field: month, quarter or year, in that order.
	Date string `yaml:"date"`
	// Ranges, as the first level of a postcode_nl field, map the postcode's
	// four digits to a region; they must not overlap and must cover
	// 1000–9999.
	Ranges []GenRange `yaml:"ranges"`
	// Groups map each value of the level below to exactly one parent.
	Groups []GenGroup `yaml:"groups"`
	Pos    Pos        `yaml:"-"`
}

// GenRange maps the postcodes From–To (four digits, inclusive) to Value.
type GenRange struct {
	From  int    `yaml:"from"`
	To    int    `yaml:"to"`
	Value string `yaml:"value"`
	Pos   Pos    `yaml:"-"`
}

// GenGroup is a parent value and the values of the level below it covers.
type GenGroup struct {
	Value   string   `yaml:"value"`
	Members []string `yaml:"members"`
	Pos     Pos      `yaml:"-"`
}

// Date levels of a hierarchy, finest first.
var GenDates = []string{"month", "quarter", "year"}

// Disclosure is a legal obligation or ground to hand data to a third party
// without consent (R7). Every actual disclosure is recorded.
type Disclosure struct {
	ID         string     `yaml:"id"`
	Recipient  Text       `yaml:"recipient"`
	When       Text       `yaml:"when"`
	LegalBasis LegalBasis `yaml:"legal_basis"`
	Records    []string   `yaml:"records"`
	Pos        Pos        `yaml:"-"`
}

// CookieCategory groups cookies for the cookie notice.
type CookieCategory string

// Cookie categories.
const (
	CookieNecessary  CookieCategory = "necessary"
	CookieFunctional CookieCategory = "functional"
	CookieAnalytics  CookieCategory = "analytics"
	// CookiePersonal measures a person's visits through a party that
	// sees them as that person (Zorginspirator's "persoonlijke cookies":
	// the Facebook pixel for Facebook Analytics, on a site without ads).
	CookiePersonal  CookieCategory = "personal"
	CookieMarketing CookieCategory = "marketing"
)

// CookieCategories lists the categories in the order the notice shows them.
var CookieCategories = []CookieCategory{CookieNecessary, CookieFunctional, CookieAnalytics, CookiePersonal, CookieMarketing}

// Cookie is one cookie (or similar technique) the site sets.
type Cookie struct {
	Name     string         `yaml:"name"`
	Provider string         `yaml:"provider"`
	Category CookieCategory `yaml:"category"`
	Purpose  string         `yaml:"purpose"`
	// Lifetime is "session" or a duration.
	Lifetime Lifetime `yaml:"lifetime"`
	// Consent says whether the cookie may be set only after consent.
	Consent bool `yaml:"consent"`
	// Host limits the cookie to one host name of the site (from Site.URLs or
	// a system's URLs), when the site has several; empty means every host.
	Host        string `yaml:"host"`
	Description Text   `yaml:"description"`
	Pos         Pos    `yaml:"-"`
}

// Right is a data-subject right of Chapter III GDPR.
type Right string

// The rights Steward can honour.
const (
	RightAccess        Right = "access"           // Art. 15
	RightRectification Right = "rectification"    // Art. 16
	RightErasure       Right = "erasure"          // Art. 17
	RightRestriction   Right = "restriction"      // Art. 18
	RightPortability   Right = "portability"      // Art. 20
	RightObjection     Right = "objection"        // Art. 21
	RightWithdraw      Right = "withdraw_consent" // Art. 7(3)
)

// AllRights lists every right Steward knows, in article order.
var AllRights = []Right{RightAccess, RightRectification, RightErasure, RightRestriction, RightPortability, RightObjection, RightWithdraw}

// DeadlineFrom says when the response deadline starts when identity proof
// had to be asked for.
type DeadlineFrom string

// Deadline starts.
const (
	FromReceipt       DeadlineFrom = "receipt"
	FromIdentityProof DeadlineFrom = "identity_proof"
)

// Rights says which rights the site honours and how requests are handled (R13, Z8).
type Rights struct {
	Honoured []Right `yaml:"honoured"`
	// Response is the answer deadline (Art. 12(3): one month).
	Response Duration `yaml:"response"`
	// Extension is the most a complex request may be extended by (two months).
	Extension Duration `yaml:"extension"`
	// VerifyIdentity says whether identity may be checked first.
	VerifyIdentity bool         `yaml:"verify_identity"`
	DeadlineFrom   DeadlineFrom `yaml:"deadline_from"`
	HowTo          Text         `yaml:"how_to"`
	Complaint      Complaint    `yaml:"complaint"`
	Pos            Pos          `yaml:"-"`
}

// Honours reports whether the site honours right r.
func (r *Rights) Honours(right Right) bool {
	for _, h := range r.Honoured {
		if h == right {
			return true
		}
	}
	return false
}

// Complaint is the supervisory authority a person may complain to (Art. 77).
type Complaint struct {
	Authority string `yaml:"authority"`
	URL       string `yaml:"url"`
	Phone     string `yaml:"phone"`
	Text      Text   `yaml:"text"`
	Pos       Pos    `yaml:"-"`
}
