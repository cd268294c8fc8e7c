package web

import (
	"net/http"

	"steward"
	"steward/account"
	"steward/anonymise/partner"
)

// partnerExportsOn reports whether the site has anonymised exports to
// list: a policy naming an analysis partner with an export, and the
// service wired.
func (s *Server) partnerExportsOn() bool {
	return s.cfg.Partners != nil && partner.Enabled(s.cfg.Policy)
}

// staffPartnerExportsView is the data of /staff/partner-exports.
type staffPartnerExportsView struct {
	Exports []partner.Listed
}

// staffPartnerExports is GET /staff/partner-exports (issue 19 item 4, Z6):
// every anonymised export handed to a partner, newest first — date,
// partner, the columns, the counts (live accounts and anonymised
// accounts' statistics), k and l achieved, suppressed, the levels, the
// information loss and the report's SHA-256 — each linked to its
// disclosure entry in the audit log. No person appears; privacy officers
// look, as they do at the audit log.
func (s *Server) staffPartnerExports(w http.ResponseWriter, r *http.Request) {
	if !s.partnerExportsOn() {
		s.fail(w, r, steward.Errorf(steward.ENOTFOUND, "error.not_found"))
		return
	}
	if s.requireRole(w, r, account.RolePrivacyOfficer, false) == nil {
		return
	}
	list, err := s.cfg.Partners.Exports(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := mustLang(r)
	s.render(w, r, http.StatusOK, "staff_partner_exports", s.page(r, lang, "staff_partner_exports.title", &staffPartnerExportsView{Exports: list}))
}
