package account

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"steward"
	"steward/policy"
)

// Values are a person's values of one record kind, keyed by field id. Every
// key is a field the policy declares (R4).
type Values map[string]string

// FieldErrors is every problem with a submitted form, one per field, so the
// person sees them all at once (G3). errors.As finds the first
// *steward.Error, so the code is EINVALID.
type FieldErrors []*steward.Error

// Error lists the problems.
func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap exposes each problem to errors.Is and errors.As.
func (fe FieldErrors) Unwrap() []error {
	out := make([]error, len(fe))
	for i, e := range fe {
		out[i] = e
	}
	return out
}

// For returns the problem with field id, or nil.
func (fe FieldErrors) For(field string) *steward.Error {
	for _, e := range fe {
		if e.Field == field {
			return e
		}
	}
	return nil
}

// AsFieldErrors returns err's field errors: the list when err holds one, a
// one-element list for a single field error, nil otherwise.
func AsFieldErrors(err error) FieldErrors {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe
	}
	var e *steward.Error
	if errors.As(err, &e) && e.Field != "" {
		return FieldErrors{e}
	}
	return nil
}

// Default maximum lengths where the policy sets none; a form never takes
// unbounded text (G3).
const (
	defaultTextMax     = 200
	defaultLongTextMax = 5000
	emailMax           = 254
)

// PasswordField is the id under which a policy declares the account's
// password. Its value is never a profile value: only its argon2id hash is
// kept, in the account itself.
const PasswordField = "password"

// Input reports whether a field is entered and changed by the person
// themselves and so appears on the sign-up and profile forms (R1, Z2).
// System and third-party fields are set by Steward; the password has its
// own form.
func Input(f *policy.Field) bool {
	return f.Source == policy.SourceSubject && f.Editable && f.ID != PasswordField
}

