package service_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/account/service"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/store"
)

// cheapHash keeps tests fast; the web benchmarks measure the real parameters.
var cheapHash = account.HashParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const base = "https://ivm.example.org"

type env struct {
	svc   *service.Service
	store *store.Store
	clock *clock.Fixed
}

// newEnv wires the services on s as cmd/steward does (internal/wiring).
func newEnv(t *testing.T, s *store.Store, sealed bool) *env {
	t.Helper()
	clk := clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	cfg := wiring.Config{Policy: testkit.Policy(t, "ivm"), Store: s, Clock: clk, Log: testkit.Log(t).Logger,
		BaseURL: base + "/", HashParams: &cheapHash}
	if sealed {
		key, _ := account.ParseKey(account.NewKey())
		cfg.Sealer, _ = account.NewSealer(key)
	}
	svc, err := wiring.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc.Accounts, store: s, clock: clk}
}

func signup(email string) service.Signup {
	return service.Signup{Records: map[string]map[string]string{"account": {"email": email, "first_name": "Anna", "last_name": "de Vries",
		"organisation": "Apotheek Noord", "job_title": "apotheker", "sector": "zorg"}}, Password: "correct horse battery", Lang: "nl"}
}

var linkRE = regexp.MustCompile(`https://\S+`)

// mailed returns the newest mail to addr in the outbox and its link.
func (e *env) mailed(t *testing.T, addr string) (store.OutboxMail, *url.URL) {
	t.Helper()
	mails, err := e.store.OutboxList(context.Background(), store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if strings.Contains(m.Recipient, addr) {
			u, err := url.Parse(linkRE.FindString(m.Text))
			if err != nil {
				t.Fatal(err)
			}
			return m, u
		}
	}
	t.Fatalf("no mail to %s in %d mails", addr, len(mails))
	return store.OutboxMail{}, nil
}

// confirmed signs a person up and confirms the address with the mailed
// link's token.
func (e *env) confirmed(t *testing.T, email string) *account.Account {
	t.Helper()
	ctx := context.Background()
	if err := e.svc.SignUp(ctx, signup(email)); err != nil {
		t.Fatal(err)
	}
	_, link := e.mailed(t, email)
	if err := e.svc.Confirm(ctx, link.Query().Get("token")); err != nil {
		t.Fatal(err)
	}
	a, err := e.store.AccountByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSignUpConfirmLogin(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, true)
		since := testkit.AuditHead(t, s)
		if err := e.svc.SignUp(ctx, signup("anna@example.nl")); err != nil {
			t.Fatal(err)
		}
		a, err := s.AccountByEmail(ctx, "anna@example.nl")
		if err != nil || a.Confirmed() {
			t.Fatalf("after sign-up: %+v %v, want an unconfirmed account", a, err)
		}
		m, link := e.mailed(t, "anna@example.nl")
		if m.Kind != "verify" || link.Scheme+"://"+link.Host+link.Path != base+"/verify" || link.Query().Get("token") == "" {
			t.Fatalf("verification mail %s links to %s", m.Kind, link)
		}
		if _, _, _, err := e.svc.Login(ctx, "anna@example.nl", "correct horse battery", false); !errors.Is(err, service.ErrNotConfirmed) {
			t.Fatalf("login before confirming: %v, want ErrNotConfirmed", err)
		}
		if err := e.svc.Confirm(ctx, link.Query().Get("token")); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Confirm(ctx, link.Query().Get("token")); steward.ErrorCode(err) != steward.EINVALID && err == nil {
			t.Fatal("a verification token works twice")
		}
		for _, bad := range [][2]string{{"anna@example.nl", "wrong password here"}, {"nobody@example.nl", "correct horse battery"}} {
			if _, _, _, err := e.svc.Login(ctx, bad[0], bad[1], false); !errors.Is(err, service.ErrLoginFailed) {
				t.Errorf("login %s: %v, want ErrLoginFailed", bad[0], err)
			}
		}
		secret, se, got, err := e.svc.Login(ctx, "anna@example.nl", "correct horse battery", false)
		if err != nil || got.ID != a.ID || se.AccountID != a.ID || secret == "" {
			t.Fatalf("login: %v %+v", err, se)
		}
		if se2, a2, err := e.svc.Authenticate(ctx, secret, false); err != nil || se2 == nil || a2.ID != a.ID {
			t.Fatalf("authenticate the new session: %v %v", se2, err)
		}
		if se2, _, err := e.svc.Authenticate(ctx, secret, true); err != nil || se2 != nil {
			t.Fatalf("a cookie session used as a bearer token: %v %v, want anonymous", se2, err)
		}
		ps := audit.Pseudonym(a.Pseudonym)
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.AccountCreate, Actor: audit.SubjectActor(ps), ObjectID: a.ID,
				Fields: []string{"account.first_name", "account.job_title", "account.last_name", "account.organisation", "account.sector"}},
			testkit.AuditWant{Action: audit.AccountConfirm, ObjectID: a.ID})
		testkit.AssertNoPersonalValues(t, s, "anna@example.nl", "Anna", "Apotheek Noord")
	})
}

