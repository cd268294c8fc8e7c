package web

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"steward/rights"
	"steward/statement"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/retention/runner"
)

// The retention plan for staff (issue 8, R9, R10, Z9; role
// privacy_officer): what the next run would warn, delete and anonymise,
// per rule with counts, and per subject with the reason and the warning
// sent. It is runner.Plan, the one implementation 'steward retention plan'
// prints, evaluated at the clock's now; it changes nothing. Subjects are
// named by account id (or sign-up id), never by address: the page is for
// checking the rules, and whoever needs the person opens their record
// from /staff/, which records the view.

// retentionPageLimit is the default and retentionPageMax the largest page.
const (
	retentionPageLimit = 50
	retentionPageMax   = 500
)

type staffRetentionView struct {
	AsOf  string
	Rules []staffRetentionRule
	Items []staffRetentionItem
	// Rule and Sort are the filter and order in force.
	Rule, Sort string
	// Total is the number of items in the filtered plan.
	Total int
	// Links to the first page, the next page, the CSV export, and the
	// same list by the other order.
	First, Next, CSV, ByDue, ByRule string
	RuleLinks                       []staffRetentionLink
}

type staffRetentionRule struct {
	ID          string
	Description string
	Counts      runner.Counts
}

type staffRetentionLink struct {
	Label, URL string
	Current    bool
}

type staffRetentionItem struct {
	runner.Item
	Due      string
	KindName string
	Warning  string
	// Why is the item's reason in the page's language.
	Why string
}

