package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/account"
	"steward/consent"
	"steward/internal/testkit"
	"steward/store"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, u string, form url.Values, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func setCookieNames(resp *http.Response) []string {
	var out []string
	for _, c := range resp.Cookies() {
		name := c.Name
		if c.MaxAge < 0 {
			name = "-" + name
		}
		out = append(out, name)
	}
	return out
}

func choiceCookieOf(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == "steward_consent" {
			return c
		}
	}
	t.Fatalf("no steward_consent cookie set; Set-Cookie: %v", resp.Header.Values("Set-Cookie"))
	return nil
}

// TestCookieMatrix checks, for each site and each choice, which Set-Cookie
// headers the choice sends and which tag scripts the next page renders
// (R11, Z5; issue 6).
func TestCookieMatrix(t *testing.T) {
	type want struct {
		analytics, personal bool
	}
	sites := []struct {
		site    string
		before  want
		choices map[string]struct {
			form url.Values
			want want
		}
	}{
		{"zorginspirator", want{analytics: true}, map[string]struct {
			form url.Values
			want want
		}{
			"reject_all":     {url.Values{"choice": {"none"}}, want{analytics: true}},
			"accept_all":     {url.Values{"choice": {"all"}}, want{analytics: true, personal: true}},
			"personal_only":  {url.Values{"choice": {"custom"}, "category": {"personal"}}, want{analytics: true, personal: true}},
			"nothing_ticked": {url.Values{"choice": {"custom"}}, want{analytics: true}},
		}},
		{"ivm", want{}, map[string]struct {
			form url.Values
			want want
		}{
			"reject_all":     {url.Values{"choice": {"none"}}, want{}},
			"accept_all":     {url.Values{"choice": {"all"}}, want{analytics: true}},
			"analytics_only": {url.Values{"choice": {"custom"}, "category": {"analytics"}}, want{analytics: true}},
		}},
	}
	hasTag := func(body, cat string) bool { return strings.Contains(body, `data-category="`+cat+`"`) }
	for _, sc := range sites {
		t.Run(sc.site, func(t *testing.T) {
			testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
				srv, _ := newServer(t, s, sc.site)
				resp, body := do(t, "GET", srv.URL+"/", nil)
				if len(resp.Header.Values("Set-Cookie")) != 0 {
					t.Errorf("before a choice: Set-Cookie %v, want none", resp.Header.Values("Set-Cookie"))
				}
				if !strings.Contains(body, `id="cookie-notice"`) {
					t.Error("before a choice: no cookie notice")
				}
				if hasTag(body, "analytics") != sc.before.analytics || hasTag(body, "personal") {
					t.Errorf("before a choice: analytics tag %v personal tag %v, want %v false", hasTag(body, "analytics"), hasTag(body, "personal"), sc.before.analytics)
				}
				for name, ch := range sc.choices {
					t.Run(name, func(t *testing.T) {
						form := url.Values{"return": {"/?lang=en"}}
						for k, v := range ch.form {
							form[k] = v
						}
						resp, _ := do(t, "POST", srv.URL+"/cookies", form)
						if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?lang=en" {
							t.Fatalf("POST /cookies: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
						}
						if got := setCookieNames(resp); len(got) != 1 || got[0] != "steward_consent" {
							t.Errorf("Set-Cookie names %v, want only steward_consent", got)
						}
						ck := choiceCookieOf(t, resp)
						// The lifetime the statement lists (policy.ChoiceCookieLifetime).
						if !ck.HttpOnly || ck.MaxAge != 365*24*3600 {
							t.Errorf("choice cookie %+v", ck)
						}
						_, body := do(t, "GET", srv.URL+"/", nil, ck)
						if strings.Contains(body, `id="cookie-notice"`) {
							t.Error("notice still shown after a choice")
						}
						if hasTag(body, "analytics") != ch.want.analytics || hasTag(body, "personal") != ch.want.personal {
							t.Errorf("after choice: analytics %v personal %v, want %+v", hasTag(body, "analytics"), hasTag(body, "personal"), ch.want)
						}
						// The choice is kept as consent records under the visitor id.
						visitor := strings.Split(ck.Value, ".")[1]
						h, err := consent.NewService(testkit.Policy(t, sc.site), s, nil).History(context.Background(), visitor)
						if err != nil || len(h) == 0 {
							t.Fatalf("no consent records for the visitor: %v", err)
						}
						for _, r := range h {
							if r.Channel != "cookie_notice" {
								t.Errorf("record channel %s", r.Channel)
							}
						}
						// A changed cookie counts as no choice.
						bad := *ck
						bad.Value = strings.Replace(ck.Value, ".none.", ".personal.", 1)
						if bad.Value == ck.Value {
							parts := strings.Split(ck.Value, ".")
							bad.Value = strings.Join([]string{parts[0], parts[1], parts[2], "AAAA" + parts[3][4:]}, ".")
						}
						_, body = do(t, "GET", srv.URL+"/", nil, &bad)
						if !strings.Contains(body, `id="cookie-notice"`) || hasTag(body, "personal") {
							t.Error("a tampered choice cookie was honoured")
						}
					})
				}
			})
		})
	}
}

