package web

import (
	"net/http"
	"strings"
	"time"

	"steward"
	"steward/audit"
	"steward/rights"
	"steward/rights/desk"
)

// staffDisclosureAdd is POST /staff/disclosures: record a disclosure of a
// person's data to a third party on one of the policy's grounds (R7). The
// person is named by e-mail address; a request id, when given, must be
// theirs.
func (s *Server) staffDisclosureAdd(w http.ResponseWriter, r *http.Request) {
	s.staffStep(w, r, func(d *desk.Desk, actor audit.Actor) (string, error) {
		p, err := s.cfg.Store.AccountByEmail(r.Context(), r.PostFormValue("email"))
		if err != nil {
			return "", steward.Errorf(steward.ENOTFOUND, "error.no_account_has_email")
		}
		on, err := time.Parse(time.DateOnly, r.PostFormValue("date"))
		if err != nil {
			return "", steward.FieldError("date", "error.must_be_a_date_yyyy_mm_dd")
		}
		n := rights.NewDisclosure{SubjectID: p.ID, Ground: r.PostFormValue("ground"), Recipient: r.PostFormValue("recipient"),
			Reference: r.PostFormValue("reference"), RequestID: r.PostFormValue("request"), DisclosedOn: on,
			WithholdReason: r.PostFormValue("withhold_reason")}
		n.Withheld = n.WithholdReason != ""
		for _, c := range r.PostForm["categories"] {
			for _, part := range strings.Split(c, ",") {
				if part = strings.TrimSpace(part); part != "" {
					n.Categories = append(n.Categories, part)
				}
			}
		}
		if _, err := d.RecordDisclosure(r.Context(), actor, n); err != nil {
			return "", err
		}
		return n.RequestID, nil
	})
}
