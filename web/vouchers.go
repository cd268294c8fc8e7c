package web

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/learning"
	"steward/policy"
	"steward/store"
	"steward/voucher"
	voucherservice "steward/voucher/service"
)

// Vouchers (issue 17 items 1–3, R6): a person redeems a code at
// /vouchers/redeem after reading what it means; an organisation manager
// (their organisation) or staff creates batches and reads the report
// under /staff/organisations/{id}. Handlers only decode, call
// voucher/service and render.

// vouchersEnabled reports whether the site has vouchers.
func (s *Server) vouchersEnabled() bool {
	return s.cfg.Vouchers != nil && voucher.Enabled(s.cfg.Policy) && learning.Enabled(s.cfg.Policy)
}

// vouchersOn answers 404 unless the policy declares vouchers and courses.
func (s *Server) vouchersOn(w http.ResponseWriter, r *http.Request) bool {
	if s.vouchersEnabled() {
		return true
	}
	s.notFound(w, r)
	return false
}

type redeemView struct {
	CSRF  string
	Code  string
	Offer *voucherservice.Offer
	Error string
}

// voucherRedeem is GET /vouchers/redeem: the form for a code.
func (s *Server) voucherRedeem(w http.ResponseWriter, r *http.Request) {
	if !s.vouchersOn(w, r) {
		return
	}
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	if au.Account.IsStaff() {
		s.fail(w, r, steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_enrol"))
		return
	}
	s.render(w, r, http.StatusOK, "voucher_redeem", s.page(r, mustLang(r), "voucher_redeem.title", &redeemView{CSRF: au.Session.CSRF}))
}

// voucherCheck takes a token from the account's and the client's voucher
// buckets: guessing codes is slow whoever tries.
func (s *Server) voucherCheck(r *http.Request, au *authed) error {
	return checkLimits(s.limits.voucherIP, s.clientIP(r), s.limits.voucherAccount, au.Account.ID)
}

// voucherPreview is POST /vouchers/redeem: the code is checked and the
// page says, in the policy's words, what redeeming it means; nothing is
// stored yet.
func (s *Server) voucherPreview(w http.ResponseWriter, r *http.Request) {
	s.voucherStep(w, r, false)
}

// voucherConfirm is POST /vouchers/redeem/confirm: the person confirmed
// the notice they were shown (its hash travels with the form); the code
// is redeemed and they are enrolled, or nothing changes.
func (s *Server) voucherConfirm(w http.ResponseWriter, r *http.Request) {
	s.voucherStep(w, r, true)
}

func (s *Server) voucherStep(w http.ResponseWriter, r *http.Request, confirm bool) {
	if !s.vouchersOn(w, r) {
		return
	}
	au := s.requireLogin(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	lang := mustLang(r)
	code := strings.TrimSpace(r.PostForm.Get("code"))
	v := &redeemView{CSRF: au.Session.CSRF, Code: code}
	var err error
	if err = s.voucherCheck(r, au); err == nil {
		if confirm {
			v.Offer, err = s.cfg.Vouchers.Redeem(r.Context(), au.Account, code, lang, r.PostForm.Get("notice"))
		} else {
			v.Offer, err = s.cfg.Vouchers.Preview(r.Context(), au.Account, code, lang)
		}
	}
	if err != nil {
		if steward.ErrorCode(err) == "" {
			s.fail(w, r, err)
			return
		}
		if steward.ErrorCode(err) == steward.ECONFLICT && confirm {
			// The notice changed, or they are in the course already:
			// show the notice in force again with the reason.
			v.Offer, _ = s.cfg.Vouchers.Preview(r.Context(), au.Account, code, lang)
		} else {
			v.Offer = nil
		}
		if steward.ErrorCode(err) == steward.ETOOMANY {
			w.Header().Set("Retry-After", "60")
		}
		v.Error = s.catalog.Error(lang, err)
		s.render(w, r, httpStatus(steward.ErrorCode(err)), "voucher_redeem", s.page(r, lang, "voucher_redeem.title", v))
		return
	}
	if !confirm {
		s.render(w, r, http.StatusOK, "voucher_redeem", s.page(r, lang, "voucher_redeem.title", v))
		return
	}
	q := url.Values{"done": {"enrolled"}}
	if lang != "nl" {
		q.Set("lang", lang)
	}
	http.Redirect(w, r, "/courses/"+url.PathEscape(v.Offer.Course.Slug)+"?"+q.Encode(), http.StatusSeeOther)
}

type staffVouchersView struct {
	Orgs []store.OrganisationSummary
}

// staffVouchers is GET /staff/vouchers: the organisations whose vouchers
// the viewer manages (an organisation manager: their own).
func (s *Server) staffVouchers(w http.ResponseWriter, r *http.Request) {
	if !s.vouchersOn(w, r) {
		return
	}
	au := s.requireOrgStaff(w, r)
	if au == nil {
		return
	}
	list, err := s.cfg.Organisations.List(r.Context(), orgActor(au))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_vouchers", s.page(r, mustLang(r), "staff_vouchers.title", &staffVouchersView{Orgs: list}))
}

type orgVouchersView struct {
	OrgID, OrgName string
	Batches        []*voucher.Batch
	Courses        []courseOption
	CSRF           string
	MinDay         string
	// Created holds a new batch's codes, shown this once.
	Created *voucher.Batch
	Codes   []string
}

// CourseTitle is the title of the course with slug, for a batch's row;
// the slug itself for a course no longer in the catalogue.
func (v *orgVouchersView) CourseTitle(slug string) policy.Text {
	for _, c := range v.Courses {
		if c.Slug == slug {
			return c.Title
		}
	}
	return policy.Text{NL: slug, EN: slug}
}

type courseOption struct {
	Slug  string
	Title policy.Text
}

// orgVouchers is GET /staff/organisations/{id}/vouchers: the batches and
// the form that creates one.
func (s *Server) orgVouchers(w http.ResponseWriter, r *http.Request) {
	if !s.vouchersOn(w, r) {
		return
	}
	au := s.requireOrgStaff(w, r)
	if au == nil {
		return
	}
	v, err := s.orgVouchersView(r, au)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_org_vouchers", s.page(r, mustLang(r), "staff_org_vouchers.title", v))
}

func (s *Server) orgVouchersView(r *http.Request, au *authed) (*orgVouchersView, error) {
	ctx := r.Context()
	id := r.PathValue("id")
	batches, err := s.cfg.Vouchers.Batches(ctx, au.Account, id)
	if err != nil {
		return nil, err
	}
	o, err := s.cfg.Store.Organisation(ctx, id)
	if err != nil {
		return nil, err
	}
	courses, err := s.cfg.Learning.Catalogue(ctx, false)
	if err != nil {
		return nil, err
	}
	v := &orgVouchersView{OrgID: o.ID, OrgName: o.Name, Batches: batches, CSRF: au.Session.CSRF,
		MinDay: s.cfg.Clock.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)}
	for _, c := range courses {
		v.Courses = append(v.Courses, courseOption{Slug: c.Slug, Title: c.Title})
	}
	return v, nil
}

// orgVouchersCreate is POST /staff/organisations/{id}/vouchers: a batch
// is made and its codes are shown once on the page, or sent once as a
// CSV file ("as=csv"); only their hashes stay.
func (s *Server) orgVouchersCreate(w http.ResponseWriter, r *http.Request) {
	if !s.vouchersOn(w, r) {
		return
	}
	au := s.requireOrgStaff(w, r)
	if au == nil || !s.checkForm(w, r, au) {
		return
	}
	f := r.PostForm
	day, err := time.Parse(time.DateOnly, f.Get("expires"))
	if err != nil {
		s.fail(w, r, steward.FieldError("expires", "error.voucher_expiry_past"))
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("count")))
	if err != nil {
		s.fail(w, r, steward.FieldError("count", "error.voucher_count", "max", voucher.MaxCount))
		return
	}
	b, codes, err := s.cfg.Vouchers.Create(r.Context(), au.Account, voucher.Batch{Organisation: r.PathValue("id"),
		Course: f.Get("course"), Count: n, ExpiresAt: voucher.ExpiresAfter(day), Label: strings.TrimSpace(f.Get("label"))})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if f.Get("as") == "csv" {
		var buf bytes.Buffer
		if err := voucher.WriteCodesCSV(&buf, b, codes); err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="vouchers-`+b.ID+`.csv"`)
		w.Write(buf.Bytes())
		return
	}
	v, err := s.orgVouchersView(r, au)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Created, v.Codes = b, codes
	s.render(w, r, http.StatusOK, "staff_org_vouchers", s.page(r, mustLang(r), "staff_org_vouchers.title", v))
}

type reportView struct {
	OrgID, OrgName string
	Columns        []voucher.Column
	Rows           [][]string
	Q              string
}

// orgVoucherReport is GET /staff/organisations/{id}/voucher-report (and
// ?format=csv): each redeemer with exactly the fields the policy declares
// for the voucher report. Every redeemer shown is a staff view in their
// My data, recorded before the report is sent.
func (s *Server) orgVoucherReport(w http.ResponseWriter, r *http.Request) {
	if !s.vouchersOn(w, r) {
		return
	}
	au := s.requireOrgStaff(w, r)
	if au == nil {
		return
	}
	ctx := r.Context()
	lang := mustLang(r)
	asCSV := r.URL.Query().Get("format") == "csv"
	how := "voucher_report"
	if asCSV {
		how = "voucher_report_csv"
	}
	id := r.PathValue("id")
	rep, err := s.cfg.Vouchers.Report(ctx, au.Account, id, how)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.cfg.Store.Organisation(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	courses, err := s.cfg.Learning.Catalogue(ctx, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	titles := map[string]string{}
	for _, c := range courses {
		titles[c.Slug] = c.Title.In(lang)
	}
	p := s.page(r, lang, "staff_voucher_report.title", nil)
	v := &reportView{OrgID: o.ID, OrgName: o.Name, Columns: rep.Columns, Q: langQuery(lang)}
	for _, row := range rep.Rows {
		cells := make([]string, len(rep.Columns))
		for i, c := range rep.Columns {
			cells[i] = s.reportCell(p, c, row.Values[c.ID()], titles, row)
		}
		v.Rows = append(v.Rows, cells)
	}
	w.Header().Set("Cache-Control", "no-store")
	if asCSV {
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		head := make([]string, len(rep.Columns))
		for i, c := range rep.Columns {
			head[i] = c.Name.In(lang)
		}
		cw.Write(head)
		for _, cells := range v.Rows {
			safe := make([]string, len(cells))
			for i, c := range cells {
				safe[i] = voucher.CSVSafe(c)
			}
			cw.Write(safe)
		}
		cw.Flush()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="voucher-report.csv"`)
		w.Write(buf.Bytes())
		return
	}
	p.Data = v
	s.render(w, r, http.StatusOK, "staff_voucher_report", p)
}