// staffRetention is GET /staff/retention[?rule=ID][&sort=due|rule]
// [&after=CURSOR][&limit=N][&format=csv].
func (s *Server) staffRetention(w http.ResponseWriter, r *http.Request) {
	au := s.requireRole(w, r, account.RolePrivacyOfficer, false)
	if au == nil {
		return
	}
	q := r.URL.Query()
	order, err := runner.ParseOrder(q.Get("sort"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	after, err := runner.ParseCursor(q.Get("after"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit := retentionPageLimit
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > retentionPageMax {
			s.fail(w, r, steward.FieldError("limit", "error.must_be_number_from", "retention_page_max", retentionPageMax))
			return
		}
	}
	format := q.Get("format")
	if format != "" && format != "html" && format != "csv" {
		s.fail(w, r, steward.FieldError("format", "error.must_be_html_or_csv"))
		return
	}
	e := s.cfg.Retention.Engine
	rule := q.Get("rule")
	var rules []string
	if rule != "" {
		if err := runner.CheckRule(e, rule); err != nil {
			// The rule's problem is told as a problem of the rule field.
			var e *steward.Error
			if errors.As(err, &e) {
				err = &steward.Error{Code: steward.EINVALID, Field: "rule", Key: e.Key, Args: e.Args}
			}
			s.fail(w, r, err)
			return
		}
		rules = []string{rule}
	}
	ctx := r.Context()
	rn := s.cfg.Retention.ForRules(rules...)
	now := s.cfg.Clock.Now()
	rep, err := rn.Plan(ctx, now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep.Sort(order)
	lang := mustLang(r)
	if format == "csv" {
		s.staffRetentionCSV(w, r, au, rep, rule, lang)
		return
	}
	page, next := rep.PageAfter(order, after, limit)
	link := func(set map[string]string) string {
		v := url.Values{}
		for k, val := range map[string]string{"rule": rule, "sort": string(order)} {
			if val != "" {
				v.Set(k, val)
			}
		}
		if limit != retentionPageLimit {
			v.Set("limit", strconv.Itoa(limit))
		}
		if lang != "nl" {
			v.Set("lang", lang)
		}
		for k, val := range set {
			if val == "" {
				v.Del(k)
			} else {
				v.Set(k, val)
			}
		}
		if len(v) == 0 {
			return "/staff/retention"
		}
		return "/staff/retention?" + v.Encode()
	}
	v := &staffRetentionView{AsOf: statement.Date(lang, now.In(s.desk().Location())), Rule: rule, Sort: string(order), Total: len(rep.Items),
		First: link(nil), CSV: link(map[string]string{"format": "csv"}),
		ByDue: link(map[string]string{"sort": string(runner.ByDue)}), ByRule: link(map[string]string{"sort": string(runner.ByRule)})}
	if !next.IsZero() {
		v.Next = link(map[string]string{"after": next.String()})
	}
	v.RuleLinks = append(v.RuleLinks, staffRetentionLink{Label: s.catalog.Text(lang, "staff_retention.all_rules"), URL: link(map[string]string{"rule": ""}), Current: rule == ""})
	for _, id := range rep.Rules {
		v.Rules = append(v.Rules, staffRetentionRule{ID: id, Description: s.ruleWords(lang, id), Counts: *rep.PerRule[id]})
	}
	for _, id := range runner.RuleIDs(e) {
		v.RuleLinks = append(v.RuleLinks, staffRetentionLink{Label: id, URL: link(map[string]string{"rule": id}), Current: rule == id})
	}
	for _, it := range page {
		v.Items = append(v.Items, staffRetentionItem{Item: it, Due: statement.Date(lang, it.DueDate), KindName: rights.RecordName(s.cfg.Policy, it.Kind).In(lang), Warning: s.warningWords(lang, &it),
			Why: it.Reason.Words(lang, s.cfg.Policy)})
	}
	s.render(w, r, http.StatusOK, "staff_retention", s.page(r, lang, "staff_retention.title", v))
}

// ruleWords describes a rule of the plan: the policy rule's description,
// or for a kind kept for a legal obligation the policy's reason to keep it.
func (s *Server) ruleWords(lang, id string) string {
	if ru := s.cfg.Policy.Rule(id); ru != nil {
		return ru.Description.In(lang)
	}
	if rec := s.cfg.Policy.Record(strings.TrimPrefix(id, runner.KeepPrefix)); rec != nil && rec.Keep != nil {
		return rec.Keep.Reason.In(lang)
	}
	return ""
}

// warningWords says whether a warning went out for an item, and when (Z9).
func (s *Server) warningWords(lang string, it *runner.Item) string {
	t := func(key string) string { return s.catalog.Text(lang, key) }
	switch {
	case !it.SentAt.IsZero():
		return t("staff_retention.warning_sent") + " " + statement.Date(lang, it.SentAt)
	case !it.WarnedAt.IsZero():
		return t("staff_retention.warning_queued") + " " + statement.Date(lang, it.WarnedAt)
	case !it.WarnDate.IsZero():
		return t("staff_retention.warning_due") + " " + statement.Date(lang, it.WarnDate)
	}
	return t("staff_retention.warning_none")
}

// staffRetentionCSV writes the whole (filtered, sorted) plan as CSV. The
// export is audited as export.download to the staff member (R12: every
// export is logged); it names subjects by id, never by address.
func (s *Server) staffRetentionCSV(w http.ResponseWriter, r *http.Request, au *authed, rep *runner.Report, rule, lang string) {
	ctx := r.Context()
	objectID := rule
	if objectID == "" {
		objectID = "all"
	}
	err := s.cfg.Store.AppendAudit(ctx, audit.Entry{Time: s.cfg.Clock.Now(), Actor: audit.Staff(au.Account.ID), Action: audit.ExportDownload,
		ObjectKind: "retention_plan", ObjectID: objectID, PolicyVersion: s.cfg.Policy.Version.Number, RequestID: RequestID(ctx)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="retention-plan-`+rep.AsOf.Format(time.DateOnly)+`.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"rule", "outcome", "kind", "target", "subject", "due", "warning_due", "warning_queued", "warning_sent", "reason"})
	for _, it := range rep.Items {
		cw.Write([]string{it.Rule, string(it.Outcome), it.Kind, csvCell(it.Target), csvCell(it.Subject), day(it.DueDate),
			day(it.WarnDate), day(it.WarnedAt), day(it.SentAt), csvCell(it.Reason.Words(lang, s.cfg.Policy))})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.cfg.Log.Error("retention plan export", "request_id", RequestID(ctx), "err", err)
	}
	s.cfg.Log.Info("retention plan exported", "staff", au.Account.ID, "rule", objectID, "rows", len(rep.Items), "lang", lang, "request_id", RequestID(ctx))
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
