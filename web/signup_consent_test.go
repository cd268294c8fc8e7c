package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/consent"
	"steward/internal/testkit"
	"steward/store"
)

var consentBoxRE = regexp.MustCompile(`<input type="checkbox" name="consent" value="([a-z_]+)"( checked)?>`)

// signupBoxes returns the consent boxes of a sign-up page: purpose id to
// ticked.
func signupBoxes(body string) map[string]bool {
	out := map[string]bool{}
	for _, m := range consentBoxRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2] != ""
	}
	return out
}

// TestSignupConsentBoxes: the sign-up form has one unticked box per
// purpose the policy asks at sign-up, with the policy's notice in the
// page's language (Z3); IVM asks none at sign-up.
func TestSignupConsentBoxes(t *testing.T) {
	st := newSite(t, testkit.SQLite(t), "zorginspirator")
	p := testkit.Policy(t, "zorginspirator")
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			_, body := st.browser().get("/signup?lang=" + lang)
			boxes := signupBoxes(body)
			if len(boxes) != 2 || boxes["newsletter"] || boxes["research_panel"] {
				t.Fatalf("consent boxes %v, want newsletter and research_panel, both unticked", boxes)
			}
			for _, id := range []string{"newsletter", "research_panel"} {
				if _, ok := boxes[id]; !ok {
					t.Fatalf("no %s box: %v", id, boxes)
				}
			}
			for _, id := range []string{"newsletter", "research_panel"} {
				// The start of the notice, before any character that
				// html/template would escape.
				notice := consent.Notice(p.Purpose(id), lang)
				if !strings.Contains(body, notice[:40]) {
					t.Errorf("the %s notice in %s is not on the page", id, lang)
				}
			}
		})
	}
	ivm := newSite(t, testkit.SQLite(t), "ivm")
	if _, body := ivm.browser().get("/signup"); len(signupBoxes(body)) != 0 {
		t.Errorf("IVM asks no consent at sign-up, but the form has boxes %v", signupBoxes(body))
	}
}