func TestRejectAfterAcceptDeletesMarketingCookies(t *testing.T) {
	s := testkit.SQLite(t)
	srv, _ := newServer(t, s, "zorginspirator")
	resp, _ := do(t, "POST", srv.URL+"/cookies", url.Values{"choice": {"all"}})
	ck := choiceCookieOf(t, resp)
	resp, _ = do(t, "POST", srv.URL+"/cookies", url.Values{"choice": {"none"}}, ck, &http.Cookie{Name: "_fbp", Value: "x"})
	got := setCookieNames(resp)
	if strings.Join(got, " ") != "steward_consent -_fbp" {
		t.Errorf("Set-Cookie after reject: %v, want the choice and the deletion of _fbp", got)
	}
	if choiceCookieOf(t, resp).Value == ck.Value || strings.Split(choiceCookieOf(t, resp).Value, ".")[1] != strings.Split(ck.Value, ".")[1] {
		t.Error("the visitor id must stay and the choice must change")
	}
	_, body := do(t, "GET", srv.URL+"/", nil, choiceCookieOf(t, resp))
	if strings.Contains(body, `data-category="personal"`) {
		t.Error("pixel still rendered after withdrawal")
	}
}

func TestCookieChoiceBadInputChangesNothing(t *testing.T) {
	s := testkit.SQLite(t)
	srv, _ := newServer(t, s, "zorginspirator")
	for name, form := range map[string]url.Values{
		"unknown_choice":         {"choice": {"maybe"}},
		"necessary_is_no_choice": {"choice": {"custom"}, "category": {"necessary"}},
		"unknown_category":       {"choice": {"custom"}, "category": {"tracking"}},
	} {
		t.Run(name, func(t *testing.T) {
			resp, _ := do(t, "POST", srv.URL+"/cookies", form)
			if resp.StatusCode != http.StatusBadRequest || len(resp.Header.Values("Set-Cookie")) != 0 {
				t.Fatalf("%d, Set-Cookie %v; want 400 and no cookie", resp.StatusCode, resp.Header.Values("Set-Cookie"))
			}
			var n int
			s.Read().QueryRow(`SELECT COUNT(*) FROM consent_records`).Scan(&n)
			if n != 0 {
				t.Fatalf("%d consent records written", n)
			}
		})
	}
}

func TestCookiesPageListsPolicyCookies(t *testing.T) {
	srv, _ := newServer(t, testkit.SQLite(t), "zorginspirator")
	resp, body := do(t, "GET", srv.URL+"/cookies?lang=en", nil)
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	for _, want := range []string{"_fbp", "_ga", "steward_consent", "Reject all", "Accept all", "I consent to the Facebook pixel"} {
		if !strings.Contains(body, want) {
			t.Errorf("/cookies lacks %q", want)
		}
	}
}

// TestRedirectTargetsStayOnSite: the open redirect of the ASVS review
// (issue 14, finding 5) — a tab after the first slash made browsers leave
// the site — is refused by the login form and the cookie notice alike.
func TestRedirectTargetsStayOnSite(t *testing.T) {
	s := testkit.SQLite(t)
	srv, _ := newServer(t, s, "ivm")
	for _, target := range []string{"/\t/evil.example", "/\\evil.example", "//evil.example"} {
		resp, _ := do(t, "POST", srv.URL+"/cookies", url.Values{"choice": {"none"}, "return": {target}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("POST /cookies return=%q: %d Location %q, want 303 to /", target, resp.StatusCode, loc)
		}
		_, body := do(t, "GET", srv.URL+"/login?next="+url.QueryEscape(target), nil)
		if strings.Contains(body, `name="next"`) {
			t.Errorf("GET /login?next=%q keeps the target in the form", target)
		}
	}
}

// TestCookiesPageListsACookieOnce: a cookie the policy declares on two
// hosts (IVM's MoodleSession) is one row with both hosts, and the choice
// form names it once; the page does not show the notice a second time
// (issue 13).
func TestCookiesPageListsACookieOnce(t *testing.T) {
	srv, _ := newServer(t, testkit.SQLite(t), "ivm")
	_, body := get(t, srv.URL+"/cookies?lang=en")
	if n := strings.Count(body, "<td><code>MoodleSession</code>"); n != 1 {
		t.Errorf("MoodleSession has %d rows, want 1", n)
	}
	if !strings.Contains(body, "nascholing.medicijngebruik.nl</span><br><span class=\"muted\">moodle-nascholing.medicijngebruik.nl") {
		t.Error("the MoodleSession row lacks one of its hosts")
	}
	if n := strings.Count(body, "<code>MoodleSession</code>"); n != 2 {
		t.Errorf("MoodleSession named %d times on the page, want 2 (its row and the choice form)", n)
	}
	if strings.Contains(body, `id="cookie-notice"`) {
		t.Error("/cookies shows the cookie notice as well")
	}
	st := newSite(t, testkit.SQLite(t), "ivm")
	support := staffBrowser(t, st, "support@example.org", account.RoleSupport)
	if resp, body := support.get("/staff/"); resp.StatusCode != 200 || strings.Contains(body, `id="cookie-notice"`) {
		t.Errorf("a staff page (%d) shows the cookie notice", resp.StatusCode)
	}
}
