package web_test

import (
	"strings"
	"testing"

	"steward/internal/testkit"
)

// TestMailsGreetByFirstName: a mail greets the person by first name when
// the site knows it — the IVM sign-up asks it — and with a plain "Hallo,"
// where it does not (Zorginspirator asks only the address) (issue 13).
func TestMailsGreetByFirstName(t *testing.T) {
	for site, want := range map[string]string{"ivm": "Hallo Anna,\n", "zorginspirator": "Hallo,\n"} {
		t.Run(site, func(t *testing.T) {
			st := newSite(t, testkit.SQLite(t), site)
			b := st.browser()
			if resp, body := b.submit("/signup", "/signup", signupValues(site, "anna@example.org")); resp.StatusCode != 200 {
				t.Fatalf("sign-up: %d\n%s", resp.StatusCode, body)
			}
			_, m := st.mailLink(1)
			if !strings.HasPrefix(strings.ReplaceAll(m.Text, "\r\n", "\n"), want) {
				t.Fatalf("verification mail does not start with %q:\n%s", want, m.Text)
			}
		})
	}
}
