package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/mail"
	"steward/store"
	"steward/web"
)

// site is a running Steward with a capture SMTP server and a fixed clock.
type site struct {
	t     testing.TB
	srv   *httptest.Server
	store *store.Store
	clock *clock.Fixed
	smtp  *testkit.SMTPServer
	mail  *mail.Dispatcher
	log   *testkit.LogCapture
	// sealer holds the site's data key, as serve's.
	sealer *account.Sealer
}

// cheapHash keeps tests fast; the benchmarks measure the real parameters.
var cheapHash = account.HashParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// newSite starts a site on s; each of with may change its web.Config
// before the server is built.
func newSite(t testing.TB, s *store.Store, policyName string, with ...func(*web.Config)) *site {
	t.Helper()
	return newSiteWired(t, s, policyName, wiring.Config{}, with...)
}

// newSiteWired is newSite with services configured beyond the defaults
// (the shop's payment provider and download directory, issue 17).
func newSiteWired(t testing.TB, s *store.Store, policyName string, extra wiring.Config, with ...func(*web.Config)) *site {
	t.Helper()
	st := &site{t: t, store: s, clock: clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)), log: testkit.Log(t)}
	// On PostgreSQL the rate limits live in the database and outlast a
	// server; a new site here stands for a new deployment, so it starts
	// with full buckets, as a new site in memory does.
	if err := s.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(), `DELETE FROM rate_limits`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.smtp = testkit.NewSMTP(t)
	snd, err := mail.NewSender(mail.Config{Host: st.smtp.Host(), Port: st.smtp.Port(), TLS: mail.TLSNone, From: "Steward <noreply@example.org>"})
	if err != nil {
		t.Fatal(err)
	}
	st.mail = mail.NewDispatcher(s, snd, st.clock, mail.Options{Logger: st.log.Logger})
	key, _ := account.ParseKey(account.NewKey())
	sealer, _ := account.NewSealer(key)
	st.sealer = sealer
	st.srv = httptest.NewUnstartedServer(nil)
	cfg := web.Config{Policy: testkit.Policy(t, policyName), Store: s, Log: st.log.Logger, Clock: st.clock,
		BaseURL: "http://" + st.srv.Listener.Addr().String()}
	for _, f := range with {
		f(&cfg)
	}
	// What serve serves: a version announced for later gets its own
	// server from its effective date (issue 20).
	extra.Sealer, extra.HashParams = sealer, &cheapHash
	st.srv.Config.Handler = web.ServingForTest(t, cfg, extra)
	st.srv.Start()
	t.Cleanup(st.srv.Close)
	return st
}

// browser is a client with a cookie jar that does not follow redirects,
// so each step's status is seen.
type browser struct {
	t    testing.TB
	c    *http.Client
	base string
	// clock is the site's; totp is the second factor's key once enrolled
	// (enrolSecondFactor), so login answers the code step as an app would.
	clock *clock.Fixed
	totp  string
}

func (st *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: st.t, base: st.srv.URL, clock: st.clock, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// get fetches path on the site; an absolute URL (a link read from a mail)
// is requested exactly as given.
func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		u = b.base + path
	}
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	return b.postURL(b.base+path, form)
}

