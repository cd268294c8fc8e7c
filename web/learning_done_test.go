package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"steward/account"
	"steward/accreditation"
	accservice "steward/accreditation/service"
	"steward/apikey"
	"steward/audit"
	"steward/internal/testkit"
	lmsoutbox "steward/lms"
	"steward/store"
)

// TestLearningDoneWhen is issue 16's "done when", on both stores, through
// the real pages, the OpenID Connect provider, the xAPI resource, the
// accreditation export, the retention engine and the LMS outbox against
// the test Moodle: a pharmacist signs up, is linked to a hospital by an
// invitation she accepts, enrols in a course, signs in to the learning
// environment through Steward (which receives only the claims the policy
// declares for Avetica), the LMS posts a passing statement, the result
// shows in My data, the accreditation export lists it with her register
// number, and four years after her last LMS sign-in the LMS rule deletes
// her learning-environment account and Moodle receives the delete call.
// Every step is in the audit log, which holds no personal value.
func TestLearningDoneWhen(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		importCourses(t, st, "ivm")
		moodle := testkit.NewMoodle(t)
		since := testkit.AuditHead(t, s)

		// A pharmacist signs up (the mailed confirmation link, as
		// mailed) and gives her learning-environment details.
		anna := st.loggedInPerson("anna@example.org")
		fillLMSAccount(t, anna)
		acct, err := s.AccountByEmail(ctx, "anna@example.org")
		if err != nil {
			t.Fatal(err)
		}

		// A privacy officer adds the hospital and invites her; she
		// accepts by the mailed link.
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		hospital := addOrganisation(t, officer, "Ziekenhuis Noord")
		page := "/staff/organisations/" + hospital
		mails := len(st.smtp.Messages())
		if resp, _ := officer.submit(page, page+"/invite", url.Values{"email": {"anna@example.org"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("invite: %d", resp.StatusCode)
		}
		link, _ := st.mailLink(mails + 1)
		if resp, body := anna.follow(link, url.Values{"answer": {"accept"}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("accept: %d\n%s", resp.StatusCode, mainOf(t, body))
		}
		if a, _ := s.AccountByID(ctx, acct.ID); a.OrganisationID != hospital {
			t.Fatalf("after accepting, her organisation is %q", a.OrganisationID)
		}
		// She bought a publication in the shop (issue 17): an order keeps
		// the website account seven years after her last login, so the
		// learning environment's own rule is what ends her LMS account.
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertRecord(ctx, testkit.Policy(t, "ivm"), &store.Record{Subject: acct.ID, Kind: "order", CreatedAt: st.clock.Now()})
		}); err != nil {
			t.Fatal(err)
		}

		// She enrols in the free course by its button.
		if resp, _ := anna.submit("/courses/medicatiebewaking", "/courses/medicatiebewaking/enrol", url.Values{}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("enrol: %d", resp.StatusCode)
		}
		lmsID, err := s.RecordOfKind(ctx, acct.ID, "lms_account")
		if err != nil || lmsID == 0 {
			t.Fatalf("the enrolment made no learning-environment account: %d %v", lmsID, err)
		}
		sub := strconv.FormatInt(lmsID, 10)

		// She signs in to the learning environment through Steward; the
		// LMS (go-oidc and x/oauth2, as Moodle's auth_oauth2) gets only
		// the claims the policy declares for Avetica, and creates its
		// user from them with the subject as idnumber.
		l := newLMS(t, st, false)
		verifier := oauth2.GenerateVerifier()
		code := l.authorize(t, anna, oauth2.S256ChallengeOption(verifier), gooidc.Nonce("n-1"))
		tok, err := l.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := l.provider.Verifier(&gooidc.Config{ClientID: l.clientID}).Verify(ctx, raw)
		if err != nil || idt.Subject != sub {
			t.Fatalf("ID token: subject %v, %v; want %s", idt, err, sub)
		}
		signIn := st.clock.Now()
		ui, err := l.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]any
		if err := ui.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"sub": sub, "email": "anna.lms@example.org", "given_name": "Anna", "family_name": "de Vries", "register_number": "19012345601"}
		if got, w := jsonOf(claims), jsonOf(want); got != w {
			t.Fatalf("userinfo:\n got %s\nwant %s", got, w)
		}
		user := moodle.AddUser(sub, "anna.lms@example.org", "Anna", "de Vries")

		// The LMS reports her passing the course as an xAPI statement,
		// with Avetica's key; the result shows in her My data.
		svc := st.wired(t)
		key, err := svc.APIKeys.Create(ctx, audit.Staff("a-po"), "avetica", apikey.ScopeXAPI, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		lrs := &lms{t: t, base: st.srv.URL, user: key.Key.ID, secret: key.Secret}
		if code, body := lrs.send("POST", "", statement("", st.srv.URL, lmsID, "passed",
			"https://moodle-nascholing.example/course/view.php?id=42", `{"score": {"scaled": 0.9}, "success": true, "completion": true}`)); code != http.StatusOK {
			t.Fatalf("statement: %d %s", code, body)
		}
		_, data := anna.get("/account/data")
		text := visibleText(t, data)
		for _, w := range []string{"Leerresultaat", "Medicatiebewaking", "Ziekenhuis Noord", "Avetica"} {
			if !strings.Contains(text, w) {
				t.Errorf("My data lacks %q", w)
			}
		}
		if t.Failed() {
			t.Fatalf("My data:\n%s", mainOf(t, data))
		}

		// The accreditation export for PE-online lists the course with
		// her full register number and the course's points.
		var file bytes.Buffer
		res, err := svc.Accreditation.Export(ctx, audit.Staff("a-po"), accservice.Options{Recipient: "pe_online", Register: "knmp",
			Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Prefix: accreditation.DefaultPrefix}, st.sealer.OpenField,
			func(rows []accreditation.Row) error { return accreditation.Write(&file, rows) })
		if err != nil || res.Rows != 1 || !strings.Contains(file.String(), "BIG-19012345601,medicatiebewaking,42,") {
			t.Fatalf("accreditation export %+v %v:\n%s", res, err, file.String())
		}

		// Four years after her last LMS sign-in, less a minute, nothing
		// happens; at four years the LMS rule deletes her learning-
		// environment account (her website account, with its order,
		// stays), and the outbox tells Moodle, which deletes its user.
		d := lmsoutbox.NewDispatcher(s, lmsoutbox.NewClient(lmsoutbox.Config{URL: moodle.URL, Token: moodle.Token}, nil), svc.LMSValues, st.clock, svc.Audit,
			lmsoutbox.Options{FirstRetry: time.Minute})
		st.clock.Set(signIn.AddDate(4, 0, 0).Add(-time.Minute))
		if _, err := st.wired(t).Retention.RunAsOf(ctx, st.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if id, _ := s.RecordOfKind(ctx, acct.ID, "lms_account"); id != lmsID {
			t.Fatal("the learning-environment account went before its four years")
		}
		st.clock.Set(signIn.AddDate(4, 0, 0))
		rep, err := st.wired(t).Retention.RunAsOf(ctx, st.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if id, _ := s.RecordOfKind(ctx, acct.ID, "lms_account"); id != 0 || rep.PerRule["lms_account_inactive"] == nil || rep.PerRule["lms_account_inactive"].Delete != 1 {
			t.Fatalf("four years on: lms_account %d, per rule %+v; want it deleted by lms_account_inactive", id, rep.PerRule["lms_account_inactive"])
		}
		if _, err := s.AccountByID(ctx, acct.ID); err != nil {
			t.Fatalf("her website account went with the LMS account: %v", err)
		}
		if r, err := d.DeliverDue(ctx); err != nil || r.Done != 1 {
			t.Fatalf("deliver to Moodle: %+v %v", r, err)
		}
		if !moodle.User(user).Deleted || len(moodle.CallsOf("core_user_delete_users")) != 1 {
			t.Fatalf("Moodle's user after the rule: %+v, %d delete calls", moodle.User(user), len(moodle.CallsOf("core_user_delete_users")))
		}

		// Every step is in the audit log, in order, about her pseudonym;
		// no personal value is anywhere in it.
		assertAuditSteps(t, s, since, audit.Pseudonym(acct.Pseudonym), audit.AccountCreate, audit.OrganisationJoin, audit.EnrolmentCreate,
			audit.OIDCSignIn, audit.OIDCRelease, audit.LearningResultCreate, audit.AccreditationCreate, audit.AccreditationReport,
			audit.RetentionDelete, audit.LMSDelete)
		testkit.AssertNoPersonalValues(t, s, "anna@example.org", "anna.lms@example.org", "19012345601", "de Vries")
	})
}

// assertAuditSteps checks that the audit log after since holds, about
// the person p, the actions steps in this order (other entries between
// them allowed): a done-when test's "every step is audited".
func assertAuditSteps(t *testing.T, s *store.Store, since uint64, p audit.Pseudonym, steps ...audit.Action) {
	t.Helper()
	next := 0
	for _, e := range testkit.AuditSince(t, s, since) {
		if next < len(steps) && e.Action == steps[next] && e.Subject == p {
			next++
		}
	}
	if next < len(steps) {
		t.Errorf("the audit log about %s lacks %s (and what follows it) in order", p, steps[next])
	}
}