// reportCell writes one value in the reader's words: a course by its
// title, dates in their language, a yes or no, and "not completed yet"
// for a result that does not exist.
func (s *Server) reportCell(p *Page, c voucher.Column, val string, titles map[string]string, row store.ReportRow) string {
	f := s.cfg.Policy.Record(c.Kind).Field(c.Field)
	switch {
	case c.Field == "course":
		if t, ok := titles[val]; ok {
			return t
		}
		return val
	case c.Kind == "learning_result" && val == "":
		if c.ID() == firstResultColumn(s.cfg.Policy) && !hasResult(row) {
			return p.T("staff_voucher_report.not_completed")
		}
		return ""
	case f != nil && f.Type == policy.TypeDate:
		if t, err := time.Parse(time.DateOnly, val); err == nil {
			return p.Date(t)
		}
	case f != nil && f.Type == policy.TypeBool:
		if val == "true" {
			return p.T("staff_voucher_report.yes")
		}
		return p.T("staff_voucher_report.no")
	}
	return val
}

// firstResultColumn is the report's first learning-result column, where a
// redeemer without a result reads "not completed yet".
func firstResultColumn(p *policy.Policy) string {
	for _, c := range voucher.ReportColumns(p) {
		if c.Kind == "learning_result" {
			return c.ID()
		}
	}
	return ""
}

func hasResult(row store.ReportRow) bool {
	for k := range row.Values {
		if strings.HasPrefix(k, "learning_result.") {
			return true
		}
	}
	return false
}