func (b *browser) postURL(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf fetches a page and returns the form token of its content (not
// the header's log-out button).
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfRE.FindStringSubmatch(mainOf(b.t, body))
	if m == nil {
		b.t.Fatalf("no csrf token on %s:\n%s", path, body)
	}
	return m[1]
}

// submit fetches a form page and posts the form with its token.
func (b *browser) submit(page, action string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	form.Set("csrf", b.csrf(page))
	return b.post(action, form)
}

var linkRE = regexp.MustCompile(`http://[^\s]+`)

// mailLink delivers due mail and returns the n-th message and the link in
// it, exactly as mailed: tests follow it unchanged (issue 13: a test that
// rewrote the reset link hid that it led to the wrong page).
func (st *site) mailLink(n int) (string, testkit.SMTPMessage) {
	st.t.Helper()
	if _, err := st.mail.DeliverDue(context.Background()); err != nil {
		st.t.Fatal(err)
	}
	msgs := st.smtp.WaitFor(st.t, n)
	m := msgs[n-1]
	link := linkRE.FindString(m.Text)
	if link == "" {
		st.t.Fatalf("no link in mail %q:\n%s", m.Subject, m.Text)
	}
	return link, m
}

var (
	formRE  = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	inputRE = regexp.MustCompile(`<(?:input|textarea|select)\b([^>]*)>`)
	attrRE  = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

// attrs parses the attributes of one tag.
func attrs(tag string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// follow does what a person does with a link from a mail: it opens the
// link exactly as mailed, finds the page's form that has a field for
// each key of fill (the only POST form of the page's main content when
// fill is empty), and sends it as the page made it — its action, its
// hidden fields — with fill typed in. A link to the wrong page fails here.
func (b *browser) follow(link string, fill url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, page := b.get(link)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("mailed link %s: %d\n%s", link, resp.StatusCode, page)
	}
	main := page
	if i := strings.Index(page, `<main`); i >= 0 {
		main = page[i:]
		if j := strings.Index(main, `</main>`); j >= 0 {
			main = main[:j]
		}
	}
	type candidate struct {
		action string
		form   url.Values
	}
	var found []candidate
	for _, f := range formRE.FindAllStringSubmatch(main, -1) {
		fa := attrs(f[1])
		if !strings.EqualFold(fa["method"], "post") {
			continue
		}
		form, names := url.Values{}, map[string]bool{}
		for _, in := range inputRE.FindAllStringSubmatch(f[2], -1) {
			ia := attrs(in[1])
			names[ia["name"]] = true
			if ia["type"] == "hidden" {
				form.Set(ia["name"], ia["value"])
			}
		}
		fits := true
		for k := range fill {
			fits = fits && names[k]
		}
		if fits {
			found = append(found, candidate{fa["action"], form})
		}
	}
	if len(found) > 1 && len(fill) == 0 {
		b.t.Fatalf("mailed link %s: the page has %d forms; say which fields to fill", link, len(found))
	}
	if len(found) > 0 {
		form := found[0].form
		for k, v := range fill {
			form[k] = v
		}
		target, err := url.Parse(link)
		if err != nil {
			b.t.Fatal(err)
		}
		action, err := target.Parse(found[0].action)
		if err != nil {
			b.t.Fatal(err)
		}
		return b.postURL(action.String(), form)
	}
	b.t.Fatalf("mailed link %s leads to a page without a form for %v:\n%s", link, fill, page)
	return nil, ""
}

func ivmSignup(email string) url.Values {
	return url.Values{"account.email": {email}, "account.first_name": {"Anna"}, "account.last_name": {"de Vries"},
		"account.organisation": {"Apotheek Noord"}, "account.job_title": {"apotheker"}, "account.sector": {"zorg"},
		"password": {"correct horse battery"}}
}

func (st *site) signUpAndConfirm(b *browser, email string) {
	st.t.Helper()
	if resp, body := b.submit("/signup", "/signup", ivmSignup(email)); resp.StatusCode != 200 {
		st.t.Fatalf("sign-up: %d\n%s", resp.StatusCode, body)
	}
	n := len(st.smtp.Messages()) + 1
	link, _ := st.mailLink(n)
	if resp, body := b.follow(link, nil); resp.StatusCode != 200 {
		st.t.Fatalf("verify: %d\n%s", resp.StatusCode, body)
	}
}

// loggedInPerson is a fresh browser of a person who signed up as email
// (IVM's form), confirmed by the mailed link and logged in.
func (st *site) loggedInPerson(email string) *browser {
	st.t.Helper()
	b := st.browser()
	st.signUpAndConfirm(b, email)
	b.login(email, "correct horse battery")
	return b
}

// login logs in with the password and, for an account whose second factor
// the browser enrolled, with the code the app shows at the site's clock.
func (b *browser) login(email, password string) *http.Response {
	b.t.Helper()
	resp, _ := b.submit("/login", "/login", url.Values{"email": {email}, "password": {password}})
	if loc := resp.Header.Get("Location"); b.totp != "" && strings.HasPrefix(loc, "/login/code") {
		resp, _ = b.submit(loc, "/login/code", url.Values{"code": {b.code()}})
	}
	return resp
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "steward_session" {
			return c
		}
	}
	return nil
}

func TestAccountLifecycleEndToEnd(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "ivm")
		b := st.browser()
		since := testkit.AuditHead(t, s)

		// Anonymous pages set no cookie (Z1).
		for _, p := range []string{"/", "/signup", "/login", "/reset"} {
			if resp, _ := b.get(p); len(resp.Cookies()) != 0 {
				t.Errorf("%s sets a cookie for an anonymous visitor: %v", p, resp.Cookies())
			}
		}
		// Sign-up asks exactly the policy's account fields.
		_, form := b.get("/signup")
		for _, f := range []string{"account.email", "account.first_name", "account.last_name", "account.organisation", "account.job_title", "account.sector"} {
			if !strings.Contains(form, `name="`+f+`"`) {
				t.Errorf("sign-up lacks %s", f)
			}
		}
		if strings.Contains(form, "register_number") || strings.Contains(form, `name="account.password"`) {
			t.Error("sign-up asks a field outside the account record")
		}

		resp, body := b.submit("/signup", "/signup", ivmSignup("anna@example.nl"))
		if resp.StatusCode != 200 {
			t.Fatalf("sign-up: %d\n%s", resp.StatusCode, body)
		}
		a, err := s.AccountByEmail(context.Background(), "anna@example.nl")
		if err != nil || a.Confirmed() {
			t.Fatalf("after sign-up: %+v %v (want unconfirmed)", a, err)
		}
		if resp := b.login("anna@example.nl", "correct horse battery"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("login before confirming: %d, want 403\n%s", resp.StatusCode, st.log)
		}
		link, m := st.mailLink(1)
		if m.EnvelopeTo[0] != "anna@example.nl" || !strings.Contains(m.Subject, "Bevestig") {
			t.Fatalf("verification mail: to %v subject %q", m.EnvelopeTo, m.Subject)
		}
		if resp, body := b.follow(link, nil); resp.StatusCode != 200 {
			t.Fatalf("verify: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := b.follow(link, nil); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("second use of the verification link: %d, want 400", resp.StatusCode)
		}

		resp = b.login("anna@example.nl", "correct horse battery")
		c := sessionCookie(resp)
		if resp.StatusCode != http.StatusSeeOther || c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 0 {
			t.Fatalf("login: %d cookie %+v", resp.StatusCode, c)
		}
		_, page := b.get("/account")
		if !strings.Contains(page, "anna@example.nl") || !strings.Contains(page, `value="Anna"`) {
			t.Fatalf("profile page lacks the person's data:\n%s", page)
		}
		// Edit: a bad value changes nothing and shows the error next to the field.
		csrf := csrfRE.FindStringSubmatch(page)[1]
		resp, page = b.post("/account", url.Values{"csrf": {csrf}, "account.first_name": {"Annie"}, "lms_account.register_number": {"123"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `href="#f-lms-account-register-number"`) || !strings.Contains(page, `value="Annie"`) {
			t.Fatalf("bad edit: %d\n%s", resp.StatusCode, page)
		}
		if v, _ := s.Profile(context.Background(), a.ID, "account"); v["first_name"] != "Anna" {
			t.Fatalf("a refused edit changed first_name to %q", v["first_name"])
		}
		resp, _ = b.post("/account", url.Values{"csrf": {csrf}, "account.first_name": {"Annie"}, "lms_account.register_number": {"12345678901"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit: %d", resp.StatusCode)
		}
		v, _ := s.Profile(context.Background(), a.ID, "lms_account")
		if strings.Contains(v["register_number"], "12345678901") || !account.IsSealed(v["register_number"]) {
			t.Fatalf("BIG number stored in plaintext: %q", v["register_number"])
		}
		_, page = b.get("/account")
		if strings.Contains(page, "12345678901") || !strings.Contains(page, "*******8901") {
			t.Fatal("BIG number not masked on the profile page")
		}
		_, page = b.post("/account/reveal", url.Values{"csrf": {csrf}, "field": {"lms_account.register_number"}})
		if !strings.Contains(page, "12345678901") {
			t.Fatal("reveal did not show the BIG number to its owner")
		}

		// Logout deletes the session; the old cookie no longer works.
		resp, _ = b.post("/logout", url.Values{"csrf": {csrf}})
		if c := sessionCookie(resp); resp.StatusCode != http.StatusSeeOther || c == nil || c.MaxAge >= 0 {
			t.Fatalf("logout: %d cookie %+v", resp.StatusCode, c)
		}
		replay := st.browser()
		replay.c.Jar.SetCookies(mustURL(st.srv.URL), []*http.Cookie{{Name: "steward_session", Value: sessionCookie(b.loginAgain(t)).Value}})
		b.post("/logout", url.Values{"csrf": {b.csrf("/account")}})
		if resp, _ := replay.get("/account"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Fatalf("old session cookie still accepted: %d", resp.StatusCode)
		}

		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.AccountCreate, ObjectID: a.ID},
			testkit.AuditWant{Action: audit.AccountConfirm, ObjectID: a.ID},
			testkit.AuditWant{Action: audit.ProfileUpdate, ObjectID: a.ID, Fields: []string{"account.first_name", "lms_account.register_number"}},
			// Both logouts are recorded, by the person, without fields (R12).
			testkit.AuditWant{Action: audit.SessionLogout, Actor: audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), ObjectID: a.ID, Fields: []string{}},
			testkit.AuditWant{Action: audit.SessionLogout, ObjectID: a.ID, Fields: []string{}},
		)
		testkit.AssertNoPersonalValues(t, s, "anna@example.nl", "Annie", "12345678901")
		st.log.AssertNoValues(t, "anna@example.nl", "Annie", "12345678901", "correct horse battery")
	})
}

func (b *browser) loginAgain(t *testing.T) *http.Response {
	t.Helper()
	resp := b.login("anna@example.nl", "correct horse battery")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	return resp
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