func TestSignUpRefusesAndDoesNotEnumerate(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, true)
		bad := signup("not an address")
		bad.Password = "short"
		bad.Records["lms_account"] = map[string]string{"register_number": "1"}
		// IVM asks no consent at sign-up (Z3: only purposes the policy asks there).
		bad.Consents = []string{"newsletter"}
		fe := account.AsFieldErrors(e.svc.SignUp(ctx, bad))
		for _, f := range []string{"account.email", "password", "lms_account", "consent"} {
			if fe.For(f) == nil {
				t.Errorf("no error for %s in %v", f, fe)
			}
		}
		e.confirmed(t, "anna@example.nl")
		again := signup("Anna@Example.NL")
		again.Password = "another long password"
		if err := e.svc.SignUp(ctx, again); err != nil {
			t.Fatalf("sign-up of a registered address: %v, want the same answer as a new one", err)
		}
		if m, link := e.mailed(t, "anna@example.nl"); m.Kind != "signup_exists" || link.Path != "/login" {
			t.Fatalf("the owner got %s linking to %s, want signup_exists to /login", m.Kind, link)
		}
	})
}

// TestResetLinkOpensTheNewPasswordForm: the reset mail links to the page
// that asks for the new password (issue 13), the token sets it once, and
// every session of the person ends.
func TestResetLinkOpensTheNewPasswordForm(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, true)
		a := e.confirmed(t, "anna@example.nl")
		old, _, _, err := e.svc.Login(ctx, "anna@example.nl", "correct horse battery", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RequestReset(ctx, "nobody@example.nl", "nl"); err != nil {
			t.Fatalf("reset for an unknown address: %v, want the same answer", err)
		}
		if fe := account.AsFieldErrors(e.svc.RequestReset(ctx, "nonsense", "nl")); fe.For("email") == nil {
			t.Fatalf("reset for nonsense: %v", fe)
		}
		since := testkit.AuditHead(t, s)
		if err := e.svc.RequestReset(ctx, " Anna@example.nl ", "en"); err != nil {
			t.Fatal(err)
		}
		m, link := e.mailed(t, "anna@example.nl")
		if m.Kind != "reset" || link.Path != "/reset/confirm" || link.Query().Get("lang") != "en" {
			t.Fatalf("reset mail %s links to %s, want /reset/confirm in English", m.Kind, link)
		}
		token := link.Query().Get("token")
		if fe := account.AsFieldErrors(e.svc.ResetPassword(ctx, token, "short", "nl")); fe.For("password") == nil {
			t.Fatalf("a short new password: %v", fe)
		}
		if err := e.svc.ResetPassword(ctx, token, "a brand new password", "nl"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ResetPassword(ctx, token, "yet another password", "nl"); err == nil {
			t.Fatal("the reset token works twice")
		}
		if se, _, _ := e.svc.Authenticate(ctx, old, false); se != nil {
			t.Fatal("a session from before the reset still works")
		}
		if _, _, _, err := e.svc.Login(ctx, "anna@example.nl", "correct horse battery", false); !errors.Is(err, service.ErrLoginFailed) {
			t.Fatalf("old password after reset: %v", err)
		}
		if _, _, _, err := e.svc.Login(ctx, "anna@example.nl", "a brand new password", false); err != nil {
			t.Fatalf("new password: %v", err)
		}
		// ASVS 2.2.3 (issue 14, finding 7): the account is told its
		// password changed, with the way to react if it was not them.
		if notices := e.mailsOf(t, string(service.KindPasswordChanged)); len(notices) != 1 || !strings.Contains(notices[0].Recipient, "anna@example.nl") || !strings.Contains(notices[0].Text, base+"/reset") {
			t.Fatalf("password notices %+v: want one to the account, linking to the reset page to react", notices)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.SessionRevoke, ObjectID: a.ID, Fields: []string{"password"}})
	})
}