// ProfileRecords returns the record kinds a person sees and edits on their
// profile page: those about an account with at least one input field and
// kept as one set of values (not repeatable: those are records), in
// policy order (IVM: account and learning-environment account;
// Zorginspirator: account and profile).
func ProfileRecords(p *policy.Policy) []*policy.Record {
	var out []*policy.Record
	for i := range p.Records {
		r := &p.Records[i]
		if r.Subject == policy.SubjectAccount && !r.Repeatable && len(InputFields(r)) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// SignupRecords returns the record kinds sign-up asks for: the profile
// records kept in the same system as the account record. IVM's
// learning-environment account is filled in later, in the LMS's own
// system; Zorginspirator asks its optional profile at once (Z2).
func SignupRecords(p *policy.Policy) []*policy.Record {
	acct := p.Record(RecordID)
	if acct == nil {
		return nil
	}
	var out []*policy.Record
	for _, r := range ProfileRecords(p) {
		if r.System == acct.System {
			out = append(out, r)
		}
	}
	return out
}

// InputFields returns the fields of rec a person fills in, in policy order.
func InputFields(rec *policy.Record) []*policy.Field {
	var out []*policy.Field
	for i := range rec.Fields {
		if Input(&rec.Fields[i]) {
			out = append(out, &rec.Fields[i])
		}
	}
	return out
}

// EmailField returns the field of rec that holds the login e-mail address
// (the first of type email), or nil.
func EmailField(rec *policy.Record) *policy.Field {
	for i := range rec.Fields {
		if rec.Fields[i].Type == policy.TypeEmail {
			return &rec.Fields[i]
		}
	}
	return nil
}

// Validate checks submitted values of record rec against the policy's field
// declarations and returns them normalised. Every bad field is reported at
// once. A key the policy does not declare, or a field that is not the
// person's to enter, is refused (R4: nothing is stored that the policy does
// not declare). With partial set, required fields absent from in are not
// reported (an edit of some fields); a required field present but empty is.
func Validate(rec *policy.Record, in map[string]string, partial bool) (Values, error) {
	var errs FieldErrors
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f := rec.Field(k)
		if f == nil {
			errs = append(errs, steward.FieldError(k, "error.is_not_field_site"))
		} else if !Input(f) {
			errs = append(errs, steward.FieldError(k, "error.set_by_site"))
		}
	}
	out := Values{}
	for _, f := range InputFields(rec) {
		raw, given := in[f.ID]
		if !given && partial {
			continue
		}
		v, err := normalize(f, raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if v == "" && f.Required {
			errs = append(errs, steward.FieldError(f.ID, "error.is_required"))
			continue
		}
		if given || v != "" {
			out[f.ID] = v
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

var (
	postcodeRE = regexp.MustCompile(`^([1-9][0-9]{3}) ?([A-Z]{2})$`)
	bigRE      = regexp.MustCompile(`^[0-9]{11}$`)
	dateRE     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// Normalize validates one value of field f and returns its stored form; an
// empty value stays empty (Validate decides whether it is required). The
// error is a *steward.Error naming the field, with a message that never
// repeats the value.
func Normalize(f *policy.Field, raw string) (string, error) {
	v, err := normalize(f, raw)
	if err != nil {
		return "", err
	}
	return v, nil
}

func normalize(f *policy.Field, raw string) (string, *steward.Error) {
	v := strings.TrimSpace(raw)
	if f.Type != policy.TypeLongText {
		v = strings.Join(strings.Fields(v), " ")
	}
	if v == "" {
		return "", nil
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' }) {
		return "", steward.FieldError(f.ID, "error.characters_not_allowed")
	}
	tooLong := func(def int) *steward.Error {
		max := f.MaxLength
		if max == 0 {
			max = def
		}
		if utf8.RuneCountInString(v) > max {
			return steward.FieldError(f.ID, "error.must_be_at_most_characters", "max", max)
		}
		return nil
	}
	switch f.Type {
	case policy.TypeText, policy.TypeList:
		if err := tooLong(defaultTextMax); err != nil {
			return "", err
		}
	case policy.TypeLongText:
		if err := tooLong(defaultLongTextMax); err != nil {
			return "", err
		}
	case policy.TypeEmail:
		e, err := NormalizeEmail(v)
		if err != nil {
			return "", steward.FieldError(f.ID, "error.is_not_valid_email")
		}
		v = e
	case policy.TypePostcode:
		m := postcodeRE.FindStringSubmatch(strings.ToUpper(v))
		if m == nil {
			return "", steward.FieldError(f.ID, "error.is_not_dutch_postcode")
		}
		v = m[1] + " " + m[2]
	case policy.TypeInteger:
		n, err := strconv.Atoi(v)
		if err != nil {
			return "", steward.FieldError(f.ID, "error.must_be_whole_number")
		}
		if f.Min != nil && n < *f.Min {
			return "", steward.FieldError(f.ID, "error.must_be_at_least", "min", *f.Min)
		}
		if f.Max != nil && n > *f.Max {
			return "", steward.FieldError(f.ID, "error.must_be_at_most", "max", *f.Max)
		}
		v = strconv.Itoa(n)
	case policy.TypeChoice:
		ok := slices.ContainsFunc(f.Choices, func(c policy.Choice) bool { return c.Value == v })
		if !ok {
			return "", steward.FieldError(f.ID, "error.is_not_one_choices")
		}
	case policy.TypeBIG:
		// R3: a BIG or quality-register number is 11 digits.
		v = strings.ReplaceAll(v, " ", "")
		if !bigRE.MatchString(v) {
			return "", steward.FieldError(f.ID, "error.must_be_11_digits")
		}
	case policy.TypeDate:
		if !dateRE.MatchString(v) {
			return "", steward.FieldError(f.ID, "error.must_be_a_date_as")
		}
	case policy.TypeBool:
		switch strings.ToLower(v) {
		case "true", "on", "1", "yes":
			v = "true"
		case "false", "off", "0", "no":
			v = "false"
		default:
			return "", steward.FieldError(f.ID, "error.must_be_yes_or_no")
		}
	default:
		return "", steward.FieldError(f.ID, "error.has_type_steward_cannot", "type", f.Type)
	}
	return v, nil
}

// NormalizeEmail checks an e-mail address and returns it with its domain in
// lower case. The local part is kept as typed; uniqueness is checked
// case-insensitively by the store.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > emailMax {
		return "", fmt.Errorf("account: bad e-mail length")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("account: not a bare e-mail address")
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || !strings.Contains(s[at+1:], ".") {
		return "", fmt.Errorf("account: e-mail domain has no dot")
	}
	return s[:at] + "@" + strings.ToLower(s[at+1:]), nil
}

// Mask shows a sensitive value as asterisks with its last four characters
// (R3: shown masked except on explicit reveal to its owner).
func Mask(v string) string {
	n := utf8.RuneCountInString(v)
	if n <= 4 {
		return strings.Repeat("*", n)
	}
	r := []rune(v)
	return strings.Repeat("*", n-4) + string(r[n-4:])
}
