package web_test

import (
	"html"
	"strings"
	"testing"

	"steward/internal/testkit"
)

// TestHomeSaysWhatTheSiteOffers: each site's start page says, in both
// languages, what its policy's site.home says the site offers, with each
// offer's link, and shows a visitor the ways in — create an account, log
// in, and the newsletter where the policy has a sign-up without an
// account (IVM) (issue 13, item 7).
func TestHomeSaysWhatTheSiteOffers(t *testing.T) {
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			p := testkit.Policy(t, site)
			h := p.Site.Home
			if h.Intro.IsZero() || len(h.Offers) < 3 {
				t.Fatalf("policy %s has no start page content: %+v", site, h)
			}
			srv, _ := newServer(t, testkit.SQLite(t), site)
			for _, lang := range []string{"nl", "en"} {
				_, body := get(t, srv.URL+"/?lang="+lang)
				main := html.UnescapeString(mainOf(t, body))
				want := []string{h.Intro.In(lang), `href="/signup`, `href="/login`}
				for _, o := range h.Offers {
					want = append(want, o.Title.In(lang), o.Text.In(lang), o.LinkText.In(lang), `href="`+o.Link)
				}
				for _, w := range want {
					if !strings.Contains(main, w) {
						t.Errorf("%s start page lacks %q", lang, w)
					}
				}
				if got := strings.Contains(main, `class="button secondary" href="/newsletter`); got != (site == "ivm") {
					t.Errorf("%s start page offers the newsletter sign-up: %v", lang, got)
				}
			}
		})
	}
}