func TestEmailChange(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, true)
		a := e.confirmed(t, "anna@example.nl")
		_, here, _, _ := e.svc.Login(ctx, "anna@example.nl", "correct horse battery", false)
		elsewhere, _, _, _ := e.svc.Login(ctx, "anna@example.nl", "correct horse battery", false)

		fe := account.AsFieldErrors(e.svc.RequestEmailChange(ctx, a, service.EmailChange{Email: "ANNA@example.nl", Password: "wrong password!", Lang: "nl"}))
		if fe.For("email") == nil || fe.For("password") == nil {
			t.Fatalf("same address and wrong password: %v", fe)
		}
		limited := steward.Errorf(steward.ETOOMANY, "error.too_many_attempts", "n", 1)
		if err := e.svc.RequestEmailChange(ctx, a, service.EmailChange{Email: "new@example.nl", Password: "correct horse battery",
			Limit: func() error { return limited }}); !errors.Is(err, limited) {
			t.Fatalf("over the limit: %v", err)
		}
		if err := e.svc.RequestEmailChange(ctx, a, service.EmailChange{Email: "New@Example.nl", Password: "correct horse battery", Lang: "nl"}); err != nil {
			t.Fatal(err)
		}
		m, link := e.mailed(t, "New@example.nl")
		if m.Kind != string(service.KindEmailChange) || link.Path != "/account/email/confirm" {
			t.Fatalf("change mail %s links to %s", m.Kind, link)
		}
		if got, _ := s.AccountByID(ctx, a.ID); got.Email != "anna@example.nl" {
			t.Fatal("the address changed before the link was followed")
		}
		since := testkit.AuditHead(t, s)
		if err := e.svc.ConfirmEmailChange(ctx, link.Query().Get("token"), "nl", here); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.AccountByID(ctx, a.ID); got.Email != "New@example.nl" {
			t.Fatalf("address after confirming: %q", got.Email)
		}
		if m, _ := e.mailed(t, "anna@example.nl"); m.Kind != string(service.KindEmailChanged) {
			t.Fatalf("the old address got %s, want the notice", m.Kind)
		}
		if se, _, _ := e.svc.Authenticate(ctx, elsewhere, false); se != nil {
			t.Fatal("another session survived the change of address")
		}
		if n, _ := e.svc.CountSessions(ctx, a.ID); n != 1 {
			t.Fatalf("%d sessions after the change, want the one it was confirmed in", n)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ProfileUpdate, ObjectID: a.ID, Fields: []string{"email"}})
	})
}

