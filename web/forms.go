package web

import (
	"net/http"
	"strconv"
	"strings"

	"steward"
	"steward/account"
	"steward/policy"
)

// formField is one input as a template draws it: label, value kept after
// an error, the error next to it.
type formField struct {
	Name, ID, Label, Input string
	Required               bool
	Value, Error           string
	Choices                []formChoice
	Min, Max               string
	MaxLength              int
	Sensitive, Masked      bool
	// Revealable marks a masked sensitive value its owner may show.
	Revealable bool
}

type formChoice struct {
	Value, Label string
	Selected     bool
}

// formSection is one record kind's fields.
type formSection struct {
	Title  string
	Fields []formField
}

// formError is one line of the error summary, linked to its field.
type formError struct {
	Anchor, Text string
}

// formData is what every account form template gets.
type formData struct {
	Action   string
	CSRF     string
	Sections []formSection
	Errors   []formError
	// Email and Next are kept on the login and reset forms.
	Email, Next string
	Token       string
	Notice      string
	Reauth      bool
	Extra       any
	// Consents are the sign-up form's consent boxes (Z3).
	Consents []signupConsent
	// Keep offers, on the login and sign-up forms, to keep what a visitor
	// saved and answered in their session (issue 18); nil for none.
	Keep *keepOffer
}

// keepOffer is what the session holds that an account could keep.
type keepOffer struct {
	Saved   int
	Answers bool
}

// fieldID is the HTML id of a form input, the target of its error link.
func fieldID(name string) string { return "f-" + strings.NewReplacer(".", "-", "_", "-").Replace(name) }

// section builds the inputs of one record kind in lang, with submitted or
// stored values and any errors.
func (s *Server) section(lang string, rec *policy.Record, vals account.Values, errs account.FieldErrors, skip func(*policy.Field) bool) formSection {
	sec := formSection{Title: rec.Name.In(lang)}
	for _, f := range account.InputFields(rec) {
		if skip != nil && skip(f) {
			continue
		}
		name := rec.ID + "." + f.ID
		ff := formField{Name: name, ID: fieldID(name), Label: f.Name.In(lang), Required: f.Required,
			Value: vals[f.ID], MaxLength: f.MaxLength, Sensitive: f.Sensitive}
		switch f.Type {
		case policy.TypeEmail:
			ff.Input = "email"
		case policy.TypeInteger:
			ff.Input = "number"
			if f.Min != nil {
				ff.Min = strconv.Itoa(*f.Min)
			}
			if f.Max != nil {
				ff.Max = strconv.Itoa(*f.Max)
			}
		case policy.TypeChoice:
			ff.Input = "select"
			for _, c := range f.Choices {
				label := c.Label.In(lang)
				if label == "" {
					label = c.Value
				}
				ff.Choices = append(ff.Choices, formChoice{Value: c.Value, Label: label, Selected: c.Value == vals[f.ID]})
			}
		case policy.TypeLongText, policy.TypeList:
			ff.Input = "textarea"
		case policy.TypeDate:
			ff.Input = "date"
		default:
			ff.Input = "text"
		}
		if e := errs.For(name); e != nil {
			ff.Error = s.catalog.Error(lang, e)
		}
		sec.Fields = append(sec.Fields, ff)
	}
	return sec
}

// summary turns field errors into the error summary at the top of a form,
// each linked to its field. Labels come from the policy.
func (s *Server) summary(lang string, errs account.FieldErrors) []formError {
	var out []formError
	for _, e := range errs {
		label := e.Field
		if rid, fid, ok := strings.Cut(e.Field, "."); ok {
			if rec := s.cfg.Policy.Record(rid); rec != nil {
				if f := rec.Field(fid); f != nil {
					label = f.Name.In(lang)
				}
			}
		} else if e.Field == "password" || e.Field == "email" {
			label = s.catalog.Text(lang, "form."+e.Field)
		}
		out = append(out, formError{Anchor: "#" + fieldID(e.Field), Text: label + ": " + s.catalog.Error(lang, e)})
	}
	return out
}

// recordForm collects the "record.field" inputs of a submitted form.
// Unknown records and fields are kept, so validation refuses them (R4).
func recordForm(r *http.Request) map[string]map[string]string {
	out := map[string]map[string]string{}
	for k, vs := range r.PostForm {
		rid, fid, ok := strings.Cut(k, ".")
		if !ok || len(vs) == 0 {
			continue
		}
		if out[rid] == nil {
			out[rid] = map[string]string{}
		}
		out[rid][fid] = vs[0]
	}
	return out
}

// parseForm reads a posted form; a body over the limit or malformed is a
// clear 4xx (the middleware bounds its size).
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return steward.Errorf(steward.EINVALID, "error.form_unreadable")
	}
	return nil
}

// checkForm reads the form a logged-in person posted and checks its
// session CSRF token. It reports whether the handler may go on; when not,
// it has answered (400 for an unreadable form, 403 for a bad token).
func (s *Server) checkForm(w http.ResponseWriter, r *http.Request, au *authed) bool {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return false
	}
	if err := checkSessionCSRF(au, r.PostForm.Get("csrf")); err != nil {
		s.fail(w, r, err)
		return false
	}
	return true
}
