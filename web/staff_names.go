package web

import (
	"context"
	"strings"

	"steward/rights"
	"steward/rights/desk"
)

// staffNames are the staff members a staff page mentions, by account id:
// their display name and role in words, so that a page says "Anna de
// Vries (Privacy officer)" instead of an account id and a role code
// (issue 13). Staff pages only: a person's My data names the role.
type staffNames map[string]string

// staffNamesOf looks up the staff accounts ids in lang. The display name
// is the name on the account's profile where the site asks one, else the
// login address; an id that no longer has an account (staff who left) is
// "a staff member".
func (s *Server) staffNamesOf(ctx context.Context, lang string, ids []string) (staffNames, error) {
	out := staffNames{}
	for _, id := range ids {
		if _, done := out[id]; done || id == "" {
			continue
		}
		a, err := s.cfg.Store.AccountByID(ctx, id)
		if err != nil {
			out[id] = s.catalog.Text(lang, "actor.staff_unknown")
			continue
		}
		vals, err := s.cfg.Store.Profile(ctx, id, "account")
		if err != nil {
			return nil, err
		}
		name := strings.TrimSpace(vals["first_name"] + " " + vals["last_name"])
		if name == "" {
			name = a.Email
		}
		if a.IsStaff() {
			name += " (" + s.catalog.Text(lang, "role."+string(a.Role)) + ")"
		}
		out[id] = name
	}
	return out, nil
}

// Actor writes who took a step ("staff:ID", "subject:…", "system:…") in
// words: the staff member by name and role, the person, or Steward itself.
func (p *Page) Actor(actor string, names staffNames) string {
	kind, id, _ := strings.Cut(actor, ":")
	switch kind {
	case "staff":
		if n, ok := names[id]; ok {
			return n
		}
		return p.T("actor.staff_unknown")
	case "subject":
		return p.T("actor.subject")
	case "system":
		// A newsletter sign-up acting themselves has no pseudonym to be
		// named by; the public request page enters a request before
		// anyone has proved they hold the address.
		switch id {
		case desk.SelfJob:
			return p.T("actor.subject")
		case desk.AskJob:
			return p.T("actor.request_page")
		}
		return p.T("actor.system")
	default:
		return p.T("actor.system")
	}
}

// StepNote writes the note of a timeline step in words where Steward
// wrote it as codes (issue 13 item 10): a verification by link names its
// method, a correction the fields by their names; staff's own words stay
// as written.
func (p *Page) StepNote(kind rights.StepKind, note string) string {
	switch {
	case kind == rights.StepVerified && note == string(rights.VerifyEmailLink):
		return p.Term("request_verification", note)
	case kind == rights.StepRectified:
		refs := strings.Split(note, ", ")
		for i, ref := range refs {
			refs[i] = p.FieldName(ref)
		}
		return strings.Join(refs, ", ")
	}
	return note
}

// StaffName is the display name and role of staff account id.
func (p *Page) StaffName(id string, names staffNames) string { return p.Actor("staff:"+id, names) }

// FieldName names a field a staff member viewed: the policy's name of a
// declared field ("account.email"), else the catalogue's words for what
// the staff pages show besides fields ("request.timeline").
func (p *Page) FieldName(ref string) string {
	if key := "viewed_field." + ref; p.cat.Has(key) {
		return p.T(key)
	}
	return rights.FieldName(p.Site, ref).In(p.Lang)
}