// TestProfileSealsSensitiveFields: a sensitive value is stored sealed to
// its place (R3), shown masked unless revealed to its owner, kept when the
// form sends the mask back, and refused without a data key.
func TestProfileSealsSensitiveFields(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, true)
		a := e.confirmed(t, "anna@example.nl")
		since := testkit.AuditHead(t, s)
		_, err := e.svc.UpdateProfile(ctx, a, map[string]map[string]string{"lms_account": {"register_number": "123"}, "nonsense": {"x": "y"}})
		fe := account.AsFieldErrors(err)
		if fe.For("lms_account.register_number") == nil || fe.For("nonsense") == nil {
			t.Fatalf("bad edit: %v", fe)
		}
		changed, err := e.svc.UpdateProfile(ctx, a, map[string]map[string]string{"lms_account": {"register_number": "12345678901"}, "account": {"first_name": "Annie"}})
		if err != nil || strings.Join(changed, " ") != "account.first_name lms_account.register_number" {
			t.Fatalf("edit: %v %v", changed, err)
		}
		stored, _ := s.Profile(ctx, a.ID, "lms_account")
		if !account.IsSealed(stored["register_number"]) {
			t.Fatalf("BIG number stored as %q", stored["register_number"])
		}
		open := e.svc.Opener()
		if v, err := open(a.ID, "lms_account", "register_number", stored["register_number"]); err != nil || v != "12345678901" {
			t.Fatalf("open: %q %v", v, err)
		}
		if _, err := open("a-other", "lms_account", "register_number", stored["register_number"]); err == nil {
			t.Fatal("a sealed value opens for another person")
		}
		p, err := e.svc.LoadProfile(ctx, a, "")
		if err != nil || p["lms_account"]["register_number"] != "*******8901" || p["account"]["email"] != "anna@example.nl" {
			t.Fatalf("profile: %v %v", p, err)
		}
		if p, _ := e.svc.LoadProfile(ctx, a, "lms_account.register_number"); p["lms_account"]["register_number"] != "12345678901" {
			t.Fatal("reveal did not show the value")
		}
		// The form sends the mask back and an empty record never started.
		changed, err = e.svc.UpdateProfileForm(ctx, a, map[string]map[string]string{"lms_account": {"register_number": "*******8901"},
			"account": {"first_name": "Anneke"}})
		if err != nil || strings.Join(changed, " ") != "account.first_name" {
			t.Fatalf("form edit: %v %v", changed, err)
		}
		if again, _ := s.Profile(ctx, a.ID, "lms_account"); again["register_number"] != stored["register_number"] {
			t.Fatal("the mask sent back replaced the stored value")
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.ProfileUpdate, ObjectID: a.ID, Fields: []string{"account.first_name", "lms_account.register_number"}},
			testkit.AuditWant{Action: audit.ProfileUpdate, ObjectID: a.ID, Fields: []string{"account.first_name"}})
		testkit.AssertNoPersonalValues(t, s, "12345678901", "Annie", "Anneke")

		keyless := newEnv(t, s, false)
		if _, err := keyless.svc.UpdateProfile(ctx, a, map[string]map[string]string{"lms_account": {"register_number": "10987654321"}}); steward.ErrorCode(err) != steward.EUNAVAILABLE {
			t.Fatalf("a sensitive value without a key: %v, want EUNAVAILABLE", err)
		}
		if keyless.svc.Opener() != nil {
			t.Fatal("an opener without a key")
		}
	})
}

// TestSessions: an expired session is anonymous and deleted (R11); logout
// and revocation end sessions and are audited to their actor (R12).
func TestSessions(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, true)
		a := e.confirmed(t, "anna@example.nl")
		one, se, _, _ := e.svc.Login(ctx, "anna@example.nl", "correct horse battery", false)
		two, _, _, _ := e.svc.Login(ctx, "anna@example.nl", "correct horse battery", true)
		since := testkit.AuditHead(t, s)
		if err := e.svc.Logout(ctx, se, a); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := e.svc.Authenticate(ctx, one, false); got != nil {
			t.Fatal("a logged-out session still works")
		}
		if n, err := e.svc.RevokeSessions(ctx, audit.Staff("a-officer"), a); err != nil || n != 1 {
			t.Fatalf("revoke: %d %v", n, err)
		}
		if got, _, _ := e.svc.Authenticate(ctx, two, true); got != nil {
			t.Fatal("a revoked session still works")
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.SessionLogout, Actor: service.Actor(a), ObjectID: a.ID, Fields: []string{}},
			testkit.AuditWant{Action: audit.SessionRevoke, Actor: audit.Staff("a-officer"), ObjectID: a.ID})

		three, _, _, _ := e.svc.Login(ctx, "anna@example.nl", "correct horse battery", false)
		e.clock.Advance(account.IdleTimeout + time.Minute)
		if got, _, err := e.svc.Authenticate(ctx, three, false); err != nil || got != nil {
			t.Fatalf("an idle session: %v %v, want anonymous", got, err)
		}
		if n, _ := e.svc.CountSessions(ctx, a.ID); n != 0 {
			t.Fatalf("%d sessions after the idle one was refused, want it deleted", n)
		}
	})
}

