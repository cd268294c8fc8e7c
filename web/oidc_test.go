package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/internal/wiring"
	learnservice "steward/learning/service"
	"steward/oidc/provider"
	"steward/rights/desk"
	"steward/store"
)

// relyingParty is a relying party as Moodle's auth_oauth2 is one: go-oidc and
// x/oauth2 against the site's issuer, with a client registered for IVM's
// learning environment (recipient avetica).
type relyingParty struct {
	provider *gooidc.Provider
	conf     oauth2.Config
	clientID string
	svc      *provider.Service
}

const lmsCallback = "https://lms.example/admin/oauth2callback.php"

func newLMS(t testing.TB, st *site, public bool) *relyingParty {
	t.Helper()
	ctx := context.Background()
	svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, "ivm"), Store: st.store, Clock: st.clock})
	if err != nil {
		t.Fatal(err)
	}
	name := "lms"
	if public {
		name = "lms-app"
	}
	c, secret, err := svc.OIDC.AddClient(ctx, audit.System("cli"), provider.NewClient{Name: name, Recipient: "avetica", RedirectURIs: []string{lmsCallback}, Public: public})
	if err != nil {
		t.Fatal(err)
	}
	p, err := gooidc.NewProvider(ctx, st.srv.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &relyingParty{provider: p, clientID: c.ID, svc: svc.OIDC, conf: oauth2.Config{ClientID: c.ID, ClientSecret: secret, Endpoint: p.Endpoint(),
		RedirectURL: lmsCallback, Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}}}
}

// authorize runs the browser's part: the authorisation endpoint, the
// login on the way when b has no session, and the redirect back; it
// returns the code the LMS receives (state checked), or "error:<code>".
func (l *relyingParty) authorize(t testing.TB, b *browser, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	code, _ := l.promptFlow(t, b, true, opts...)
	return code
}

