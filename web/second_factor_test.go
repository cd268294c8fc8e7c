package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

var (
	secretRE   = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	recoveryRE = regexp.MustCompile(`<li><code>([a-z2-7]{6}-[a-z2-7]{6}-[a-z2-7]{6}-[a-z2-7]{6})</code></li>`)
)

// code is the TOTP code the browser's authenticator shows at the site's
// clock.
func (b *browser) code() string {
	b.t.Helper()
	c, err := account.TOTPCode(b.totp, b.clock.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

// enrolSecondFactor sets up a second factor through the security pages as
// a person does: it asks for a key, reads the key the page shows, confirms
// with the code the library computes from it, and returns the recovery
// codes shown once. The browser logs in with codes from then on.
func (b *browser) enrolSecondFactor() []string {
	b.t.Helper()
	resp, page := b.submit("/account/security", "/account/security/setup", url.Values{})
	m := secretRE.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(page, `src="data:image/png;base64,`) {
		b.t.Fatalf("set-up page: %d, want the key as text and a QR code\n%s", resp.StatusCode, page)
	}
	b.totp = m[1]
	resp, page = b.submit("/account/security", "/account/security/confirm", url.Values{"code": {b.code()}})
	var codes []string
	for _, c := range recoveryRE.FindAllStringSubmatch(page, -1) {
		codes = append(codes, c[1])
	}
	if resp.StatusCode != http.StatusOK || len(codes) != account.RecoveryCodeCount {
		b.t.Fatalf("confirm: %d with %d recovery codes\n%s", resp.StatusCode, len(codes), page)
	}
	return codes
}

// newStaff stores a staff account with a password and no second factor.
func newStaff(t *testing.T, st *site, email string, role account.Role) *account.Account {
	t.Helper()
	ctx := context.Background()
	a := &account.Account{ID: account.NewID("a-"), Email: email, Pseudonym: string(audit.NewPseudonym()), Role: role,
		CreatedAt: st.clock.Now(), ConfirmedAt: st.clock.Now(), PasswordHash: account.HashPassword("staff password 1", cheapHash)}
	if err := st.store.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestStaffWithoutSecondFactorGetsNoStaffPage: staff who logged in with
// the password alone are sent to set up a second factor from every staff
// page, a staff POST is refused, and the API gives them no token (ASVS
// 4.3.1; issue 14, finding 4).
func TestStaffWithoutSecondFactorGetsNoStaffPage(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		person := insertPerson(t, st, "anna@example.org")
		newStaff(t, st, "admin@example.org", account.RoleAdmin)
		b := st.browser()
		if resp := b.login("admin@example.org", "staff password 1"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/security" {
			t.Fatalf("first staff login: %d %s, want 303 to the set-up", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, p := range []string{"/staff/", "/staff/people/" + person.ID, "/staff/audit", "/staff/requests", "/staff/requests/r-1", "/staff/retention"} {
			if resp, body := b.get(p); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/security" {
				t.Errorf("GET %s without a second factor: %d %s\n%s", p, resp.StatusCode, resp.Header.Get("Location"), body)
			}
		}
		csrf := b.csrf("/account/security")
		for _, p := range []string{"/staff/", "/staff/people/" + person.ID + "/revoke-sessions", "/staff/requests", "/staff/disclosures"} {
			if resp, _ := b.post(p, url.Values{"csrf": {csrf}, "email": {"anna@example.org"}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s without a second factor: %d, want 403", p, resp.StatusCode)
			}
		}
		resp, body := b.api("POST", "/api/v1/login", "", `{"email":"admin@example.org","password":"staff password 1"}`)
		if resp.StatusCode != http.StatusForbidden || body["token"] != nil {
			t.Errorf("API login of staff without a second factor: %d %v", resp.StatusCode, body)
		}
		// Once enrolled in this session, the staff pages open.
		b.enrolSecondFactor()
		if resp, _ := b.get("/staff/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("/staff/ after enrolment: %d", resp.StatusCode)
		}
	})
}

// TestSecondFactorLogin: staff with a second factor get no session from the
// password alone — the half-done login opens nothing, lives five minutes
// and allows five codes; a code works once (the code of the enrolment's
// time step is refused and logged, ASVS 2.8.4, 2.8.5); a recovery code
// works once and is mailed; the enrolment was mailed (ASVS 2.2.3).
func TestSecondFactorLogin(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		a := newStaff(t, st, "officer@example.org", account.RolePrivacyOfficer)
		b := st.browser()
		b.login("officer@example.org", "staff password 1")
		since := testkit.AuditHead(t, s)
		codes := b.enrolSecondFactor()
		_, m := st.mailLink(1)
		if m.EnvelopeTo[0] != "officer@example.org" || !strings.Contains(m.Subject, "tweede factor") {
			t.Fatalf("enrolment notice: to %v %q", m.EnvelopeTo, m.Subject)
		}
		f, err := s.SecondFactor(ctx, a.ID)
		if err != nil || !f.Enrolled() || !account.IsSealed(f.Secret) || strings.Contains(f.Secret, b.totp) {
			t.Fatalf("stored second factor: %+v %v (want enrolled, sealed)", f, err)
		}
		b.submit("/account", "/logout", url.Values{})

		// The same code again, in the same time step: refused and logged.
		resp, _ := b.submit("/login", "/login", url.Values{"email": {"officer@example.org"}, "password": {"staff password 1"}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login/code") || sessionCookie(resp) != nil {
			t.Fatalf("password step: %d %s, cookie %v; want 303 to the code step and no session", resp.StatusCode, loc, sessionCookie(resp))
		}
		if resp, _ := b.get("/account"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the half-done login opened /account: %d", resp.StatusCode)
		}
		if resp, body := b.submit("/login/code", "/login/code", url.Values{"code": {b.code()}}); resp.StatusCode != http.StatusUnauthorized || sessionCookie(resp) != nil {
			t.Fatalf("replayed code: %d\n%s", resp.StatusCode, body)
		}
		st.clock.Advance(account.TOTPPeriod)
		if resp, _ := b.submit("/login/code", "/login/code", url.Values{"code": {"000000"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code: %d", resp.StatusCode)
		}
		resp, _ = b.submit("/login/code", "/login/code", url.Values{"code": {b.code()}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/" || sessionCookie(resp) == nil {
			t.Fatalf("code step: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := b.get("/staff/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("/staff/ after the code step: %d", resp.StatusCode)
		}
		b.submit("/account", "/logout", url.Values{})

		// A recovery code works once, and the account is told.
		st.clock.Advance(account.TOTPPeriod)
		b.submit("/login", "/login", url.Values{"email": {"officer@example.org"}, "password": {"staff password 1"}})
		if resp, _ := b.submit("/login/code", "/login/code", url.Values{"code": {strings.ToUpper(codes[3])}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("recovery code: %d", resp.StatusCode)
		}
		if _, m := st.mailLink(2); !strings.Contains(m.Subject, "herstelcode") {
			t.Fatalf("recovery notice: %q", m.Subject)
		}
		_, page := b.get("/account/security")
		if !strings.Contains(page, "Herstelcodes over: 9.") {
			t.Fatalf("security page after a recovery code:\n%s", page)
		}
		b.submit("/account", "/logout", url.Values{})
		b.submit("/login", "/login", url.Values{"email": {"officer@example.org"}, "password": {"staff password 1"}})
		if resp, _ := b.submit("/login/code", "/login/code", url.Values{"code": {codes[3]}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a recovery code used twice: %d", resp.StatusCode)
		}

		// The half-done login allows five codes, then the password again.
		for i := 0; i < account.ChallengeAttempts-1; i++ {
			b.submit("/login/code", "/login/code", url.Values{"code": {"000000"}})
		}
		if resp, body := b.submit("/login/code", "/login/code", url.Values{"code": {b.code()}}); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `name="password"`) {
			t.Fatalf("sixth code: %d, want the login form again\n%s", resp.StatusCode, body)
		}
		// And it lives five minutes.
		b.submit("/login", "/login", url.Values{"email": {"officer@example.org"}, "password": {"staff password 1"}})
		st.clock.Advance(account.ChallengeLifetime)
		if resp, _ := b.submit("/login/code", "/login/code", url.Values{"code": {b.code()}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("code after five minutes: %d", resp.StatusCode)
		}

		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.SecondFactorEnrol, Actor: audit.Staff(a.ID), ObjectID: a.ID},
			testkit.AuditWant{Action: audit.SessionLogout, ObjectID: a.ID},
			testkit.AuditWant{Action: audit.SecondFactorReplay, ObjectID: a.ID},
			testkit.AuditWant{Action: audit.SessionLogout, ObjectID: a.ID},
			testkit.AuditWant{Action: audit.SecondFactorRecovery, ObjectID: a.ID},
			testkit.AuditWant{Action: audit.SessionLogout, ObjectID: a.ID},
		)
		st.log.AssertNoValues(t, "officer@example.org", b.totp, codes[3])
	})
}

// TestAccountHolderSecondFactor: a person opts in to a second factor from
// their account page, then logs in with a code on the site and in the API
// (no token without it); turning it off asks the password or a code, and
// each change is mailed.
func TestAccountHolderSecondFactor(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.loggedInPerson("anna@example.nl")
		if _, page := b.get("/account"); !strings.Contains(page, `href="/account/security"`) {
			t.Fatal("the account page does not link to the second factor")
		}
		b.enrolSecondFactor()
		if _, m := st.mailLink(2); !strings.Contains(m.Subject, "tweede factor is ingesteld") && !strings.Contains(m.Subject, "tweede factor ingesteld") {
			t.Fatalf("enrolment notice: %q", m.Subject)
		}
		b.submit("/account", "/logout", url.Values{})
		st.clock.Advance(account.TOTPPeriod)
		resp := b.login("anna@example.nl", "correct horse battery")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
			t.Fatalf("login with a code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		// The API asks for the code too.
		api := st.browser()
		resp, body := api.api("POST", "/api/v1/login", "", `{"email":"anna@example.nl","password":"correct horse battery"}`)
		if resp.StatusCode != http.StatusUnauthorized || body["token"] != nil {
			t.Fatalf("API login without a code: %d %v", resp.StatusCode, body)
		}
		st.clock.Advance(account.TOTPPeriod)
		resp, body = api.api("POST", "/api/v1/login", "", `{"email":"anna@example.nl","password":"correct horse battery","code":"`+b.code()+`"}`)
		if resp.StatusCode != http.StatusOK || body["token"] == nil {
			t.Fatalf("API login with a code: %d %v", resp.StatusCode, body)
		}

		// Off: a wrong password changes nothing; the right one turns it off.
		if resp, _ := b.submit("/account/security", "/account/security/disable", url.Values{"password": {"wrong password here"}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("disable with a wrong password: %d", resp.StatusCode)
		}
		if resp, _ := b.submit("/account/security", "/account/security/disable", url.Values{"password": {"correct horse battery"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("disable: %d", resp.StatusCode)
		}
		if _, m := st.mailLink(3); !strings.Contains(m.Subject, "uitgezet") {
			t.Fatalf("disable notice: %q", m.Subject)
		}
		b.submit("/account", "/logout", url.Values{})
		b.totp = ""
		if resp := b.login("anna@example.nl", "correct horse battery"); resp.Header.Get("Location") != "/account" || sessionCookie(resp) == nil {
			t.Fatalf("login after turning it off: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// TestStaffCannotTurnSecondFactorOff: staff keep their second factor; the
// security page offers no way off and a POST is refused.
func TestStaffCannotTurnSecondFactorOff(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := staffBrowser(t, st, "admin@example.org", account.RoleAdmin)
		_, page := b.get("/account/security")
		if strings.Contains(page, "/account/security/disable") {
			t.Fatal("staff are offered to turn the second factor off")
		}
		if resp, _ := b.post("/account/security/disable", url.Values{"csrf": {b.csrf("/account")}, "password": {"staff password 1"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("staff disable: %d, want 403", resp.StatusCode)
		}
		if resp, _ := b.get("/staff/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("/staff/ after a refused disable: %d", resp.StatusCode)
		}
	})
}