// TestSignupRecordsTickedConsents: a ticked box becomes one consent
// record of the new account (channel signup, the hash of the notice shown,
// audited) in the sign-up transaction; an unticked box records nothing;
// a purpose not asked at sign-up is refused and nothing is stored.
func TestSignupRecordsTickedConsents(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "zorginspirator")
		p := testkit.Policy(t, "zorginspirator")
		ctx := context.Background()
		count := func(t *testing.T, q string, args ...any) int {
			t.Helper()
			var n int
			if err := s.Read().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		accountID := func(t *testing.T, email string) string {
			t.Helper()
			var id string
			if err := s.Read().QueryRowContext(ctx, `SELECT id FROM accounts WHERE email = $1`, email).Scan(&id); err != nil {
				t.Fatalf("account of %s: %v", email, err)
			}
			return id
		}
		signup := func(t *testing.T, email string, ticked ...string) (int, string) {
			t.Helper()
			form := url.Values{"account.email": {email}, "password": {"correct horse battery"}}
			for _, id := range ticked {
				form.Add("consent", id)
			}
			resp, body := st.browser().submit("/signup?lang=en", "/signup?lang=en", form)
			return resp.StatusCode, body
		}

		t.Run("one_ticked", func(t *testing.T) {
			if code, body := signup(t, "ticked@example.org", "newsletter"); code != 200 {
				t.Fatalf("sign-up: %d\n%s", code, body)
			}
			id := accountID(t, "ticked@example.org")
			h, err := consent.NewService(p, s, st.clock).History(ctx, id)
			if err != nil || len(h) != 1 {
				t.Fatalf("history %+v, %v; want one record", h, err)
			}
			want := consent.NoticeHash(consent.Notice(p.Purpose("newsletter"), "en"))
			if r := h[0]; r.Purpose != "newsletter" || !r.Given || r.Channel != "signup" || r.NoticeHash != want {
				t.Errorf("record %+v, want newsletter given through signup with notice hash %s", r, want)
			}
			if n := count(t, `SELECT COUNT(*) FROM consent_notices WHERE hash = $1`, want); n != 1 {
				t.Errorf("the notice text agreed to is not kept (%d rows)", n)
			}
			if n := count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'consent.give' AND object_id = $1`, strconv.FormatInt(h[0].ID, 10)); n != 1 {
				t.Errorf("%d audit entries for the record, want 1", n)
			}
		})
		t.Run("none_ticked", func(t *testing.T) {
			if code, body := signup(t, "unticked@example.org"); code != 200 {
				t.Fatalf("sign-up: %d\n%s", code, body)
			}
			if n := count(t, `SELECT COUNT(*) FROM consent_records WHERE subject = $1`, accountID(t, "unticked@example.org")); n != 0 {
				t.Errorf("%d consent records for a sign-up with no box ticked, want 0", n)
			}
		})
		t.Run("not_a_signup_purpose", func(t *testing.T) {
			before := count(t, `SELECT COUNT(*) FROM consent_records`)
			for _, bad := range []string{"facebook_pixel", "account", "nope"} {
				code, body := signup(t, "bad@example.org", "newsletter", bad)
				if code != 400 {
					t.Fatalf("%s: %d, want 400", bad, code)
				}
				// The form comes back with the person's own ticks kept.
				if boxes := signupBoxes(body); !boxes["newsletter"] || boxes["research_panel"] {
					t.Errorf("%s: boxes on the form shown again %v, want newsletter ticked only", bad, boxes)
				}
			}
			if n := count(t, `SELECT COUNT(*) FROM accounts WHERE email = 'bad@example.org'`); n != 0 {
				t.Error("an account was created for a refused sign-up")
			}
			if n := count(t, `SELECT COUNT(*) FROM consent_records`); n != before {
				t.Errorf("a refused sign-up wrote %d consent records", n-before)
			}
		})
	})
}

// TestAPISignupRecordsConsents: the JSON sign-up's "consents" are recorded
// like the page's ticked boxes — with the account, channel signup, the
// notice hash in the request's language, audited — and a purpose not asked
// at sign-up is a 400 that stores neither the account nor any consent.
func TestAPISignupRecordsConsents(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		st := newSite(t, s, "zorginspirator")
		p := testkit.Policy(t, "zorginspirator")
		ctx := context.Background()
		count := func(t *testing.T, q string, args ...any) int {
			t.Helper()
			var n int
			if err := s.Read().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		signup := func(email, consents string) (int, map[string]any) {
			resp, body := st.browser().api("POST", "/api/v1/signup", "",
				`{"email":"`+email+`","password":"correct horse battery","lang":"en","consents":`+consents+`}`)
			return resp.StatusCode, body
		}

		t.Run("recorded_with_the_account", func(t *testing.T) {
			if code, body := signup("api.ticked@example.org", `["research_panel","newsletter","newsletter"]`); code != 202 {
				t.Fatalf("sign-up: %d %v", code, body)
			}
			a, err := s.AccountByEmail(ctx, "api.ticked@example.org")
			if err != nil {
				t.Fatal(err)
			}
			h, err := consent.NewService(p, s, st.clock).History(ctx, a.ID)
			if err != nil || len(h) != 2 {
				t.Fatalf("history %+v, %v; want newsletter and research_panel once each", h, err)
			}
			for _, r := range h {
				want := consent.NoticeHash(consent.Notice(p.Purpose(r.Purpose), "en"))
				if !r.Given || r.Channel != "signup" || r.NoticeHash != want || (r.Purpose != "newsletter" && r.Purpose != "research_panel") {
					t.Errorf("record %+v, want given through signup with the English notice hash", r)
				}
				if n := count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'consent.give' AND object_id = $1`, strconv.FormatInt(r.ID, 10)); n != 1 {
					t.Errorf("%s: %d audit entries, want 1", r.Purpose, n)
				}
			}
		})
		t.Run("none_given", func(t *testing.T) {
			if code, body := signup("api.none@example.org", `[]`); code != 202 {
				t.Fatalf("sign-up: %d %v", code, body)
			}
			a, _ := s.AccountByEmail(ctx, "api.none@example.org")
			if n := count(t, `SELECT COUNT(*) FROM consent_records WHERE subject = $1`, a.ID); n != 0 {
				t.Errorf("%d consent records, want 0", n)
			}
		})
		t.Run("not_a_signup_purpose", func(t *testing.T) {
			// A fresh sign-up bucket for this address: the answers below
			// must be the validation's, not the rate limit's.
			st.clock.Advance(time.Hour)
			before := count(t, `SELECT COUNT(*) FROM consent_records`)
			mails := count(t, `SELECT COUNT(*) FROM outbox`)
			for _, bad := range []string{`["newsletter","facebook_pixel"]`, `["nope"]`, `["account"]`, `"newsletter"`, `[1]`} {
				code, body := signup("api.bad@example.org", bad)
				if code != 400 || errCode(body) != "invalid" {
					t.Errorf("%s: %d %v, want 400 invalid", bad, code, body)
				}
			}
			if n := count(t, `SELECT COUNT(*) FROM accounts WHERE email = 'api.bad@example.org'`); n != 0 {
				t.Error("an account was created for a refused sign-up")
			}
			if n := count(t, `SELECT COUNT(*) FROM consent_records`); n != before {
				t.Errorf("a refused sign-up wrote %d consent records", n-before)
			}
			if n := count(t, `SELECT COUNT(*) FROM outbox`); n != mails {
				t.Errorf("a refused sign-up enqueued %d mails", n-mails)
			}
		})
	})
}