// fillLMSAccount stores the person's learning-environment details, as
// they do on /account.
func fillLMSAccount(t testing.TB, b *browser) {
	t.Helper()
	resp, body := b.submit("/account", "/account", url.Values{"lms_account.email": {"anna.lms@example.org"}, "lms_account.first_name": {"Anna"},
		"lms_account.last_name": {"de Vries"}, "lms_account.register_number": {"19012345601"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("profile: %d\n%s", resp.StatusCode, mainOf(t, body))
	}
}

// TestOIDCSignInEndToEnd (issue 16 item 3, R3, R7, R8, R10): the LMS, as
// a relying party on go-oidc and x/oauth2, discovers the issuer, sends a
// person without a session to the authorisation endpoint; they log in on
// Steward's page and come back to the LMS with a code, no consent screen;
// the LMS exchanges it with PKCE, verifies the ID token (which names the
// subject only) and reads userinfo: exactly the claims the policy
// declares for Avetica, the BIG number opened for this release only. The
// subject is the learning-environment account record, created at this
// first sign-in; the sign-in sets its last login (R10's anchor), the
// release is a disclosure to Avetica on My data, and the audit log names
// fields only (both stores).
func TestOIDCSignInEndToEnd(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		anna := st.loggedInPerson("anna@example.org")
		fillLMSAccount(t, anna)
		id := personID(t, s, "anna@example.org")
		l := newLMS(t, st, false)
		if got := l.provider.Endpoint().AuthURL; got != st.srv.URL+"/oidc/authorize" {
			t.Fatalf("discovery's authorization endpoint: %s", got)
		}
		since := testkit.AuditHead(t, s)

		verifier := oauth2.GenerateVerifier()
		code := l.authorize(t, st.browser(), oauth2.S256ChallengeOption(verifier), gooidc.Nonce("nonce-1"))
		tok, err := l.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := l.provider.Verifier(&gooidc.Config{ClientID: l.clientID}).Verify(ctx, raw)
		if err != nil {
			t.Fatalf("ID token: %v", err)
		}
		recs, err := s.RecordsOf(ctx, id)
		if err != nil || len(recs) != 1 || recs[0].Kind != "lms_account" {
			t.Fatalf("records after the first sign-in: %+v %v", recs, err)
		}
		sub := strconv.FormatInt(recs[0].ID, 10)
		if idt.Subject != sub || idt.Nonce != "nonce-1" || idt.Subject == id {
			t.Fatalf("ID token subject %q nonce %q, want the LMS account %s", idt.Subject, idt.Nonce, sub)
		}
		var idClaims map[string]any
		idt.Claims(&idClaims)
		for k := range idClaims {
			if !slices.Contains([]string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash", "azp", "client_id"}, k) {
				t.Errorf("the ID token carries %s=%v: claims about the person belong in userinfo only", k, idClaims[k])
			}
		}
		if !recs[0].LastLoginAt.Equal(st.clock.Now()) {
			t.Errorf("the LMS account's last login is %v, want the sign-in's %v (R10)", recs[0].LastLoginAt, st.clock.Now())
		}

		ui, err := l.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		var claims map[string]any
		if err := ui.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"sub": sub, "email": "anna.lms@example.org", "given_name": "Anna", "family_name": "de Vries", "register_number": "19012345601"}
		if b1, b2 := jsonOf(claims), jsonOf(want); b1 != b2 {
			t.Fatalf("userinfo:\n got %s\nwant %s", b1, b2)
		}
		dis, err := s.DisclosuresOf(ctx, id, false)
		if err != nil || len(dis) != 1 || dis[0].Recipient != "Avetica" || !slices.Equal(dis[0].Categories, []string{"lms_account"}) {
			t.Fatalf("disclosures: %+v %v", dis, err)
		}
		_, data := anna.get("/account/data")
		if !strings.Contains(visibleText(t, data), "Avetica") {
			t.Errorf("My data does not show the release to Avetica:\n%s", mainOf(t, data))
		}
		ov, err := st.wired(t).Desk.Collect(ctx, id, desk.CollectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		signedIn := false
		for _, c := range ov.Categories {
			for _, it := range c.Items {
				signedIn = signedIn || c.Kind == "lms_account" && it.ID == sub && it.Values["last_login"] != ""
			}
		}
		if !signedIn {
			t.Errorf("My data does not show the LMS account's last login: %+v", ov.Categories)
		}
		a, _ := s.AccountByEmail(ctx, "anna@example.org")
		p := audit.Pseudonym(a.Pseudonym)
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.LMSAccountCreate, Subject: p, ObjectKind: "lms_account", ObjectID: sub},
			testkit.AuditWant{Action: audit.OIDCSignIn, Subject: p, ObjectKind: "lms_account", ObjectID: sub, Fields: []string{"client." + l.clientID, "lms_account.last_login"}},
			// The site's first ID token makes its first signing key.
			testkit.AuditWant{Action: audit.OIDCKeyRotate, Actor: audit.System("oidc"), ObjectKind: "oidc_key"},
			testkit.AuditWant{Action: audit.DisclosureRecord, Subject: p, Fields: []string{"lms_account.register_number"}},
			testkit.AuditWant{Action: audit.OIDCRelease, Subject: p, ObjectID: l.clientID,
				Fields: []string{"lms_account.email", "lms_account.first_name", "lms_account.last_name", "lms_account.register_number", "recipient.avetica"}},
		)
		testkit.AssertNoPersonalValues(t, s, "anna.lms@example.org", "19012345601", "de Vries")

		// Someone who never filled in their learning-environment details
		// gets them from their website account at the first sign-in — the
		// required ones, never the register number — kept where they can
		// see and change them.
		bob := st.loggedInPerson("bob@example.org")
		bobID := personID(t, s, "bob@example.org")
		tok2, err := l.conf.Exchange(ctx, l.authorize(t, bob, oauth2.S256ChallengeOption(verifier)), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		ui, err = l.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok2))
		if err != nil {
			t.Fatal(err)
		}
		claims = nil
		ui.Claims(&claims)
		delete(claims, "sub")
		if got := jsonOf(claims); got != jsonOf(map[string]any{"email": "bob@example.org", "given_name": "Anna", "family_name": "de Vries"}) {
			t.Fatalf("userinfo of a person without LMS details: %s", got)
		}
		if vals, err := s.Profile(ctx, bobID, "lms_account"); err != nil || len(vals) != 3 || vals["email"] != "bob@example.org" {
			t.Fatalf("bob's LMS account details: %v %v", vals, err)
		}
		if dis, _ := s.DisclosuresOf(ctx, bobID, false); len(dis) != 0 {
			t.Fatalf("a release without the register number was recorded as a disclosure: %+v", dis)
		}

		// R10: lms_account_inactive counts four years from this sign-in
		// (the person is enrolled in a course); a sign-in a year later
		// moves the date.
		importCourses(t, st, "ivm")
		if _, err := st.wired(t).Learning.Enrol(ctx, a, "medicatiebewaking", learnservice.Source{Kind: learnservice.Free}); err != nil {
			t.Fatal(err)
		}
		signIn := st.clock.Now()
		inactive := func(at time.Time) []string {
			t.Helper()
			rep, err := st.wired(t).Retention.Plan(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range rep.Items {
				if it.Rule == "lms_account_inactive" {
					out = append(out, it.Subject)
				}
			}
			return out
		}
		if got := inactive(signIn.AddDate(4, 0, 0).Add(-time.Minute)); len(got) != 0 {
			t.Fatalf("just before four years after the sign-in: %v", got)
		}
		if got := inactive(signIn.AddDate(4, 0, 0)); len(got) != 1 || got[0] != id {
			t.Fatalf("four years after the sign-in: %v, want anna's LMS account", got)
		}
		st.clock.Advance(365 * 24 * time.Hour)
		anna.login("anna@example.org", "correct horse battery")

		// Without the profile and email scopes only the site's own claim
		// and the subject leave.
		code = l.authorize(t, anna, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("scope", "openid"))
		tok, err = l.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		ui, err = l.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatal(err)
		}
		claims = nil
		ui.Claims(&claims)
		if got := jsonOf(claims); got != jsonOf(map[string]any{"sub": sub, "register_number": "19012345601"}) {
			t.Fatalf("userinfo for scope openid: %s", got)
		}
		if got := inactive(signIn.AddDate(4, 0, 0)); len(got) != 0 {
			t.Fatalf("four years after the first sign-in, with a second a year later: %v", got)
		}

		// A confidential client may leave PKCE out (Moodle does).
		if _, err := l.conf.Exchange(ctx, l.authorize(t, anna)); err != nil {
			t.Fatalf("a confidential client without PKCE: %v", err)
		}
		// Rotating the signing key: an ID token the old key signed still
		// verifies against a freshly fetched JWKS, the next one is signed
		// by the new key.
		rot, err := st.wired(t).OIDC.RotateKeys(ctx, audit.System("cli"))
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := gooidc.NewProvider(ctx, st.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fresh.Verifier(&gooidc.Config{ClientID: l.clientID}).Verify(ctx, raw); err != nil {
			t.Fatalf("an ID token signed before the rotation: %v", err)
		}
		tok, err = l.conf.Exchange(ctx, l.authorize(t, anna))
		if err != nil {
			t.Fatal(err)
		}
		next, _ := tok.Extra("id_token").(string)
		if _, err := fresh.Verifier(&gooidc.Config{ClientID: l.clientID}).Verify(ctx, next); err != nil || !strings.Contains(jwtHeader(t, next), rot.ID) {
			t.Fatalf("the ID token after the rotation (%v) is not signed with the new key %s: %s", err, rot.ID, jwtHeader(t, next))
		}
	})
}

