package web

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/message"
	"steward/policy"
	"steward/rights"
)

// TestTermsCoverEveryCode: every coded value "My data" and the staff
// request pages show — request types, statuses, channels, steps and
// verification methods, consent channels, legal bases, deletion actions —
// has a text in every language, so no page shows a raw
// id or a bracketed key (G1).
func TestTermsCoverEveryCode(t *testing.T) {
	cat := message.Default()
	groups := map[string][]any{}
	for _, v := range rights.Types {
		groups["request_type"] = append(groups["request_type"], v)
	}
	for _, v := range []rights.Status{rights.StatusReceived, rights.StatusVerified, rights.StatusCompleted, rights.StatusRefused} {
		groups["request_status"] = append(groups["request_status"], v)
	}
	for _, v := range rights.Channels {
		groups["request_channel"] = append(groups["request_channel"], v)
	}
	for _, v := range []rights.StepKind{rights.StepReceived, rights.StepVerifyAsked, rights.StepVerified, rights.StepExtended,
		rights.StepExtendMailed, rights.StepNote, rights.StepCompleted, rights.StepRefused} {
		groups["request_step"] = append(groups["request_step"], v)
	}
	for _, v := range []rights.Verification{rights.VerifySession, rights.VerifyEmailLink, rights.VerifyManual} {
		groups["request_verification"] = append(groups["request_verification"], v)
	}
	for _, v := range policy.Channels {
		groups["consent_channel"] = append(groups["consent_channel"], v)
	}
	for _, v := range policy.LegalBases {
		groups["legal_basis"] = append(groups["legal_basis"], v)
	}
	for _, v := range []policy.Action{policy.ActionDelete, policy.ActionAnonymise} {
		groups["deletion_action"] = append(groups["deletion_action"], v)
	}
	for _, v := range account.Roles {
		groups["role"] = append(groups["role"], v)
	}
	for _, v := range []rights.StepKind{rights.StepReceived, rights.StepVerifyAsked, rights.StepVerified, rights.StepExtended,
		rights.StepExtendMailed, rights.StepNote, rights.StepCompleted, rights.StepRefused, rights.StepExportProduced,
		rights.StepAnswerMailed, rights.StepAnswerNotMailed} {
		groups["staff_step"] = append(groups["staff_step"], v)
	}
	// What the staff pages show besides declared fields, as recorded in
	// a staff view (staff.go, staff_requests.go).
	for _, v := range append(slices.Clone(staffLookupFields), "processing_limits", "request.channel", "request.received_on",
		"request.status", "request.timeline", "request.type", "request.purpose", "request.details", "request.extension_reason") {
		if !strings.HasPrefix(v, "account.email") {
			groups["viewed_field"] = append(groups["viewed_field"], v)
		}
	}
	for _, lang := range policy.Languages {
		p := &Page{Lang: lang, cat: cat}
		for g, ids := range groups {
			for _, id := range ids {
				if s := p.Term(g, id); s == "" || s[0] == '[' {
					t.Errorf("%s: no text for %s %s", lang, g, fmt.Sprint(id))
				}
			}
		}
	}
}

// requirementID is a requirement id such as (R4) or (Z9): the reviewers'
// shorthand, never a text for the person reading a page.
var requirementID = regexp.MustCompile(`\([RZG][0-9]+\)`)

// operatorOnly are the catalogue's messages for the operator, not for a
// page: guards of the store and the CLI that name the requirement they
// keep.
var operatorOnly = map[string]bool{
	"error.is_not_declared_record": true, "error.sensitive_must_be_sealed": true, "error.record_kind_not_declared": true,
	"error.policy_declares_no_disclosures": true, "error.policy_declares_sensitive_field": true,
}

// TestNoTextShowsARequirementID: no text a person reads carries a
// requirement id. That every key the code names has its text in every
// language is message.TestEveryKeyExistsAndIsUsed.
func TestNoTextShowsARequirementID(t *testing.T) {
	cat := message.Default()
	for _, key := range cat.Keys() {
		if operatorOnly[key] {
			continue
		}
		for _, lang := range policy.Languages {
			if text := cat.Text(lang, key); requirementID.MatchString(text) {
				t.Errorf("%s.json: %s shows a requirement id: %q", lang, key, text)
			}
		}
	}
}

// TestBodyLimitAnswersInThePageLanguage: the plain-text 413 of an
// oversize body is in the page's language, Dutch by default.
func TestBodyLimitAnswersInThePageLanguage(t *testing.T) {
	s := &Server{catalog: message.Default()}
	h := s.withBodyLimit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the handler ran for an oversize body")
	}))
	for target, want := range map[string]string{"/signup": "Het verzoek is te groot.", "/signup?lang=en": "The request is too large."} {
		req := httptest.NewRequest("POST", target, strings.NewReader(strings.Repeat("x", maxBody+1)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge || strings.TrimSpace(rec.Body.String()) != want {
			t.Errorf("POST %s: %d %q, want 413 %q", target, rec.Code, rec.Body.String(), want)
		}
	}
}

// TestFormRefusalsAreDutch: a sign-up with a record the form does not ask
// and a form that cannot be read are refused in Dutch on a Dutch page,
// without English words or requirement ids.
func TestFormRefusalsAreDutch(t *testing.T) {
	h := NewForTest(t, Config{Policy: testkit.Policy(t, "ivm"), Store: testkit.SQLite(t), Log: testkit.Log(t).Logger,
		Clock: clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))},
		wiring.Config{HashParams: &account.HashParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path, body string) (int, string) {
		resp, err := c.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, html.UnescapeString(string(b))
	}
	resp, err := c.Get(srv.URL + "/signup")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token on /signup:\n%s", page)
	}
	form := url.Values{"csrf": {string(m[1])}, "account.email": {"anna@example.nl"}, "account.first_name": {"Anna"}, "account.last_name": {"de Vries"},
		"account.organisation": {"Apotheek Noord"}, "account.job_title": {"apotheker"}, "account.sector": {"zorg"},
		"password": {"correct horse battery"}, "hobby.name": {"zeilen"}}
	code, body := post("/signup", form.Encode())
	if code != http.StatusBadRequest && code != http.StatusUnprocessableEntity {
		t.Errorf("sign-up with an undeclared record: %d, want 400 or 422", code)
	}
	if !strings.Contains(body, "wordt bij het aanmelden niet gevraagd") || strings.Contains(body, "is not asked") || requirementID.MatchString(body) {
		t.Errorf("sign-up refusal is not Dutch or shows a requirement id:\n%s", body)
	}
	code, body = post("/cookies", "choice=%zz")
	if code != http.StatusBadRequest || !strings.Contains(body, "Het formulier kon niet worden gelezen") {
		t.Errorf("unreadable cookie form: %d, want 400 in Dutch:\n%s", code, body)
	}
}