// mailsOf returns the outbox mails of kind.
func (e *env) mailsOf(t *testing.T, kind string) []store.OutboxMail {
	t.Helper()
	mails, err := e.store.OutboxList(context.Background(), store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.OutboxMail
	for _, m := range mails {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// linkOf returns the link of the newest mail of kind in the outbox.
func (e *env) linkOf(t *testing.T, kind string) *url.URL {
	t.Helper()
	var found *url.URL
	var at time.Time
	for _, m := range e.mailsOf(t, kind) {
		if found == nil || !m.CreatedAt.Before(at) {
			found, _ = url.Parse(linkRE.FindString(m.Text))
			at = m.CreatedAt
		}
	}
	if found == nil {
		t.Fatalf("no %s mail in the outbox", kind)
	}
	return found
}

// TestChangesVoidOutstandingLinks: a reset link mailed to the old address
// set the password after the address had changed (issue 14, finding 6).
// Changing the login address or the password now voids every link of the
// account that was mailed before and not yet used.
func TestChangesVoidOutstandingLinks(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, s, true)
		a := e.confirmed(t, "anna@example.nl")
		_, here, _, err := e.svc.Login(ctx, "anna@example.nl", "correct horse battery", false)
		if err != nil {
			t.Fatal(err)
		}

		// A reset link to the old address, then the address changes.
		if err := e.svc.RequestReset(ctx, "anna@example.nl", "nl"); err != nil {
			t.Fatal(err)
		}
		oldReset := e.linkOf(t, "reset").Query().Get("token")
		e.clock.Advance(time.Minute)
		if err := e.svc.RequestEmailChange(ctx, a, service.EmailChange{Email: "anna.new@example.nl", Password: "correct horse battery", Lang: "nl"}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ConfirmEmailChange(ctx, e.linkOf(t, string(service.KindEmailChange)).Query().Get("token"), "nl", here); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ResetPassword(ctx, oldReset, "taken over the account", "nl"); !errors.Is(err, store.ErrBadToken) {
			t.Fatalf("the old address's reset link after the change: %v, want it void", err)
		}

		// A pending change of address, then the password is reset: the
		// change link is void too.
		e.clock.Advance(time.Minute)
		a, _ = s.AccountByID(ctx, a.ID)
		if err := e.svc.RequestEmailChange(ctx, a, service.EmailChange{Email: "elsewhere@example.nl", Password: "correct horse battery", Lang: "nl"}); err != nil {
			t.Fatal(err)
		}
		pending := e.linkOf(t, string(service.KindEmailChange)).Query().Get("token")
		e.clock.Advance(time.Minute)
		if err := e.svc.RequestReset(ctx, "anna.new@example.nl", "nl"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ResetPassword(ctx, e.linkOf(t, "reset").Query().Get("token"), "a brand new password", "nl"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ConfirmEmailChange(ctx, pending, "nl", nil); !errors.Is(err, store.ErrBadToken) {
			t.Fatalf("a change of address requested before the reset: %v, want it void", err)
		}
		if got, _ := s.AccountByID(ctx, a.ID); got.Email != "anna.new@example.nl" {
			t.Fatalf("address %q, want the one confirmed before the reset", got.Email)
		}
	})
}