// wired is the site's services as serve builds them, at the site's clock.
func (st *site) wired(t *testing.T) *wiring.Services {
	t.Helper()
	svc, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, "ivm"), Store: st.store, Clock: st.clock, Sealer: st.sealer})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// jwtHeader is the decoded header of a compact JWS.
func jwtHeader(t *testing.T, jws string) string {
	t.Helper()
	h, _, _ := strings.Cut(jws, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestOIDCRefusesBadRequests (issue 16 item 3, G3): each failure gets the
// answer its standard prescribes and changes nothing. A redirect URI the
// client did not register, or an unknown or revoked client, gets an error
// page and no redirect (RFC 6749 §4.1.2.1); a public client without PKCE
// is sent back with invalid_request (RFC 7636 §4.4.1); a missing or wrong
// code_verifier is invalid_grant (RFC 7636 §4.6; RFC 9700 §2.1.1 for a
// confidential client that sent a challenge); a replayed code is
// invalid_grant and revokes the tokens issued from it (RFC 6749 §4.1.2);
// a wrong secret or a revoked client is invalid_client (RFC 6749 §5.2).
// The callback issues a code only to the browser whose session signed
// the request in (no session fixation); staff are refused.
func TestOIDCRefusesBadRequests(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := newSite(t, s, "ivm")
		anna := st.loggedInPerson("anna@example.org")
		fillLMSAccount(t, anna)
		l := newLMS(t, st, false)
		app := newLMS(t, st, true)
		oauthError := func(err error) string {
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) {
				t.Fatalf("want an OAuth error response, got %v", err)
			}
			return re.ErrorCode
		}
		tokens := func() int {
			var n int
			s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM oidc_tokens`).Scan(&n)
			return n
		}

		// Redirect URIs and clients the site does not know: a page, never
		// a redirect.
		for name, q := range map[string]url.Values{
			"unregistered_redirect_uri": {"client_id": {l.clientID}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"}, "scope": {"openid"}},
			"unknown_client":            {"client_id": {"cl_nosuch"}, "redirect_uri": {lmsCallback}, "response_type": {"code"}, "scope": {"openid"}},
		} {
			resp, body := anna.get("/oidc/authorize?" + q.Encode())
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, "<html") {
				t.Errorf("%s: %d %q, want an error page and no redirect", name, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		// Session fixation: someone starts a sign-in and has a victim log
		// in for it; the callback gives the code only to the victim's
		// browser, never to the one that started it.
		attacker := st.browser()
		resp, _ := attacker.get(l.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		login := resp.Header.Get("Location")
		if !strings.HasPrefix(login, provider.LoginPath+"?id=") {
			t.Fatalf("the authorisation endpoint sent the browser to %q", login)
		}
		resp, _ = anna.get(login)
		callback := resp.Header.Get("Location")
		if !strings.HasPrefix(callback, provider.CallbackPath) {
			t.Fatalf("the signed-in victim was sent to %q", callback)
		}
		if resp, _ := attacker.get(callback); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
			t.Errorf("the callback answered the browser that started the request: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		// Staff do not sign in to the learning environment.
		staff := staffBrowser(t, st, "support@example.org", account.RoleSupport)
		resp, _ = staff.get(l.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if resp, _ := staff.get(resp.Header.Get("Location")); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a staff account signed in to the LMS: %d", resp.StatusCode)
		}

		// A public client must send a PKCE challenge.
		if got := app.authorize(t, anna); got != "error:invalid_request" {
			t.Errorf("a public client without PKCE: %s, want error invalid_request", got)
		}

		// PKCE missing or wrong: invalid_grant, no token.
		verifier := oauth2.GenerateVerifier()
		code := l.authorize(t, anna, oauth2.S256ChallengeOption(verifier))
		if _, err := l.conf.Exchange(ctx, code); oauthError(err) != "invalid_grant" {
			t.Errorf("no code_verifier: %v", err)
		}
		if _, err := l.conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier())); oauthError(err) != "invalid_grant" {
			t.Errorf("a wrong code_verifier: %v", err)
		}
		wrong := l.conf
		wrong.ClientSecret = "not-the-secret"
		if _, err := wrong.Exchange(ctx, code, oauth2.VerifierOption(verifier)); oauthError(err) != "invalid_client" {
			t.Errorf("a wrong secret: %v", err)
		}
		if n := tokens(); n != 0 {
			t.Fatalf("refused exchanges issued %d tokens", n)
		}

		// A replayed code: refused, and the token issued from it revoked.
		tok, err := l.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
			t.Fatal(err)
		}
		since := testkit.AuditHead(t, s)
		if _, err := l.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); oauthError(err) != "invalid_grant" {
			t.Errorf("a replayed code: %v", err)
		}
		if _, err := l.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("the token issued from a replayed code still works")
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.OIDCCodeReplay, ObjectKind: "oidc_grant", Fields: []string{"client." + l.clientID, "revoked.1"}})

		// A revoked client: its next exchange is invalid_client, its
		// authorisation requests an error page.
		code = l.authorize(t, anna, oauth2.S256ChallengeOption(verifier))
		if err := l.svc.RevokeClient(ctx, audit.System("cli"), "lms"); err != nil {
			t.Fatal(err)
		}
		before := tokens()
		if _, err := l.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); oauthError(err) != "invalid_client" {
			t.Errorf("a revoked client's exchange: %v", err)
		}
		if resp, _ := anna.get(l.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))); resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("a revoked client's authorisation request: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if tokens() != before {
			t.Error("a revoked client got a token")
		}
	})
}
